"""The Telegram adapter's lifecycle: connect, publish the command menus, receive updates
(polling or webhook, through bot/telegram/inbox.py); stop after a bounded drain. Also delivers
notices (the Notifier protocol) and holds the one error handler."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from telegram import Update
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

from bot.lifecycle import Lifecycle
from bot.settings import Settings
from bot.telegram.answers import Answers
from bot.telegram.commands import Commands, publish_commands, publish_descriptions
from bot.telegram.inbox import ALLOWED_UPDATES, Inbox
from bot.telegram.outbox import Outbox, answer_query, scrub
from handlers.bot_service import BotService
from handlers.i18n import negotiate
from handlers.inbox import DurableInbox
from handlers.replies import Platform, Reply
from handlers.texts import SORRY, say

log = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE

# Loggers that would print the token below these levels.
TOKEN_LOGGERS = {
    "httpx": logging.WARNING,
    "telegram.Bot": logging.INFO,
    "telegram.ext.ExtBot": logging.INFO,
}
# What Telegram accepts as a webhook secret_token.
WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
# Parallel webhook deliveries Telegram may open to us; answers are async, so a few suffice.
WEBHOOK_MAX_CONNECTIONS = 40
# Flood control (429) names its wait; AIORateLimiter waits it out and tries this many more times.
FLOOD_RETRIES = 2

__all__ = ["TelegramAdapter", "TelegramSetupError"]


class TelegramSetupError(Exception):
    """The Telegram side cannot start as configured; the message says what to set."""


class TelegramAdapter:
    """Runs the bot (polling, or webhook with a route on our aiohttp app) and sends notices."""

    def __init__(
        self, settings: Settings, service: BotService, inbox: DurableInbox | None = None
    ) -> None:
        _check(settings)
        self.settings = settings
        # These log Bot API URLs, which carry the bot token: httpx every request at INFO,
        # PTB's bot its base URL at DEBUG.
        for name, level in TOKEN_LOGGERS.items():
            logger = logging.getLogger(name)
            logger.setLevel(max(level, logger.level))
        self.app = _build_application(settings)
        self.lifecycle = Lifecycle("telegram", inbox)
        self.inbox = Inbox(self.app, self.lifecycle)
        self.outbox = Outbox(self.app.bot)
        self.answers = Answers(settings, service, self.outbox)
        self.commands = Commands(service, self.outbox)
        self._register()

    @property
    def webhook_mode(self) -> bool:
        """Whether updates arrive by webhook rather than by polling."""
        return bool(self.settings.telegram_webhook_url)

    async def start(self) -> None:
        """Connect, publish the command menus, and start receiving updates."""
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
                f"{scrub(self.app.bot, str(err))}"
            ) from None
        mode = "webhook" if self.webhook_mode else "polling"
        log.info("Telegram bot @%s is up (%s)", self.app.bot.username, mode)

    async def _start(self) -> None:
        await self.app.initialize()
        await publish_commands(self.app.bot)
        await self._describe()
        await self.app.start()
        self.lifecycle.accepting = True
        if self.webhook_mode:
            secret = self.settings.telegram_webhook_secret
            await self.app.bot.set_webhook(
                self.settings.telegram_webhook_url,
                secret_token=secret.get_secret_value() if secret else None,
                allowed_updates=ALLOWED_UPDATES,
                max_connections=WEBHOOK_MAX_CONNECTIONS,
            )
        else:
            await self.inbox.start_polling()
        self.lifecycle.start_upkeep(self.inbox.replay)

    async def _describe(self) -> None:
        """What a new user reads before pressing Start; cosmetic, so a failure only logs."""
        try:
            await publish_descriptions(self.app.bot)
        except TelegramError as err:
            log.warning("could not set the bot's description: %s", scrub(self.app.bot, str(err)))

    async def _abort(self) -> None:
        self.lifecycle.accepting = False
        await self.inbox.stop_polling()
        if self.app.running:
            await self.app.stop()
        await self.app.shutdown()

    async def stop(self) -> None:
        """Stop taking updates, finish every accepted one, then disconnect."""
        if not self.app.running and not self.lifecycle.in_flight:
            return
        self.lifecycle.accepting = False
        await self.inbox.stop_polling()
        await self.lifecycle.drain()
        await self.lifecycle.stop_upkeep()
        if self.app.running:
            await self.app.stop()
        await self.app.shutdown()
        log.info("Telegram bot stopped")

    async def feed(self, data: dict[str, Any]) -> bool:
        """Take one update received by webhook; False while not running or when it could not
        be stored (the caller then answers non-2xx and Telegram delivers it again)."""
        return await self.inbox.receive(data)

    def held(self) -> dict[str, Callable[[], int]]:
        """The sizes of what this adapter and python-telegram-bot keep in memory per chat,
        user or update."""
        return self.lifecycle.held(
            albums=lambda: len(self.answers.albums),
            queue_notices=lambda: len(self.answers.line),
            chat_data=lambda: len(self.app.chat_data),
            user_data=lambda: len(self.app.user_data),
        )

    async def send(self, platform: Platform, chat_id: str, text: str) -> None:
        """Notifier: tell a Telegram chat something (e.g. that Spotify is linked)."""
        if self.lifecycle.is_ours(platform, chat_id):
            await self.outbox.send_plain(int(chat_id), text)

    def _register(self) -> None:
        new = filters.UpdateType.MESSAGE
        commands = self.commands
        self.app.add_handler(CommandHandler(["start", "help"], commands.help, filters=new))
        self.app.add_handler(CommandHandler("vibe", self.answers.vibe, filters=new))
        self.app.add_handler(CommandHandler("link_spotify", commands.link_spotify, filters=new))
        self.app.add_handler(CommandHandler("unlink_spotify", commands.unlink_spotify, new))
        self.app.add_handler(CommandHandler("forget_me", commands.forget_me, filters=new))
        self.app.add_handler(CommandHandler("auto", commands.auto, filters=new))
        self.app.add_handler(CommandHandler("blend", commands.blend, filters=new))
        self.app.add_handler(CommandHandler("language", commands.language, filters=new))
        media = new & (filters.PHOTO | filters.Document.ALL)
        self.app.add_handler(MessageHandler(media, self.answers.on_media))
        words = new & filters.TEXT & ~filters.COMMAND
        self.app.add_handler(MessageHandler(words, self.answers.on_text))
        self.app.add_handler(CallbackQueryHandler(self.answers.on_press))
        self.app.add_error_handler(self.on_error)

    async def on_error(self, update: object, context: Context) -> None:
        """Anything a handler did not handle (the service promises a Reply, so a bug): the
        traceback to the log, one sentence (a button's toast) to the user, never the trace."""
        log.error("error while handling a Telegram update", exc_info=context.error)
        if not isinstance(update, Update):
            return
        query = update.callback_query
        user = update.effective_user
        text = say(negotiate(user.language_code if user else None), SORRY["unexpected"])
        if query is not None and await answer_query(query, text):
            return
        if update.effective_chat is not None:
            sorry = Reply(kind="error", text=text)
            await self.outbox.send(update.effective_chat.id, sorry)


def _check(settings: Settings) -> None:
    """Refuse settings the Telegram side cannot start with, naming what to set."""
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


def _build_application(settings: Settings) -> Application[Any, Any, Any, Any, Any, Any]:
    """PTB's application for the configured Bot API; its own updater is not used (updates
    come through bot/telegram/inbox.py, which confirms one only once it is stored)."""
    assert settings.telegram_token is not None
    root = settings.telegram_api_url.rstrip("/")
    return (
        Application.builder()
        .token(settings.telegram_token.get_secret_value())
        .base_url(f"{root}/bot")
        .base_file_url(f"{root}/file/bot")
        # Keeps under Telegram's limits (30 messages/s, 20/min per group) and waits out a
        # 429's retry_after, so no answer is lost to flood control.
        .rate_limiter(AIORateLimiter(max_retries=FLOOD_RETRIES))
        .updater(None)
        .build()
    )
