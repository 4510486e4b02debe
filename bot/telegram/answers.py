"""Song answers on Telegram: photos, image files, albums, /vibe, and the buttons under answers."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Sequence

from telegram import CallbackQuery, Message
from telegram.error import Forbidden, TelegramError

from bot.settings import Settings
from bot.telegram.media import MediaError, MediaRef, download_all, media_of
from bot.telegram.outbox import GROUP_TYPES, Outbox, context_of, guarded
from bot.telegram.queue import QueueNotices
from bot.telegram.render import toast
from handlers.replies import ChatContext, ImageInput, Reply
from handlers.service import BotService
from handlers.texts import PERSONAL_LINK

log = logging.getLogger(__name__)

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
        self.line = QueueNotices(outbox.bot)

    async def media(self, messages: list[Message]) -> None:
        """One answer for a photo, an image file or a whole album."""
        first = messages[0]
        ctx = context_of(first)
        if ctx.is_group and not await self._wanted_in_group(ctx, messages):
            return
        words = " ".join(filter(None, (self._words(m) for m in messages)))
        refs = [ref for ref in map(media_of, messages) if ref is not None]
        reply = await self._vibe(ctx, first, refs, words)
        await self.outbox.send(first.chat_id, reply, reply_to=first.message_id)

    async def text(self, message: Message) -> None:
        """Plain words: songs for them in a private chat, and in a group when they mention
        the bot or reply to it."""
        ctx = context_of(message)
        if ctx.is_group and not self._addressed(message):
            return
        reply = await self._vibe(ctx, message, [], self._words(message))
        await self.outbox.send(message.chat_id, reply, reply_to=message.message_id)

    async def vibe_command(self, message: Message, args: Sequence[str]) -> None:
        """/vibe WORDS, optionally as a reply to a photo (which it then uses)."""
        source = message.reply_to_message
        ref = media_of(source) if source is not None else None
        reply = await self._vibe(context_of(message), message, [ref] if ref else [], " ".join(args))
        target = source if source is not None and ref is not None else message
        await self.outbox.send(message.chat_id, reply, reply_to=target.message_id)

    async def _vibe(
        self, ctx: ChatContext, asked: Message, refs: Sequence[MediaRef], words: str
    ) -> Reply:
        # Counted before any download, one per photo, so an album cannot slip past the limit.
        refusal = self.service.admit(ctx, len(refs))
        if refusal is not None:
            return refusal
        waiting = self.line.waiting(asked.chat_id, asked.message_id)
        async with self.outbox.typing(asked.chat_id), waiting as on_queued:
            try:
                images: list[ImageInput] = await download_all(
                    self.outbox.bot, refs, self.settings.max_image_bytes
                )
            except MediaError as err:
                return Reply(kind="error", text=str(err))
            vibe = self.service.vibe(ctx, images, words, on_queued=on_queued, admitted=True)
            return await guarded(vibe)

    async def _wanted_in_group(self, ctx: ChatContext, messages: list[Message]) -> bool:
        """In groups: answer when addressed, or every image once /auto is on."""
        if any(self._addressed(m) for m in messages):
            return True
        refs = [media_of(m) for m in messages]
        # Auto mode answers images only: a PDF shared in the group is not a request.
        if not all(ref is not None and ref.is_image for ref in refs):
            return False
        try:
            return await self.service.auto_enabled("telegram", ctx.chat_id)
        except Exception:
            log.exception("could not read the auto setting of chat %s", ctx.chat_id)
            return False

    def _addressed(self, message: Message) -> bool:
        """Mentioned in the caption or text, captioned /vibe, or a reply to the bot."""
        caption = (message.caption or message.text or "").lower()
        replied = message.reply_to_message
        sender = replied.from_user if replied is not None else None
        return (
            f"@{self.outbox.bot.username}".lower() in caption
            or caption.startswith("/vibe")
            or (sender is not None and sender.id == self.outbox.bot.id)
        )

    def _words(self, message: Message) -> str:
        """The caption (or text) without the bot's @mention or a leading /vibe."""
        said = message.caption or message.text or ""
        words = re.sub(r"^/vibe\b", "", said, flags=re.IGNORECASE)
        mention = re.escape(f"@{self.outbox.bot.username}")
        words = re.sub(mention, "", words, flags=re.IGNORECASE)
        return " ".join(words.split())

    async def press(self, query: CallbackQuery, action: str) -> None:
        """A button under an answer: feedback gets a toast, more/diff get a new answer."""
        shown = query.message if isinstance(query.message, Message) else None
        chat_id = query.message.chat.id if query.message is not None else query.from_user.id
        in_group = query.message is not None and query.message.chat.type in GROUP_TYPES
        user = query.from_user
        ctx = ChatContext("telegram", str(user.id), str(chat_id), user.full_name, in_group)
        pressed = asyncio.ensure_future(guarded(self.service.press(ctx, action)))
        done, _ = await asyncio.wait({pressed}, timeout=PRESS_TOAST_WAIT_S)
        # a reply with a link (a saved playlist) needs a message: a toast cannot carry one
        if done and pressed.result().kind in TOAST_KINDS and not pressed.result().url:
            await _answer_query(query, toast(pressed.result()))
            return
        await _answer_query(query)
        async with self.outbox.typing(chat_id):
            reply = await pressed
        # The new answer quotes the photo the shown answer replied to, like the first one.
        anchor = (shown.reply_to_message or shown) if shown is not None else None
        reply_to = anchor.message_id if anchor else None
        if in_group and reply.private and reply.url:
            await self._send_personal(user.id, chat_id, reply, reply_to)
            return
        await self.outbox.send(chat_id, reply, reply_to=reply_to)

    async def _send_personal(
        self, user_id: int, chat_id: int, reply: Reply, reply_to: int | None
    ) -> None:
        """A personal link (a Spotify consent page, a saved playlist) goes to the private chat."""
        try:
            await self.outbox.send(user_id, reply, raise_errors=True)
        except Forbidden:
            note = PERSONAL_LINK["blocked"].format(bot=self.outbox.bot.username)
        else:
            note = PERSONAL_LINK["sent"]
        await self.outbox.send(chat_id, Reply("info", note), reply_to=reply_to)


async def _answer_query(query: CallbackQuery, text: str | None = None) -> None:
    try:
        await query.answer(text)
    except TelegramError as err:
        # An old or already answered query only leaves a spinner; the answer still goes out.
        log.info("could not answer callback query %s: %s", query.id, err)
