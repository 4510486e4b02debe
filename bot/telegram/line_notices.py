"""One "you're in line" notice per Telegram chat: sent when the first photo there has to wait
for the vision model, edited as more wait, deleted once the last of them is answered."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from telegram import Bot, ReplyParameters
from telegram.error import TelegramError

from handlers.bot_service import QueueNotice
from handlers.texts import queued_text

log = logging.getLogger(__name__)


@dataclass
class _ChatLine:
    """The waiting photos of one chat (asker -> place) and the notice that shows them."""

    places: dict[int, int] = field(default_factory=dict)
    # askers of this chat between entering and leaving, queued or not
    members: int = 0
    message_id: int | None = None
    # the notice's language: that of the chat's first waiting asker (one notice per chat)
    lang: str = "en"
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class LineNotices:
    """Keeps each chat's line notice in step with its waiting photos."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self._chats: dict[int, _ChatLine] = {}
        self._askers = 0

    def __len__(self) -> int:
        """Chats with photos between entering and leaving the line."""
        return len(self._chats)

    @contextlib.asynccontextmanager
    async def waiting(
        self, chat_id: int, reply_to: int | None, lang: str
    ) -> AsyncIterator[QueueNotice]:
        """A QueueNotice for one photo (or album) of this chat; leaving the block (once its
        answer is out) takes it out of the line, and the notice goes with the last one."""
        self._askers += 1
        asker = self._askers
        line = self._chats.setdefault(chat_id, _ChatLine(lang=lang))
        line.members += 1

        async def on_queued(place: int) -> None:
            async with line.lock:
                line.places[asker] = place
                await self._show(chat_id, line, reply_to)

        try:
            yield on_queued
        finally:
            async with line.lock:
                line.members -= 1
                if line.places.pop(asker, None) is not None:
                    await self._show(chat_id, line, reply_to)
                if line.members == 0:
                    del self._chats[chat_id]

    async def _show(self, chat_id: int, line: _ChatLine, reply_to: int | None) -> None:
        """Send, edit or delete the notice so it matches the line; failures are only logged."""
        try:
            if not line.places:
                if line.message_id is not None:
                    await self.bot.delete_message(chat_id, line.message_id)
                    line.message_id = None
                return
            text = queued_text(line.lang, sorted(line.places.values()))
            if line.message_id is None:
                quote = (
                    ReplyParameters(reply_to, allow_sending_without_reply=True)
                    if reply_to is not None
                    else None
                )
                sent = await self.bot.send_message(chat_id, text, reply_parameters=quote)
                line.message_id = sent.message_id
            else:
                await self.bot.edit_message_text(text, chat_id, line.message_id)
        except TelegramError as err:
            # "message is not modified", or deleted by a member: the answer still comes.
            log.info("queue notice in chat %s: %s", chat_id, err)
