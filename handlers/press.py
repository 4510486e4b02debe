"""Answer buttons: what a button carries, and whether a press may use the stored
recommendation it names.

A button's action is `verb:<recommendation id>-<token>`. The token is a secret stored with the
recommendation and shown only on its buttons, so a press cannot name somebody else's by counting
ids (callback data is written by the client). The whole action fits Telegram's 64-byte
callback_data and Discord's custom_id pattern (`[a-z]+:[A-Za-z0-9_-]{1,60}`).
"""

from __future__ import annotations

import base64
import hashlib
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


# --- the /forget_me confirmation --------------------------------------------------------------
# Its buttons are `forget:<expiry>-<mac>` and `keep:<expiry>-<mac>`. Nothing is stored per
# request: the MAC (HMAC-SHA256 under a key the database keeps, cut to 16 bytes) binds the verb
# and expiry to the platform, user and chat that asked, so only the asker's own press in that
# chat verifies; a forged, altered, copied or late press is refused like a stale button.
CONFIRM_VERBS = ("forget", "keep")
# Long enough to read the warning; short enough that an old message is no longer a trigger.
CONFIRM_TTL_S = 600
CONFIRM_MAC_BYTES = 16
# An expiry is a Unix time in seconds: 10 digits until the year 2286.
MAX_EXPIRY_DIGITS = 10


@dataclass(frozen=True)
class Confirmation:
    """A parsed press on a /forget_me confirmation button (unchecked until `confirms`)."""

    verb: str
    expires: int
    mac: str = field(repr=False)


def new_confirm_key() -> str:
    """A fresh key for confirmation MACs (kept in the database, shared by every process)."""
    return secrets.token_urlsafe(32)


def confirm_action(verb: str, key: str, asker: str, now: float) -> str:
    """The action of a confirmation button for this asker ("platform:user:chat")."""
    expires = int(now) + CONFIRM_TTL_S
    return f"{verb}:{expires}-{_confirm_mac(key, verb, expires, asker)}"


def parse_confirmation(action: str) -> Confirmation | None:
    """The confirmation in a button's action, or None when it is not one."""
    verb, _, reference = action.partition(":")
    expires, _, mac = reference.partition("-")
    if verb not in CONFIRM_VERBS or not expires.isdigit() or len(expires) > MAX_EXPIRY_DIGITS:
        return None
    if not mac or len(mac) > 2 * CONFIRM_MAC_BYTES:
        return None
    return Confirmation(verb, int(expires), mac)


def confirms(confirmation: Confirmation, key: str, asker: str, now: float) -> bool:
    """Whether the press is the asker's own, in the chat they asked in, and still in time."""
    expected = _confirm_mac(key, confirmation.verb, confirmation.expires, asker)
    same = hmac.compare_digest(expected.encode(), confirmation.mac.encode())
    return same and now <= confirmation.expires


def _confirm_mac(key: str, verb: str, expires: int, asker: str) -> str:
    message = f"{verb}|{expires}|{asker}".encode()
    digest = hmac.new(key.encode(), message, hashlib.sha256).digest()[:CONFIRM_MAC_BYTES]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
