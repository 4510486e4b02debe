"""The real bot service behind the Telegram adapter, polling a fresh fake Bot API, for tests
that follow a message from the chat to the database and back."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from bot.app import build_bot_service
from bot.telegram.adapter import TelegramAdapter
from db.pool import Database
from handlers.notifier import MultiNotifier
from handlers.pipeline import Pipeline
from support.fakes.fake_telegram import FakeTelegram, settings_for


@contextlib.asynccontextmanager
async def real_service_bot(
    database: Database, pipeline: Pipeline, **env: str
) -> AsyncIterator[FakeTelegram]:
    """The fake Bot API with the adapter and the real service started on it, wired as the app
    wires them (notices reach the chat through the adapter); `env` adds settings."""
    async with FakeTelegram() as server:
        settings = settings_for(server, **env)
        notifier = MultiNotifier()
        adapter = TelegramAdapter(
            settings, build_bot_service(settings, database, pipeline, notifier)
        )
        notifier.register("telegram", adapter)
        await adapter.start()
        try:
            yield server
        finally:
            await adapter.stop()
