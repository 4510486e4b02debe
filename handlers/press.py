"""Answer buttons: what a button carries, and whether a press may use the answer it names.

A button's action is `verb:<answer id>-<token>`. The token is a secret stored with the answer
and shown only on its buttons, so a press cannot name somebody else's answer by counting
ids (callback data is written by the client). The whole action fits Telegram's 64-byte
callback_data and Discord's custom_id pattern (`[a-z]+:[A-Za-z0-9_-]{1,60}`).
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, field

from db.recommendations import StoredRecommendation

# 16 random bytes: 22 URL-safe characters, 128 bits nobody guesses.
PRESS_TOKEN_BYTES = 16
VERBS = ("up", "down", "more", "diff")
# The longest action: a 5-character verb, a 19-digit bigint id, "-", a 22-character token.
MAX_ACTION_CHARS = 5 + 19 + 1 + 22


@dataclass(frozen=True)
class Press:
    """A parsed button press: which verb, on which answer, with which token."""

    verb: str
    answer_id: int
    token: str = field(repr=False)


def new_press_token() -> str:
    """A fresh secret for one answer's buttons."""
    return secrets.token_urlsafe(PRESS_TOKEN_BYTES)


def button_action(verb: str, answer_id: int, token: str) -> str:
    """What a button carries."""
    return f"{verb}:{answer_id}-{token}"


def parse_press(action: str) -> Press | None:
    """The press in a button's action, or None when it is not one of ours."""
    verb, _, reference = action.partition(":")
    answer_id, _, token = reference.partition("-")  # the id is digits: the first "-" splits
    if verb not in VERBS or not answer_id.isdigit() or len(answer_id) > 19 or not token:
        return None
    return Press(verb, int(answer_id), token)


def may_use(stored: StoredRecommendation, press: Press, platform: str, chat_id: str) -> bool:
    """Whether the press carries the answer's token and comes from the chat it was shown in."""
    if stored.press_token is None:  # answers from before buttons carried tokens
        return False
    same_token = hmac.compare_digest(stored.press_token.encode(), press.token.encode())
    return same_token and (stored.platform, stored.chat_id) == (platform, chat_id)
