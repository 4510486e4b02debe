"""Sending to Telegram: rendered Replies, plain notices, button toasts, and the typing
indicator."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from telegram import Bot, CallbackQuery, LinkPreviewOptions, Message, ReplyParameters
from telegram.constants import ChatAction, ParseMode
from telegram.error import TelegramError

from bot.telegram.inbound import GROUP_TYPES
from bot.telegram.render import render
from handlers.replies import Reply

log = logging.getLogger(__name__)

# Telegram shows a chat action for about 5 s; renew it a little before it fades.
TYPING_REPEAT_S = 4.0
# Links in answers point at Spotify tracks; previews would bury the list under a card.
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


class Outbox:
    """Everything the adapter sends goes through here."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send(
        self, chat_id: int, reply: Reply, reply_to: int | None = None, raise_errors: bool = False
    ) -> None:
        """Send a Reply as an HTML message, quoting `reply_to` when it still exists; a silent
        Reply (a repeated refusal in a flood) sends nothing."""
        if reply.silent:
            return
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


async def answer_query(query: CallbackQuery, text: str | None = None) -> bool:
    """Stop a button's spinner, with a toast when `text` is given; False if Telegram refused
    (an old or already answered query only leaves a spinner; the answer still goes out)."""
    try:
        await query.answer(text)
    except TelegramError as err:
        log.info("could not answer callback query %s: %s", query.id, err)
        return False
    return True


def scrub(bot: Bot, text: str) -> str:
    """`text` (an error from the Bot API, which may quote its URL) without the bot token."""
    return text.replace(bot.token, "<TELEGRAM_TOKEN>")
