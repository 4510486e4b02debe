"""Answer buttons: what a button carries, and whether a press may use the stored
recommendation it names.

A button's action is `verb:<recommendation id>-<token>`. The token is a secret stored with the
recommendation and shown only on its buttons, so a press cannot name somebody else's by counting
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
VERBS = ("up", "down", "more", "diff", "calm", "lively", "save")
# The longest action: a 6-character verb, a 19-digit bigint id, "-", a 22-character token.
MAX_ACTION_CHARS = 6 + 19 + 1 + 22


@dataclass(frozen=True)
class Press:
    """A parsed button press: which verb, on which stored recommendation, with which token."""

    verb: str
    recommendation_id: int
    token: str = field(repr=False)


def new_press_token() -> str:
    """A fresh secret for one answer's buttons."""
    return secrets.token_urlsafe(PRESS_TOKEN_BYTES)


def button_action(verb: str, recommendation_id: int, token: str) -> str:
    """What a button carries."""
    return f"{verb}:{recommendation_id}-{token}"


def parse_press(action: str) -> Press | None:
    """The press in a button's action, or None when it is not one of ours."""
    verb, _, reference = action.partition(":")
    rec_id, _, token = reference.partition("-")  # the id is digits: the first "-" splits
    if verb not in VERBS or not rec_id.isdigit() or len(rec_id) > 19 or not token:
        return None
    return Press(verb, int(rec_id), token)


def may_use(stored: StoredRecommendation, press: Press, platform: str, chat_id: str) -> bool:
    """Whether the press carries the recommendation's token and comes from the chat it was in."""
    if stored.press_token is None:  # rows stored before buttons carried tokens
        return False
    same_token = hmac.compare_digest(stored.press_token.encode(), press.token.encode())
    return same_token and (stored.platform, stored.chat_id) == (platform, chat_id)
