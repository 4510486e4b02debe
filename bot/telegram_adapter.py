"""The Telegram adapter: filters updates, downloads images, calls BotService, renders Replies."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Coroutine, Sequence
from typing import Any

from telegram import (
    BotCommand,
    CallbackQuery,
    LinkPreviewOptions,
    Message,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatAction, ChatType, ParseMode
from telegram.error import Forbidden, TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.settings import Settings
from bot.telegram_media import AlbumBuffer, MediaError, download_all, media_of
from bot.telegram_render import render, toast
from handlers.replies import ChatContext, ImageInput, Platform, Reply
from handlers.service import BotService

log = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE

# Telegram shows a chat action for about 5 s; renew it a little before it fades.
TYPING_REPEAT_S = 4.0
# A button's spinner should stop quickly: wait this long for a toast, then answer empty.
PRESS_TOAST_WAIT_S = 2.0
# Long-poll length for getUpdates: long enough to idle cheaply, short enough to stop fast.
POLL_TIMEOUT_S = 10
# Only these update types are asked for; everything else would be filtered out anyway.
ALLOWED_UPDATES = ["message", "callback_query"]
# Parallel webhook deliveries Telegram may open to us; answers are async, so a few suffice.
WEBHOOK_MAX_CONNECTIONS = 40

# Said when a service call raised anyway: the user sees one sentence, the log has the trace.
SORRY = "Something went wrong on my side; please try again in a minute."

COMMANDS = (
    BotCommand("vibe", "Songs for a photo or for words: /vibe rainy night drive"),
    BotCommand("link_spotify", "Connect your Spotify so answers come from your library"),
    BotCommand("unlink_spotify", "Disconnect Spotify and delete your imported library"),
    BotCommand("forget_me", "Delete everything MelodicLens knows about you"),
    BotCommand("auto", "Groups: /auto on answers every photo, /auto off stops"),
    BotCommand("blend", "Groups: /blend on lets your library blend into this group's answers"),
    BotCommand("help", "What this bot does"),
)


class TelegramSetupError(Exception):
    """The Telegram side cannot start as configured; the message says what to set."""


class TelegramAdapter:
    """Runs the bot (polling, or webhook with a route on our aiohttp app) and sends notices."""

    def __init__(self, settings: Settings, service: BotService) -> None:
        if settings.telegram_token is None:
            raise TelegramSetupError("Set TELEGRAM_TOKEN to the token @BotFather gave you.")
        if settings.telegram_webhook_url and settings.telegram_webhook_secret is None:
            raise TelegramSetupError(
                "Webhook mode needs MELODICLENS_TELEGRAM_WEBHOOK_SECRET "
                "(1-256 characters of A-Z, a-z, 0-9, _ and -)."
            )
        self.settings = settings
        self.service = service
        # httpx logs every request URL at INFO, and Bot API URLs carry the bot token.
        logging.getLogger("httpx").setLevel(max(logging.WARNING, logging.getLogger("httpx").level))
        root = settings.telegram_api_url.rstrip("/")
        builder = (
            Application.builder()
            .token(settings.telegram_token.get_secret_value())
            .base_url(f"{root}/bot")
            .base_file_url(f"{root}/file/bot")
        )
        if self.webhook_mode:
            builder = builder.updater(None)
        self.app = builder.build()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._accepting = False
        self._albums = AlbumBuffer(settings.album_wait_s, self._answer_media, self._spawn)
        self._register()

    @property
    def webhook_mode(self) -> bool:
        """Whether updates arrive by webhook rather than by polling."""
        return bool(self.settings.telegram_webhook_url)

    # --- lifecycle ---------------------------------------------------------------------

    async def start(self) -> None:
        """Connect, register the commands, and start receiving updates."""
        await self.app.initialize()
        await self.app.bot.set_my_commands(COMMANDS)
        await self.app.start()
        if self.webhook_mode:
            secret = self.settings.telegram_webhook_secret
            await self.app.bot.set_webhook(
                self.settings.telegram_webhook_url,
                secret_token=secret.get_secret_value() if secret else None,
                allowed_updates=ALLOWED_UPDATES,
                max_connections=WEBHOOK_MAX_CONNECTIONS,
            )
        else:
            assert self.app.updater is not None
            await self.app.updater.start_polling(
                timeout=POLL_TIMEOUT_S, allowed_updates=ALLOWED_UPDATES
            )
        self._accepting = True
        log.info("Telegram bot @%s is up (%s)", self.app.bot.username, self._mode)

    async def stop(self) -> None:
        """Stop taking updates, finish every accepted one, then disconnect."""
        if not self.app.running and not self._tasks:
            return
        self._accepting = False
        if self.app.updater is not None and self.app.updater.running:
            await self.app.updater.stop()
        if self.app.running:
            # Handles the updates already queued and waits for the tasks they started.
            await self.app.stop()
        while pending := [task for task in self._tasks if not task.done()]:
            await asyncio.gather(*pending)
        await self.app.shutdown()
        log.info("Telegram bot stopped")

    async def feed(self, data: dict[str, Any]) -> bool:
        """Queue one update received by webhook; False while not running."""
        if not self._accepting:
            return False
        update = Update.de_json(data, self.app.bot)
        await self.app.update_queue.put(update)
        return True

    async def send(self, platform: Platform, chat_id: str, text: str) -> None:
        """Notifier: tell a Telegram chat something (e.g. that Spotify is linked)."""
        if platform != "telegram":
            log.debug("ignoring a %s notice", platform)
            return
        try:
            await self.app.bot.send_message(
                int(chat_id), text, link_preview_options=LinkPreviewOptions(is_disabled=True)
            )
        except TelegramError as err:
            # A notice is best effort: a user who blocked the bot must not fail a sync job.
            log.warning("could not notify Telegram chat %s: %s", chat_id, err)

    @property
    def _mode(self) -> str:
        return "webhook" if self.webhook_mode else "polling"

    def _spawn(self, coro: Coroutine[Any, Any, None], update: object) -> None:
        # Answers run as tasks so that one slow photo never holds up the next update;
        # stop() awaits whatever is left, so no accepted photo goes unanswered.
        task = asyncio.create_task(self._guarded(coro, update))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _guarded(self, coro: Coroutine[Any, Any, None], update: object) -> None:
        try:
            await coro
        except Exception as err:
            await self._report(update, err)

    # --- registration ------------------------------------------------------------------

    def _register(self) -> None:
        new = filters.UpdateType.MESSAGE
        commands = {
            "start": self._on_help,
            "help": self._on_help,
            "vibe": self._on_vibe,
            "link_spotify": self._on_link,
            "unlink_spotify": self._on_unlink,
            "forget_me": self._on_forget,
            "auto": self._on_auto,
            "blend": self._on_blend,
        }
        for name, callback in commands.items():
            self.app.add_handler(CommandHandler(name, callback, filters=new))
        media = new & (filters.PHOTO | filters.Document.ALL)
        self.app.add_handler(MessageHandler(media, self._on_media))
        self.app.add_handler(CallbackQueryHandler(self._on_press))
        self.app.add_error_handler(self._on_error)

    async def _on_error(self, update: object, context: Context) -> None:
        """Log anything unexpected with its traceback; the user never sees one."""
        await self._report(update, context.error)

    async def _report(self, update: object, error: BaseException | None) -> None:
        log.error("error while handling a Telegram update", exc_info=error)
        chat = update.effective_chat if isinstance(update, Update) else None
        chat = update.chat if isinstance(update, Message) else chat
        if chat is not None:
            await self._send(chat.id, Reply(kind="error", text=SORRY))

    # --- photos, documents, albums -----------------------------------------------------

    async def _on_media(self, update: Update, context: Context) -> None:
        """A photo or a file: answer it, or buffer it with the rest of its album."""
        message = update.effective_message
        if message is None or message.from_user is None:
            return
        if message.media_group_id:
            self._albums.add(message)
        else:
            self._spawn(self._answer_media([message]), update)

    async def _answer_media(self, messages: list[Message]) -> None:
        """One answer for a photo, an image file or a whole album."""
        first = messages[0]
        ctx = self._ctx(first)
        if ctx.is_group and not await self._wanted_in_group(ctx, messages):
            return
        words = " ".join(filter(None, (self._words(m) for m in messages)))
        refs = [ref for ref in map(media_of, messages) if ref is not None]
        async with self._typing(first.chat_id):
            try:
                images = await download_all(self.app.bot, refs, self.settings.max_image_bytes)
            except MediaError as err:
                reply = Reply(kind="error", text=str(err))
            else:
                reply = await self._vibe(ctx, first, images, words)
        await self._send(first.chat_id, reply, reply_to=first.message_id)

    async def _vibe(
        self, ctx: ChatContext, asked: Message, images: Sequence[ImageInput], words: str
    ) -> Reply:
        async def on_queued(place: int) -> None:
            text = f"You're #{place} in line; your songs are on the way."
            await self._send(asked.chat_id, Reply(kind="queued", text=text), asked.message_id)

        return await self._call(self.service.vibe(ctx, images, words, on_queued=on_queued))

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
        caption = (message.caption or "").lower()
        username = f"@{self.app.bot.username}".lower()
        replied = message.reply_to_message
        return (
            username in caption
            or caption.startswith("/vibe")
            or (
                replied is not None
                and replied.from_user is not None
                and replied.from_user.id == self.app.bot.id
            )
        )

    def _words(self, message: Message) -> str:
        """The caption without the bot's @mention or a leading /vibe."""
        words = message.caption or ""
        username = f"@{self.app.bot.username}"
        if words.lower().startswith("/vibe"):
            words = words[len("/vibe") :]
        idx = words.lower().find(username.lower())
        while idx >= 0:
            words = words[:idx] + words[idx + len(username) :]
            idx = words.lower().find(username.lower())
        return " ".join(words.split())

    # --- commands -----------------------------------------------------------------------

    async def _on_help(self, update: Update, context: Context) -> None:
        """/start and /help: what the bot does."""
        if (message := update.effective_message) is not None:
            await self._send_command_reply(message, self.service.help("telegram"))

    async def _on_vibe(self, update: Update, context: Context) -> None:
        """/vibe WORDS, optionally as a reply to a photo."""
        message = update.effective_message
        if message is None or message.from_user is None:
            return
        self._spawn(self._answer_vibe(message, " ".join(context.args or [])), update)

    async def _answer_vibe(self, message: Message, words: str) -> None:
        ctx = self._ctx(message)
        source = message.reply_to_message
        ref = media_of(source) if source is not None else None
        async with self._typing(message.chat_id):
            try:
                images = await download_all(
                    self.app.bot, [ref] if ref else [], self.settings.max_image_bytes
                )
            except MediaError as err:
                reply = Reply(kind="error", text=str(err))
            else:
                reply = await self._vibe(ctx, message, images, words)
        target = source if source is not None and ref is not None else message
        await self._send(message.chat_id, reply, reply_to=target.message_id)

    async def _on_link(self, update: Update, context: Context) -> None:
        """/link_spotify: the authorize link, always in the private chat."""
        message = update.effective_message
        if message is None or message.from_user is None:
            return
        user = message.from_user
        private = ChatContext("telegram", str(user.id), str(user.id), user.full_name, False)
        reply = await self._call(self.service.link_spotify(private))
        if message.chat.type == ChatType.PRIVATE:
            await self._send(message.chat_id, reply)
            return
        try:
            await self._send(user.id, reply, raise_errors=True)
        except Forbidden:
            note = (
                f"I can't message you privately yet: open a chat with @{self.app.bot.username}, "
                "press Start, then send /link_spotify there."
            )
        else:
            note = "I sent you the Spotify link in a private message."
        await self._send(message.chat_id, Reply(kind="info", text=note), message.message_id)

    async def _on_unlink(self, update: Update, context: Context) -> None:
        """/unlink_spotify."""
        await self._simple(update, lambda ctx: self.service.unlink_spotify(ctx))

    async def _on_forget(self, update: Update, context: Context) -> None:
        """/forget_me."""
        await self._simple(update, lambda ctx: self.service.forget_me(ctx))

    async def _on_auto(self, update: Update, context: Context) -> None:
        """/auto on|off: answer every photo in this group, or only when addressed."""
        await self._switch(update, context, "auto", self.service.set_auto)

    async def _on_blend(self, update: Update, context: Context) -> None:
        """/blend on|off: let this member's library blend into the group's answers."""
        await self._switch(update, context, "blend", self.service.set_blend)

    async def _switch(self, update: Update, context: Context, name: str, setter: Any) -> None:
        message = update.effective_message
        if message is None or message.from_user is None:
            return
        arg = (context.args or [""])[0].lower()
        if arg not in ("on", "off"):
            usage = Reply(kind="info", text=f"Use /{name} on or /{name} off.")
            await self._send_command_reply(message, usage)
            return
        reply = await self._call(setter(self._ctx(message), arg == "on"))
        await self._send_command_reply(message, reply)

    async def _simple(self, update: Update, call: Any) -> None:
        message = update.effective_message
        if message is None or message.from_user is None:
            return
        reply = await self._call(call(self._ctx(message)))
        await self._send_command_reply(message, reply)

    # --- buttons ------------------------------------------------------------------------

    async def _on_press(self, update: Update, context: Context) -> None:
        """A button under an answer: feedback (a toast) or a new answer (a message)."""
        query = update.callback_query
        if query is None or query.data is None:
            return
        self._spawn(self._answer_press(query, query.data), update)

    async def _answer_press(self, query: CallbackQuery, action: str) -> None:
        shown = query.message
        chat_id = shown.chat.id if shown is not None else query.from_user.id
        ctx = ChatContext(
            "telegram",
            str(query.from_user.id),
            str(chat_id),
            query.from_user.full_name,
            shown is not None and shown.chat.type in (ChatType.GROUP, ChatType.SUPERGROUP),
        )
        pressed = asyncio.ensure_future(self._call(self.service.press(ctx, action)))
        done, _ = await asyncio.wait({pressed}, timeout=PRESS_TOAST_WAIT_S)
        if done and pressed.result().kind in ("info", "error"):
            await query.answer(toast(pressed.result()))
            return
        await query.answer()
        async with self._typing(chat_id):
            reply = await pressed
        photo = shown.reply_to_message if isinstance(shown, Message) else None
        anchor = photo or (shown if isinstance(shown, Message) else None)
        await self._send(chat_id, reply, reply_to=anchor.message_id if anchor else None)

    # --- helpers ------------------------------------------------------------------------

    def _ctx(self, message: Message) -> ChatContext:
        user = message.from_user
        assert user is not None
        return ChatContext(
            platform="telegram",
            user_id=str(user.id),
            chat_id=str(message.chat_id),
            user_name=user.full_name,
            is_group=message.chat.type in (ChatType.GROUP, ChatType.SUPERGROUP),
        )

    async def _call(self, call: Awaitable[Reply]) -> Reply:
        """A service call whose unexpected failure becomes one friendly sentence."""
        try:
            return await call
        except Exception:
            log.exception("the bot service failed")
            return Reply(kind="error", text=SORRY)

    async def _send_command_reply(self, message: Message, reply: Reply) -> None:
        # In groups a command's answer quotes it so the asker finds it; privately it need not.
        quote = message.chat.type != ChatType.PRIVATE
        await self._send(message.chat_id, reply, message.message_id if quote else None)

    async def _send(
        self, chat_id: int, reply: Reply, reply_to: int | None = None, raise_errors: bool = False
    ) -> None:
        rendered = render(reply)
        try:
            await self.app.bot.send_message(
                chat_id,
                rendered.text,
                parse_mode=ParseMode.HTML,
                reply_markup=rendered.markup,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
                reply_parameters=(
                    ReplyParameters(reply_to, allow_sending_without_reply=True)
                    if reply_to is not None
                    else None
                ),
            )
        except TelegramError as err:
            if raise_errors:
                raise
            log.warning("could not send to Telegram chat %s: %s", chat_id, err)

    @contextlib.asynccontextmanager
    async def _typing(self, chat_id: int) -> AsyncIterator[None]:
        """Show "typing..." in the chat until the block is done."""

        async def keep_typing() -> None:
            while True:
                try:
                    await self.app.bot.send_chat_action(chat_id, ChatAction.TYPING)
                except TelegramError as err:
                    log.debug("chat action failed in %s: %s", chat_id, err)
                await asyncio.sleep(TYPING_REPEAT_S)

        task = asyncio.create_task(keep_typing())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
