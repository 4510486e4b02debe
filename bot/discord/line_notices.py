"""The "you're in line" notice for a Discord photo message: sent in reply when the photo has to
wait for the vision model, edited as its place changes, deleted once its answer is out. (A
command's place in line edits its deferred response instead: bot/discord/answers.py.)"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import discord

from bot.discord.outbox import reply_to
from bot.discord.render import Rendered
from handlers.bot_service import QueueNotice
from handlers.texts import QUEUED, say


@contextlib.asynccontextmanager
async def waiting(message: discord.Message, lang: str) -> AsyncIterator[QueueNotice]:
    """A QueueNotice for the photo in `message`; leaving the block (once its answer is out,
    or failed) deletes the notice."""
    notices: list[discord.Message] = []

    async def on_queued(position: int) -> None:
        text = say(lang, QUEUED, position=position)
        if notices:
            await notices[0].edit(content=text)
        else:
            notices.append(await reply_to(message, Rendered(content=text)))

    try:
        yield on_queued
    finally:
        for notice in notices:  # the place in line is old news once the answer is there
            with contextlib.suppress(discord.HTTPException):
                await notice.delete()
