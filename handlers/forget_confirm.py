"""/forget_me asks first: two buttons, "Delete everything" and "Cancel", that only the asker's
own press in the same chat confirms.

The buttons are `forget:<expiry>-<mac>` and `keep:<expiry>-<mac>`. Nothing is stored per
request: the MAC (HMAC-SHA256 under a key the database keeps, cut to 16 bytes) binds the verb
and expiry to the platform, user and chat that asked, so only the asker's own press in that
chat verifies; a forged, altered, copied or late press is refused like a stale button.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
import time
from dataclasses import dataclass, field

from db import state
from db.pool import Database
from handlers.replies import Button, ChatContext, Reply
from handlers.texts import FORGET_COMMAND, FORGET_CONFIRM, say

log = logging.getLogger(__name__)

CONFIRM_VERBS = ("forget", "keep")
# Long enough to read the warning; short enough that an old message is no longer a trigger.
CONFIRM_TTL_S = 600
CONFIRM_MAC_BYTES = 16
# An expiry is a Unix time in seconds: 10 digits until the year 2286.
MAX_EXPIRY_DIGITS = 10
# Where the confirmation key lives in bot_state (one for every process).
CONFIRM_KEY_STATE = "forget_confirm_key"
# 32 random bytes: a 256-bit key, the length RFC 2104 advises for HMAC-SHA256 (its output's).
CONFIRM_KEY_BYTES = 32


@dataclass(frozen=True)
class Confirmation:
    """A parsed press on a /forget_me confirmation button: its verb, its expiry (a Unix time in
    seconds) and its MAC, unchecked until `confirms`."""

    verb: str
    expires: int
    mac: str = field(repr=False)


async def ask_to_forget(db: Database, ctx: ChatContext) -> Reply:
    """The question with its two buttons, bound to this asker in this chat."""
    key, asker, now = await confirm_key(db), asker_of(ctx), time.time()
    buttons = (
        Button(say(ctx.lang, FORGET_CONFIRM["delete"]), confirm_action("forget", key, asker, now)),
        Button(say(ctx.lang, FORGET_CONFIRM["cancel"]), confirm_action("keep", key, asker, now)),
    )
    return Reply("info", say(ctx.lang, FORGET_CONFIRM["ask"]), buttons=buttons, private=True)


async def refusal_of(db: Database, ctx: ChatContext, confirmation: Confirmation) -> Reply | None:
    """None when the press confirms deleting; else what to say (refused, or cancelled)."""
    if not confirms(confirmation, await confirm_key(db), asker_of(ctx), time.time()):
        log.info("refused a forget-me confirmation on %s", ctx.platform)
        text = say(ctx.lang, FORGET_CONFIRM["refused"], command=FORGET_COMMAND[ctx.platform])
        return Reply("error", text, private=True)
    if confirmation.verb == "keep":
        return Reply("info", say(ctx.lang, FORGET_CONFIRM["kept"]), private=True)
    return None


async def confirm_key(db: Database) -> str:
    """The confirmation MAC key, made on first use."""
    key = await state.get_state(db.pool, CONFIRM_KEY_STATE)
    if key is None:
        # Processes racing here re-read after writing and end on the last key written; a
        # button made in the instant between fails, and its asker asks again.
        await state.set_state(db.pool, CONFIRM_KEY_STATE, secrets.token_urlsafe(CONFIRM_KEY_BYTES))
        key = await state.get_state(db.pool, CONFIRM_KEY_STATE)
    assert key is not None
    return key


def asker_of(ctx: ChatContext) -> str:
    """Whom a confirmation belongs to: this person in this chat."""
    return f"{ctx.platform}:{ctx.user_id}:{ctx.chat_id}"


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
