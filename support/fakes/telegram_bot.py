"""The real bot service behind the Telegram adapter, polling a fresh fake Bot API, for tests
that follow a message from the chat to the database and back."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from bot.app import build_bot_service, build_pipeline
from bot.settings import load_settings
from bot.telegram.adapter import TelegramAdapter
from db.pool import Database
from handlers.notifier import MultiNotifier
from handlers.pipeline import Pipeline
from recsys.embedder import Embedder
from support.fakes.fake_ollama import STRUCTURED_ANSWERS, FakeOllama
from support.fakes.fake_telegram import FakeTelegram, settings_for


@dataclass(frozen=True)
class VisionStack:
    """A fake Ollama that sees every photo the same way, and the real pipeline asking it."""

    ollama: FakeOllama
    pipeline: Pipeline


@contextlib.asynccontextmanager
async def vision_stack(
    database: Database, embedder: Embedder, answer: str
) -> AsyncIterator[VisionStack]:
    """The fake Ollama answering every photo with STRUCTURED_ANSWERS[answer], and the pipeline."""
    async with FakeOllama(reply=STRUCTURED_ANSWERS[answer]) as ollama:
        settings = load_settings(None, OLLAMA_HOST=ollama.url)
        yield VisionStack(ollama, build_pipeline(settings, database, embedder))


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
