"""Telegram's durable inbox, and where every update enters: polled or from the webhook, an
update is stored before Telegram learns it arrived (by the next getUpdates offset, or the
webhook's 200), then handed to the application's handlers in a task of its own, which settles
its row once the answer is out. Without an inbox the same path runs, storing nothing."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application

from bot.lifecycle import NOT_STORED, Accepted, Lifecycle
from bot.telegram.inbound import sender_of
from bot.telegram.outbox import scrub
from db.inbox import InboxItem

log = logging.getLogger(__name__)

# Long-poll length for getUpdates: long enough to idle cheaply, short enough to stop fast.
POLL_TIMEOUT_S = 10
# Only these update types are asked for; everything else would be filtered out anyway.
ALLOWED_UPDATES = ["message", "callback_query"]
# getUpdates failing (Telegram or the network down) is retried after this, doubling to the cap.
POLL_RETRY_BASE_S = 1.0
POLL_RETRY_CAP_S = 30.0
# While the inbox cannot store updates (database down) they stay unconfirmed at Telegram;
# fetching them again waits this long.
INBOX_RETRY_S = 2.0


class Inbox:
    """Receives updates, stores them (with a DurableInbox) and starts their answers."""

    def __init__(self, app: Application[Any, Any, Any, Any, Any, Any], lifecycle: Lifecycle):
        self.app = app
        self.lifecycle = lifecycle
        self._poller: asyncio.Task[None] | None = None

    async def receive(self, data: dict[str, Any]) -> bool:
        """Take one update; False while stopping or when it could not be stored (it stays
        with Telegram, which delivers it again)."""
        if not self.lifecycle.accepting:
            return False
        try:
            update = Update.de_json(data, self.app.bot)
        except Exception:
            # Accepted and dropped: refusing it would make Telegram deliver it forever.
            log.exception("dropping a Telegram update that is not a valid Update")
            return True
        try:
            accepted = await self._store(update.update_id, data)
        except Exception as err:  # the database is away: leave the update with Telegram
            log.warning("could not store Telegram update %s: %s", update.update_id, err)
            return False
        if accepted is None:
            log.info("Telegram update %s was delivered before; skipped", update.update_id)
        else:
            self._answer(update, accepted)
        return True

    async def _store(self, update_id: int, data: dict[str, Any]) -> Accepted | None:
        """The update's row (none without an inbox); None when it was stored before."""
        if self.lifecycle.inbox is None:
            return NOT_STORED
        chat_id, user_id = sender_of(data)
        row = await self.lifecycle.inbox.accept(
            str(update_id), data, chat_id=chat_id, user_id=user_id
        )
        return None if row is None else Accepted((row,))

    def _answer(self, update: Update, accepted: Accepted) -> None:
        """Run the handlers in a task of their own (one slow photo never holds up the next
        update); its rows are settled once they are done."""
        work = self.lifecycle.settle(accepted, self.app.process_update(update))
        self.lifecycle.spawn(work, name=f"telegram-update-{update.update_id}")

    async def replay(self, item: InboxItem) -> None:
        """An update a stopped process had accepted but not answered."""
        if not self.lifecycle.accepting:
            return  # stopping: the next process takes it once its lease lapses
        try:
            update = Update.de_json(item.payload, self.app.bot)
        except Exception:
            log.exception("dropping a stored Telegram update that is not a valid Update")
            if self.lifecycle.inbox is not None:
                await self.lifecycle.inbox.done([item.id], failed="not a valid Update")
            return
        self._answer(update, Accepted((item.id,)))

    async def start_polling(self) -> None:
        """Clear any webhook and poll getUpdates until stop_polling()."""
        await self.app.bot.delete_webhook()
        self._poller = asyncio.create_task(self._poll(), name="telegram-poll")

    async def _poll(self) -> None:
        """getUpdates until stopped; the offset moves past an update only once it is stored."""
        offset: int | None = None
        failures = 0
        while self.lifecycle.accepting:
            try:
                updates = await self.app.bot.get_updates(
                    offset=offset, timeout=POLL_TIMEOUT_S, allowed_updates=ALLOWED_UPDATES
                )
            except TelegramError as err:
                failures += 1
                delay = min(POLL_RETRY_BASE_S * 2 ** (failures - 1), POLL_RETRY_CAP_S)
                log.warning("getUpdates failed (%s); retrying in %.0f s",
                            scrub(self.app.bot, str(err)), delay)  # fmt: skip
                await asyncio.sleep(delay)
                continue
            failures = 0
            for update in updates:
                if not await self.receive(update.to_dict()):
                    await asyncio.sleep(INBOX_RETRY_S)  # fetched again, from this one on
                    break
                offset = update.update_id + 1

    async def stop_polling(self) -> None:
        """Stop polling (what was received is confirmed already: each getUpdates confirms
        the updates before its offset)."""
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
            self._poller = None
