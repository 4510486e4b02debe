"""Button actions: unguessable, parsed strictly, within both platforms' limits."""

from __future__ import annotations

import re

from db.recommendations import StoredRecommendation
from handlers.press import (
    MAX_ACTION_CHARS,
    Press,
    button_action,
    may_use,
    new_press_token,
    parse_press,
)

# Telegram: callback_data is 1-64 bytes. Discord: custom_id at most 100 characters, and the
# adapter's dynamic-item pattern.
TELEGRAM_MAX_BYTES = 64
DISCORD_PATTERN = re.compile(r"[a-z]+:[A-Za-z0-9_-]{1,60}")


def stored(token: str | None, chat: str = "c1") -> StoredRecommendation:
    return StoredRecommendation(7, 1, "telegram", chat, {}, (1, 2), press_token=token)


def test_actions_round_trip_and_fit_both_platforms() -> None:
    token = new_press_token()
    assert len(token) >= 22 and token != new_press_token()
    longest = button_action("diff", 2**63 - 1, token)
    assert len(longest) <= MAX_ACTION_CHARS
    assert len(longest.encode()) <= TELEGRAM_MAX_BYTES and len(longest) <= 100
    assert DISCORD_PATTERN.fullmatch(longest)
    assert parse_press(longest) == Press("diff", 2**63 - 1, token)
    dashed = "-" + token[1:]  # a token may start with "-": the id still splits cleanly
    assert parse_press(button_action("more", 12, dashed)) == Press("more", 12, dashed)


def test_bare_ids_and_garbage_are_not_presses() -> None:
    for action in ("more:1", "up:", "more:-tok", "more:x-tok", "bogus:1-tok", "", "more:1-"):
        assert parse_press(action) is None, action


def test_a_press_needs_the_token_and_the_chat_of_its_answer() -> None:
    token = new_press_token()
    press = parse_press(button_action("more", 7, token))
    assert press is not None
    assert may_use(stored(token), press, "telegram", "c1")
    assert not may_use(stored(token), press, "telegram", "another-chat")
    assert not may_use(stored(token), press, "discord", "c1")
    assert not may_use(stored(new_press_token()), press, "telegram", "c1")
    assert not may_use(stored(None), press, "telegram", "c1")  # an answer from before tokens
