"""Sending to Telegram: rendered Replies, the typing indicator, and guarded service calls."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable
from typing import Any

from telegram import Bot, LinkPreviewOptions, Message, ReplyParameters
from telegram.constants import ChatAction, ChatType, ParseMode
from telegram.error import TelegramError

from bot.telegram.render import render
from handlers.replies import ChatContext, Reply
from handlers.texts import SORRY

log = logging.getLogger(__name__)

# Telegram shows a chat action for about 5 s; renew it a little before it fades.
TYPING_REPEAT_S = 4.0
# Said when something failed unexpectedly: the user sees one sentence, the log has the trace.
GROUP_TYPES = (ChatType.GROUP, ChatType.SUPERGROUP)
# Links in answers point at Spotify tracks; previews would bury the list under a card.
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def context_of(message: Message) -> ChatContext:
    """Who asked, and where, for a message from a user."""
    user = message.from_user
    assert user is not None, "callers filter out messages without a sender"
    return ChatContext(
        platform="telegram",
        user_id=str(user.id),
        chat_id=str(message.chat_id),
        user_name=user.full_name,
        is_group=message.chat.type in GROUP_TYPES,
    )


async def guarded(call: Awaitable[Reply]) -> Reply:
    """A service call whose unexpected failure becomes one friendly sentence."""
    try:
        return await call
    except Exception:
        log.exception("the bot service failed")
        return Reply(kind="error", text=SORRY["unexpected"])


class Outbox:
    """Everything the adapter sends goes through here."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send(
        self, chat_id: int, reply: Reply, reply_to: int | None = None, raise_errors: bool = False
    ) -> None:
        """Send a Reply as an HTML message, quoting `reply_to` when it still exists."""
        rendered = render(reply)
        quote = (
            ReplyParameters(reply_to, allow_sending_without_reply=True)
            if reply_to is not None
            else None
        )
        try:
            await self._deliver(
                chat_id,
                rendered.text,
                parse_mode=ParseMode.HTML,
                reply_markup=rendered.markup,
                link_preview_options=NO_PREVIEW,
                reply_parameters=quote,
            )
        except TelegramError as err:
            if raise_errors:
                raise
            log.warning("could not send to Telegram chat %s: %s", chat_id, err)

    async def _deliver(self, chat_id: int, text: str, **options: Any) -> None:
        # Flood control (429 retry_after) is waited out by the application's AIORateLimiter.
        await self.bot.send_message(chat_id, text, **options)

    async def answer_command(self, message: Message, reply: Reply) -> None:
        """Answer a command; in groups the answer quotes it so the asker finds it."""
        quote = message.chat.type in GROUP_TYPES
        await self.send(message.chat_id, reply, message.message_id if quote else None)

    async def send_plain(self, chat_id: int, text: str) -> None:
        """Send plain text (no markup); failures are logged, never raised."""
        try:
            await self._deliver(chat_id, text, link_preview_options=NO_PREVIEW)
        except TelegramError as err:
            log.warning("could not send to Telegram chat %s: %s", chat_id, err)

    @contextlib.asynccontextmanager
    async def typing(self, chat_id: int) -> AsyncIterator[None]:
        """Show "typing..." in the chat until the block is done."""
        task = asyncio.create_task(self._keep_typing(chat_id))
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _keep_typing(self, chat_id: int) -> None:
        while True:
            try:
                await self.bot.send_chat_action(chat_id, ChatAction.TYPING)
            except TelegramError as err:
                log.debug("chat action failed in %s: %s", chat_id, err)
            await asyncio.sleep(TYPING_REPEAT_S)
