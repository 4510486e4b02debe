"""The Telegram adapter: receives updates (polling or webhook) and hands them to the handlers."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from telegram import Message, Update
from telegram.error import InvalidToken, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.settings import Settings
from bot.telegram.answers import Answers
from bot.telegram.commands import Commands, register_commands
from bot.telegram.media import AlbumBuffer
from bot.telegram.outbox import Outbox
from handlers.replies import Platform, Reply
from handlers.service import BotService
from handlers.texts import SORRY, TELEGRAM_DESCRIPTION, TELEGRAM_SHORT_DESCRIPTION

log = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE
CommandWork = Callable[[Message, Sequence[str]], Coroutine[Any, Any, None]]

# Long-poll length for getUpdates: long enough to idle cheaply, short enough to stop fast.
POLL_TIMEOUT_S = 10
# Only these update types are asked for; everything else would be filtered out anyway.
ALLOWED_UPDATES = ["message", "callback_query"]
# Loggers that would print the token below these levels.
TOKEN_LOGGERS = {
    "httpx": logging.WARNING,
    "telegram.Bot": logging.INFO,
    "telegram.ext.ExtBot": logging.INFO,
}
# What Telegram accepts as a webhook secret_token.
WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
# On stop, accepted answers get this long to finish (vision calls time out well before it).
STOP_GRACE_S = 120.0
# Parallel webhook deliveries Telegram may open to us; answers are async, so a few suffice.
WEBHOOK_MAX_CONNECTIONS = 40
# Flood control (429) names its wait; AIORateLimiter waits it out and tries this many more times.
FLOOD_RETRIES = 2

__all__ = ["TelegramAdapter", "TelegramSetupError"]


class TelegramSetupError(Exception):
    """The Telegram side cannot start as configured; the message says what to set."""


class TelegramAdapter:
    """Runs the bot (polling, or webhook with a route on our aiohttp app) and sends notices."""

    def __init__(self, settings: Settings, service: BotService) -> None:
        if settings.telegram_token is None:
            raise TelegramSetupError("Set TELEGRAM_TOKEN to the token @BotFather gave you.")
        secret = settings.telegram_webhook_secret
        if settings.telegram_webhook_url and (
            secret is None or not WEBHOOK_SECRET.fullmatch(secret.get_secret_value())
        ):
            raise TelegramSetupError(
                "Webhook mode needs MELODICLENS_TELEGRAM_WEBHOOK_SECRET "
                "(1-256 characters of A-Z, a-z, 0-9, _ and -; try: openssl rand -hex 32)."
            )
        self.settings = settings
        # These log Bot API URLs, which carry the bot token: httpx every request at INFO,
        # PTB's bot its base URL at DEBUG.
        for name, level in TOKEN_LOGGERS.items():
            logger = logging.getLogger(name)
            logger.setLevel(max(level, logger.level))
        root = settings.telegram_api_url.rstrip("/")
        builder = (
            Application.builder()
            .token(settings.telegram_token.get_secret_value())
            .base_url(f"{root}/bot")
            .base_file_url(f"{root}/file/bot")
            # Keeps under Telegram's limits (30 messages/s, 20/min per group) and waits out
            # a 429's retry_after, so no answer is lost to flood control.
            .rate_limiter(AIORateLimiter(max_retries=FLOOD_RETRIES))
        )
        if self.webhook_mode:
            builder = builder.updater(None)
        self.app = builder.build()
        self.outbox = Outbox(self.app.bot)
        self.answers = Answers(settings, service, self.outbox)
        self.commands = Commands(service, self.outbox)
        self._albums = AlbumBuffer(settings.album_wait_s, self.answers.media, self._spawn)
        self._tasks: set[asyncio.Task[None]] = set()
        self._accepting = False
        self._register()

    @property
    def webhook_mode(self) -> bool:
        """Whether updates arrive by webhook rather than by polling."""
        return bool(self.settings.telegram_webhook_url)

    # --- lifecycle ---------------------------------------------------------------------

    async def start(self) -> None:
        """Connect, register the commands, and start receiving updates."""
        try:
            await self._start()
        except InvalidToken:
            await self._abort()
            # PTB's own message quotes the token; this one must not.
            raise TelegramSetupError(
                "Telegram rejected TELEGRAM_TOKEN; copy it again from @BotFather (/token)."
            ) from None
        except TelegramError as err:
            await self._abort()
            raise TelegramSetupError(
                f"the Telegram Bot API at {self.settings.telegram_api_url} failed: "
                f"{self._scrub(str(err))}"
            ) from None
        self._accepting = True
        mode = "webhook" if self.webhook_mode else "polling"
        log.info("Telegram bot @%s is up (%s)", self.app.bot.username, mode)

    async def _start(self) -> None:
        await self.app.initialize()
        await register_commands(self.app.bot)
        await self._describe()
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

    async def _describe(self) -> None:
        """What a new user reads before pressing Start; cosmetic, so a failure only logs."""
        try:
            await self.app.bot.set_my_description(TELEGRAM_DESCRIPTION)
            await self.app.bot.set_my_short_description(TELEGRAM_SHORT_DESCRIPTION)
        except TelegramError as err:
            log.warning("could not set the bot's description: %s", self._scrub(str(err)))

    async def _abort(self) -> None:
        if self.app.running:
            await self.app.stop()
        await self.app.shutdown()

    def _scrub(self, text: str) -> str:
        return text.replace(self.app.bot.token, "<TELEGRAM_TOKEN>")

    async def stop(self) -> None:
        """Stop taking updates, finish every accepted one, then disconnect."""
        if not self.app.running and not self._tasks:
            return
        self._accepting = False
        if self.app.updater is not None and self.app.updater.running:
            await self.app.updater.stop()
        # First the answers already running, within the grace period (app.stop() would wait
        # for its create_task tasks without a bound)...
        await self._finish_tasks()
        if self.app.running:
            # ...then the updates already fetched, which may start more answer tasks...
            await self.app.stop()
        await self._finish_tasks()  # ...which are finished here.
        await self.app.shutdown()
        log.info("Telegram bot stopped")

    async def _finish_tasks(self) -> None:
        pending = [task for task in self._tasks if not task.done()]
        if not pending:
            return
        _, late = await asyncio.wait(pending, timeout=STOP_GRACE_S)
        if late:
            log.warning("giving up on %d Telegram answers after %.0f s", len(late), STOP_GRACE_S)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)

    async def feed(self, data: dict[str, Any]) -> bool:
        """Queue one update received by webhook; False while not running."""
        if not self._accepting:
            return False
        try:
            update = Update.de_json(data, self.app.bot)
        except Exception:
            # Accepted and dropped: a non-2xx answer would make Telegram resend it forever.
            log.exception("dropping a webhook update that is not a valid Update")
            return True
        await self.app.update_queue.put(update)
        return True

    async def send(self, platform: Platform, chat_id: str, text: str) -> None:
        """Notifier: tell a Telegram chat something (e.g. that Spotify is linked)."""
        if platform != "telegram":
            log.debug("ignoring a %s notice", platform)
            return
        await self.outbox.send_plain(int(chat_id), text)

    # --- updates -----------------------------------------------------------------------

    def _register(self) -> None:
        new = filters.UpdateType.MESSAGE
        commands: dict[str, CommandWork] = {
            "start": self.commands.help,
            "help": self.commands.help,
            "vibe": self.answers.vibe_command,
            "link_spotify": self.commands.link_spotify,
            "unlink_spotify": self.commands.unlink_spotify,
            "forget_me": self.commands.forget_me,
            "auto": self.commands.auto,
            "blend": self.commands.blend,
        }
        for name, work in commands.items():
            self.app.add_handler(CommandHandler(name, self._command(work), filters=new))
        media = new & (filters.PHOTO | filters.Document.ALL)
        self.app.add_handler(MessageHandler(media, self._on_media))
        words = new & filters.TEXT & ~filters.COMMAND
        self.app.add_handler(MessageHandler(words, self._on_text))
        self.app.add_handler(CallbackQueryHandler(self._on_press))
        self.app.add_error_handler(self._on_error)

    def _command(self, work: CommandWork) -> Callable[[Update, Context], Coroutine[Any, Any, None]]:
        async def on_command(update: Update, context: Context) -> None:
            message = update.effective_message
            if message is not None and message.from_user is not None:
                self._spawn(work(message, context.args or []), update)

        return on_command

    async def _on_media(self, update: Update, context: Context) -> None:
        """A photo or a file: answer it, or buffer it with the rest of its album."""
        message = update.effective_message
        if message is None or message.from_user is None:
            return
        if message.media_group_id:
            self._albums.add(message)
        else:
            self._spawn(self.answers.media([message]), update)

    async def _on_text(self, update: Update, context: Context) -> None:
        """Plain words (a private chat, or addressed to the bot in a group)."""
        message = update.effective_message
        if message is not None and message.from_user is not None:
            self._spawn(self.answers.text(message), update)

    async def _on_press(self, update: Update, context: Context) -> None:
        """A button under an answer."""
        query = update.callback_query
        if query is not None and query.data is not None:
            self._spawn(self.answers.press(query, query.data), update)

    def _spawn(self, work: Coroutine[Any, Any, None], update: object) -> None:
        # Answers run as the application's tasks so that one slow photo never holds up the
        # next update; stop() awaits whatever is left, so no accepted photo goes unanswered.
        task = self.app.create_task(self._guarded(work, update), update=update)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _guarded(self, work: Coroutine[Any, Any, None], update: object) -> None:
        try:
            await work
        except Exception as err:
            await self._report(update, err)

    async def _on_error(self, update: object, context: Context) -> None:
        """Log anything unexpected with its traceback; the user never sees one."""
        await self._report(update, context.error)

    async def _report(self, update: object, error: BaseException | None) -> None:
        log.error("error while handling a Telegram update", exc_info=error)
        chat = update.effective_chat if isinstance(update, Update) else None
        chat = update.chat if isinstance(update, Message) else chat
        if chat is not None:
            await self.outbox.send(chat.id, Reply(kind="error", text=SORRY["unexpected"]))
