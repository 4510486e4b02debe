"""/forget_me asks first: two buttons, "Delete everything" and "Cancel", that only the asker's
own press in the same chat confirms (the MAC scheme is in handlers/press.py)."""

from __future__ import annotations

import logging
import time

from db import state
from db.pool import Database
from handlers.press import Confirmation, confirm_action, confirms, new_confirm_key
from handlers.replies import Button, ChatContext, Reply
from handlers.texts import FORGET_COMMAND, FORGET_CONFIRM, say

log = logging.getLogger(__name__)

# Where the confirmation key lives in bot_state (one for every process).
CONFIRM_KEY_STATE = "forget_confirm_key"


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
        await state.set_state(db.pool, CONFIRM_KEY_STATE, new_confirm_key())
        key = await state.get_state(db.pool, CONFIRM_KEY_STATE)
    assert key is not None
    return key


def asker_of(ctx: ChatContext) -> str:
    """Whom a confirmation belongs to: this person in this chat."""
    return f"{ctx.platform}:{ctx.user_id}:{ctx.chat_id}"
