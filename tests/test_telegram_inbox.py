"""The Telegram adapter with the durable inbox (issue 10, findings 2 and 4): an update is stored
before it is acknowledged (webhook 200, polling offset), a redelivery is answered once, every
photo of an album counts against the rate limit, and the limit is checked before download."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import asyncpg
import pytest
from aiohttp import web

from bot.telegram.adapter import TelegramAdapter
from bot.telegram.webhook import add_webhook_route
from db import inbox
from db.pool import Database
from handlers.inbox import DurableInbox
from support.fakes.fake_telegram import FakeTelegram, private_chat, settings_for, user
from support.fakes.fake_telegram_service import FakeService

SECRET = "s3cret_Token-for-tests"
ANA = user(2101, "Ana")


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    server = FakeTelegram()
    await server.start()
    yield server
    await server.close()


async def gone(db: Database) -> Database:
    """A Database whose pool is closed: every query fails, as while PostgreSQL is down."""
    pool = await asyncpg.create_pool(db.url, min_size=1, max_size=1)
    await pool.close()
    return Database(db.url, pool, pool)


async def webhook_bot(
    fake: FakeTelegram, service: FakeService, database: Database
) -> tuple[TelegramAdapter, web.AppRunner]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/hooks/telegram"
    settings = settings_for(
        fake, MELODICLENS_TELEGRAM_WEBHOOK_URL=url, MELODICLENS_TELEGRAM_WEBHOOK_SECRET=SECRET
    )
    adapter = TelegramAdapter(settings, service, DurableInbox(database, "telegram", "t:1"))
    app = web.Application()
    add_webhook_route(app, adapter)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.SockSite(runner, sock).start()
    await adapter.start()
    return adapter, runner


async def settled(db: Database) -> bool:
    """Whether every stored update is marked answered (within a few seconds: the row is
    settled just after the answer is sent)."""
    for _ in range(50):
        if await inbox.working_count(db.pool, "telegram") == 0:
            return True
        await asyncio.sleep(0.1)
    return False


def vibe_command(fake: FakeTelegram, text: str = "/vibe sunny morning") -> dict[str, object]:
    message = fake.message(private_chat(ANA), ANA, text=text)
    message["entities"] = [{"type": "bot_command", "offset": 0, "length": 5}]
    return {"message": message}


async def test_webhook_refuses_what_it_cannot_store_so_telegram_resends(
    db: Database, fake: FakeTelegram
) -> None:
    service = FakeService()
    adapter, runner = await webhook_bot(fake, service, await gone(db))
    try:
        assert await fake.deliver(vibe_command(fake), SECRET) == 503
        await asyncio.sleep(0.3)
        assert service.vibes == [] and fake.calls_of("sendMessage") == []
    finally:
        await adapter.stop()
        await runner.cleanup()


async def test_webhook_stores_before_200_and_answers_a_redelivery_once(
    db: Database, fake: FakeTelegram
) -> None:
    service = FakeService()
    adapter, runner = await webhook_bot(fake, service, db)
    try:
        update = vibe_command(fake)
        update["update_id"] = 777
        assert await fake.deliver(update, SECRET) == 200
        stored = await db.pool.fetchval("SELECT count(*) FROM inbox WHERE update_key = '777'")
        assert stored == 1  # in the table by the time Telegram got its 200
        await fake.next_sent()
        assert await fake.deliver(update, SECRET) == 200  # Telegram retried after a timeout
        await asyncio.sleep(0.5)
        assert len(service.vibes) == 1
        state = await db.pool.fetchval("SELECT state FROM inbox WHERE update_key = '777'")
        assert state == "done"
    finally:
        await adapter.stop()
        await runner.cleanup()


async def test_polling_confirms_an_update_only_once_it_is_stored(
    db: Database, fake: FakeTelegram
) -> None:
    service = FakeService()
    flaky = await gone(db)
    adapter = TelegramAdapter(settings_for(fake), service, DurableInbox(flaky, "telegram", "t:2"))
    await adapter.start()
    try:
        pushed = fake.push(vibe_command(fake))
        await asyncio.sleep(2.5)  # a few polls while the database is down
        offsets = [int(c.params.get("offset") or 0) for c in fake.calls_of("getUpdates")]
        assert max(offsets) <= pushed["update_id"]  # never confirmed
        assert service.vibes == []
        flaky.pool = db.pool  # the database is back
        await fake.next_sent(within_s=15)
        assert len(service.vibes) == 1
        assert await settled(db)
    finally:
        await adapter.stop()


async def test_every_photo_of_an_album_counts_before_any_download(
    db: Database, fake: FakeTelegram
) -> None:
    service = FakeService(admit_limit=2)
    adapter = TelegramAdapter(settings_for(fake), service, DurableInbox(db, "telegram", "t:3"))
    await adapter.start()
    try:
        chat = private_chat(ANA)
        for _ in range(3):
            fake.photo(chat, ANA, media_group_id="album-1")
        refusal = await fake.next_sent(within_s=15)
        assert "faster than I can listen" in refusal.text
        assert service.admissions == [3] and service.vibes == []
        assert fake.downloads == []  # refused before a single byte was fetched
        assert await settled(db)  # all three rows of the album
    finally:
        await adapter.stop()
