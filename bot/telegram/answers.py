"""Song answers on Telegram: photos, image files, albums, words, /vibe, and the buttons under
answers, as python-telegram-bot handlers."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from telegram import Message, Update
from telegram.error import Forbidden
from telegram.ext import ContextTypes

from bot.settings import Settings
from bot.telegram.albums import AlbumBuffer
from bot.telegram.download import MediaError, download_all
from bot.telegram.inbound import (
    MediaRef,
    addressed,
    context_of,
    from_a_user,
    media_of,
    press_context,
    words_of,
)
from bot.telegram.line_notices import LineNotices
from bot.telegram.outbox import Outbox, answer_query
from bot.telegram.render import toast
from handlers.bot_service import BotService
from handlers.replies import ChatContext, ImageInput, Reply, VibeAsk
from handlers.texts import PERSONAL_LINK, say

log = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE

# A button's spinner should stop quickly: wait this long for a toast, then answer empty.
PRESS_TOAST_WAIT_S = 2.0
# Replies that fit a button's toast; anything else (a new answer, a link) becomes a message.
TOAST_KINDS = ("info", "error")


class Answers:
    """Turns image messages, plain words, /vibe and button presses into BotService calls and
    answers."""

    def __init__(self, settings: Settings, service: BotService, outbox: Outbox) -> None:
        self.settings = settings
        self.service = service
        self.outbox = outbox
        self.line = LineNotices(outbox.bot)
        self.albums = AlbumBuffer(settings.album_wait_s, self.answer_media)

    async def on_media(self, update: Update, context: Context) -> None:
        """A photo or a file: answered alone, or with the rest of its album."""
        message = from_a_user(update)
        if message is not None and message.media_group_id:
            await self.albums.add(message)
        elif message is not None:
            await self.answer_media([message])

    async def on_text(self, update: Update, context: Context) -> None:
        """Plain words: songs for them in a private chat, and in a group when they mention
        the bot or reply to it."""
        message = from_a_user(update)
        if message is None:
            return
        ctx = context_of(message)
        if ctx.is_group and not addressed(message, self.outbox.bot):
            return
        reply = await self._songs(ctx, message, [], words_of(message, self.outbox.bot))
        await self.outbox.send(message.chat_id, reply, reply_to=message.message_id)

    async def vibe(self, update: Update, context: Context) -> None:
        """/vibe WORDS, optionally as a reply to a photo (which it then uses)."""
        message = from_a_user(update)
        if message is None:
            return
        source = message.reply_to_message
        ref = media_of(source) if source is not None else None
        words = " ".join(context.args or [])
        reply = await self._songs(context_of(message), message, [ref] if ref else [], words)
        target = source if source is not None and ref is not None else message
        await self.outbox.send(message.chat_id, reply, reply_to=target.message_id)

    async def answer_media(self, messages: list[Message]) -> None:
        """One answer for a photo, an image file or a whole album."""
        first = messages[0]
        ctx = context_of(first)
        if ctx.is_group and not await self._wanted_in_group(ctx, messages):
            return
        words = " ".join(filter(None, (words_of(m, self.outbox.bot) for m in messages)))
        refs = [ref for ref in map(media_of, messages) if ref is not None]
        reply = await self._songs(ctx, first, refs, words)
        await self.outbox.send(first.chat_id, reply, reply_to=first.message_id)

    async def _songs(
        self, ctx: ChatContext, asked: Message, refs: Sequence[MediaRef], words: str
    ) -> Reply:
        # Counted before any download, one per photo, so an album cannot slip past the limit.
        refusal = self.service.admit(ctx, len(refs))
        if refusal is not None:
            return refusal
        lang = self.service.in_their_language(ctx).lang
        waiting = self.line.waiting(asked.chat_id, asked.message_id, lang)
        async with self.outbox.typing(asked.chat_id), waiting as on_queued:
            try:
                images: list[ImageInput] = await download_all(
                    self.outbox.bot, refs, self.settings.max_image_bytes
                )
            except MediaError as err:
                lang = self.service.in_their_language(ctx).lang
                return Reply(kind="error", text=err.sentence(lang))
            ask = VibeAsk(tuple(images), words, admitted=True)
            return await self.service.vibe(ctx, ask, on_queued)

    async def _wanted_in_group(self, ctx: ChatContext, messages: list[Message]) -> bool:
        """In groups: answer when addressed, or every image once /auto is on."""
        if any(addressed(m, self.outbox.bot) for m in messages):
            return True
        refs = [media_of(m) for m in messages]
        # Auto mode answers images only: a PDF shared in the group is not a request.
        if not all(ref is not None and ref.is_image for ref in refs):
            return False
        # The service answers False while the database is down.
        return await self.service.auto_enabled("telegram", ctx.chat_id)

    async def on_press(self, update: Update, context: Context) -> None:
        """A button under an answer: feedback gets a toast, more/diff get a new answer."""
        query = update.callback_query
        if query is None or query.data is None:
            return
        ctx = press_context(query)
        pressed = asyncio.ensure_future(self.service.press(ctx, query.data))
        done, _ = await asyncio.wait({pressed}, timeout=PRESS_TOAST_WAIT_S)
        # a reply with a link (a saved playlist) needs a message: a toast cannot carry one
        if done and pressed.result().kind in TOAST_KINDS and not pressed.result().url:
            await answer_query(query, toast(pressed.result()))
            return
        await answer_query(query)
        chat_id = int(ctx.chat_id)
        async with self.outbox.typing(chat_id):
            reply = await pressed
        # The new answer quotes the photo the shown answer replied to, like the first one.
        shown = query.message if isinstance(query.message, Message) else None
        anchor = (shown.reply_to_message or shown) if shown is not None else None
        reply_to = anchor.message_id if anchor else None
        if ctx.is_group and reply.private and reply.url:
            lang = self.service.in_their_language(ctx).lang
            await self._send_personal(query.from_user.id, chat_id, reply, reply_to, lang)
            return
        await self.outbox.send(chat_id, reply, reply_to=reply_to)

    async def _send_personal(
        self, user_id: int, chat_id: int, reply: Reply, reply_to: int | None, lang: str
    ) -> None:
        """A personal link (a Spotify consent page, a saved playlist) goes to the private chat."""
        try:
            await self.outbox.send(user_id, reply, raise_errors=True)
        except Forbidden:
            note = say(lang, PERSONAL_LINK["blocked"], bot=self.outbox.bot.username)
        else:
            note = say(lang, PERSONAL_LINK["sent"])
        await self.outbox.send(chat_id, Reply("info", note), reply_to=reply_to)
