"""The Telegram adapter: receives updates (polling or webhook) and hands them to the handlers."""

from __future__ import annotations

import asyncio
import contextlib
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
from db.inbox import InboxItem
from handlers.inbox import DurableInbox
from handlers.replies import Platform, Reply
from handlers.service import BotService
from handlers.texts import SORRY, TELEGRAM_DESCRIPTION, TELEGRAM_SHORT_DESCRIPTION

log = logging.getLogger(__name__)


def _sender(data: dict[str, Any]) -> tuple[str | None, str | None]:
    """(chat id, user id) of a raw update, for /forget_me on rows not yet answered."""
    for kind in ("message", "edited_message", "callback_query"):
        part = data.get(kind)
        if isinstance(part, dict):
            message = part.get("message", part) if kind == "callback_query" else part
            chat = message.get("chat") if isinstance(message, dict) else None
            sender = part.get("from")
            chat_id = chat.get("id") if isinstance(chat, dict) else None
            user_id = sender.get("id") if isinstance(sender, dict) else None
            return (
                None if chat_id is None else str(chat_id),
                None if user_id is None else str(user_id),
            )
    return None, None


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
# getUpdates failing (Telegram or the network down) is retried after this, doubling to the cap.
POLL_RETRY_BASE_S = 1.0
POLL_RETRY_CAP_S = 30.0
# While the inbox cannot store updates (database down) they stay unconfirmed at Telegram;
# fetching them again waits this long.
INBOX_RETRY_S = 2.0
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
        if self.webhook_mode or inbox is not None:
            # With an inbox we poll ourselves: an update is confirmed only once it is stored.
            builder = builder.updater(None)
        self.app = builder.build()
        self.inbox = inbox
        # Inbox rows of updates being dispatched, then of the answers they started.
        self._rows: dict[int, int] = {}
        self._album_rows: dict[tuple[int, str], list[int]] = {}
        self._background: list[asyncio.Task[None]] = []
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
        elif self.inbox is not None:
            await self.app.bot.delete_webhook()
            self._background.append(asyncio.create_task(self._poll(), name="telegram-poll"))
        else:
            assert self.app.updater is not None
            await self.app.updater.start_polling(
                timeout=POLL_TIMEOUT_S, allowed_updates=ALLOWED_UPDATES
            )
        if self.inbox is not None:
            upkeep = asyncio.create_task(self.inbox.maintain(self._replay), name="telegram-inbox")
            self._background.append(upkeep)

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
        await self._stop_background(keep_upkeep=True)
        # First the answers already running, within the grace period (app.stop() would wait
        # for its create_task tasks without a bound)...
        await self._finish_tasks()
        if self.app.running:
            # ...then the updates already fetched, which may start more answer tasks...
            await self.app.stop()
        await self._finish_tasks()  # ...which are finished here.
        await self._stop_background(keep_upkeep=False)
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

    async def _stop_background(self, *, keep_upkeep: bool) -> None:
        # The poller stops first; the inbox upkeep keeps renewing the leases of the answers
        # still running until they are finished.
        for task in list(self._background):
            if keep_upkeep and task.get_name() == "telegram-inbox":
                continue
            if task.get_name() == "telegram-inbox" and self.inbox is not None:
                self.inbox.stop()
            else:
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            self._background.remove(task)

    async def feed(self, data: dict[str, Any]) -> bool:
        """Take one update received by webhook; False while not running or when it could not
        be stored (the caller then answers non-2xx and Telegram delivers it again)."""
        if not self._accepting:
            return False
        if self.inbox is None:
            try:
                update = Update.de_json(data, self.app.bot)
            except Exception:
                # Accepted and dropped: a non-2xx answer would make Telegram resend it forever.
                log.exception("dropping a webhook update that is not a valid Update")
                return True
            await self.app.update_queue.put(update)
            return True
        return await self._accept(data)

    # --- durable intake ----------------------------------------------------------------

    async def _poll(self) -> None:
        """getUpdates until stopped; the offset moves past an update only once it is stored."""
        offset: int | None = None
        failures = 0
        while self._accepting:
            try:
                updates = await self.app.bot.get_updates(
                    offset=offset, timeout=POLL_TIMEOUT_S, allowed_updates=ALLOWED_UPDATES
                )
            except TelegramError as err:
                failures += 1
                delay = min(POLL_RETRY_BASE_S * 2 ** (failures - 1), POLL_RETRY_CAP_S)
                log.warning("getUpdates failed (%s); retrying in %.0f s",
                            self._scrub(str(err)), delay)  # fmt: skip
                await asyncio.sleep(delay)
                continue
            failures = 0
            for update in updates:
                if not await self._accept(update.to_dict()):
                    await asyncio.sleep(INBOX_RETRY_S)  # fetched again, from this one on
                    break
                offset = update.update_id + 1

    async def _accept(self, data: dict[str, Any]) -> bool:
        """Store the update, then dispatch it; False when it could not be stored."""
        assert self.inbox is not None
        chat_id, user_id = _sender(data)
        try:
            row = await self.inbox.accept(
                str(data.get("update_id")), data, chat_id=chat_id, user_id=user_id
            )
        except Exception as err:  # the database is away: leave the update with Telegram
            log.warning("could not store Telegram update %s: %s", data.get("update_id"), err)
            return False
        if row is None:
            log.info("Telegram update %s was delivered before; skipped", data.get("update_id"))
            return True
        await self._dispatch(data, row)
        return True

    async def _replay(self, item: InboxItem) -> None:
        """An update a stopped process had accepted but not answered."""
        if self._accepting:
            await self._dispatch(item.payload, item.id)

    async def _dispatch(self, data: dict[str, Any], row: int) -> None:
        """Run the handlers; the row is done when nothing was started for it, else when the
        answer it started is sent."""
        assert self.inbox is not None
        try:
            update = Update.de_json(data, self.app.bot)
        except Exception:
            log.exception("dropping a Telegram update that is not a valid Update")
            await self.inbox.done([row], failed="not a valid Update")
            return
        self._rows[update.update_id] = row
        try:
            await self.app.process_update(update)
        finally:
            left = self._rows.pop(update.update_id, None)
            if left is not None:
                await self.inbox.done([left])

    def held(self) -> dict[str, Callable[[], int]]:
        """The sizes of what this adapter keeps in memory per chat, user or update (for the
        metrics: each must follow the answers in flight, never the users ever seen)."""
        return {
            "telegram_answers_running": lambda: len(self._tasks),
            "telegram_inbox_rows": lambda: len(self._rows) + len(self._album_rows),
            "telegram_albums": lambda: len(self._albums),
            "telegram_queue_notices": lambda: len(self.answers.line),
            "telegram_chat_data": lambda: len(self.app.chat_data),
            "telegram_user_data": lambda: len(self.app.user_data),
        }

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
            self._join_album(update, message)
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
        task = self.app.create_task(
            self._guarded(work, update, self._claim_rows(update)), update=update
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _claim_rows(self, update: object) -> list[int]:
        """The inbox rows the answer to `update` settles (an album's list grows as its parts
        arrive)."""
        if isinstance(update, Message) and update.media_group_id:
            return self._album_rows.setdefault((update.chat_id, str(update.media_group_id)), [])
        row = self._rows.pop(update.update_id, None) if isinstance(update, Update) else None
        return [row] if row is not None else []

    def _join_album(self, update: Update, message: Message) -> None:
        row = self._rows.pop(update.update_id, None)
        if row is not None:
            key = (message.chat_id, str(message.media_group_id))
            self._album_rows.setdefault(key, []).append(row)

    async def _guarded(
        self, work: Coroutine[Any, Any, None], update: object, rows: list[int]
    ) -> None:
        # Cancelled (a stop past its grace) leaves the rows: the next start answers them.
        try:
            await work
        except Exception as err:
            await self._report(update, err)
        if isinstance(update, Message) and update.media_group_id:
            self._album_rows.pop((update.chat_id, str(update.media_group_id)), None)
        if self.inbox is not None:
            await self.inbox.done(list(rows))

    async def _on_error(self, update: object, context: Context) -> None:
        """Log anything unexpected with its traceback; the user never sees one."""
        await self._report(update, context.error)

    async def _report(self, update: object, error: BaseException | None) -> None:
        log.error("error while handling a Telegram update", exc_info=error)
        chat = update.effective_chat if isinstance(update, Update) else None
        chat = update.chat if isinstance(update, Message) else chat
        if chat is not None:
            await self.outbox.send(chat.id, Reply(kind="error", text=SORRY["unexpected"]))
