"""The Telegram adapter with the durable inbox (issue 10, findings 2 and 4): an update is stored
before it is acknowledged (webhook 200, polling offset), a redelivery is answered once, every
photo of an album counts against the rate limit, and the limit is checked before download."""

from __future__ import annotations

import asyncio

import asyncpg

from bot.telegram.adapter import TelegramAdapter
from db import inbox
from db.pool import Database
from handlers.inbox import DurableInbox
from support.fakes.fake_telegram import FakeTelegram, private_chat, settings_for, user
from support.fakes.fake_telegram_service import FakeService
from support.fakes.telegram_webhook import webhook_bot

SECRET = "s3cret_Token-for-tests"
ANA = user(2101, "Ana")


async def gone(db: Database) -> Database:
    """A Database whose pool is closed: every query fails, as while PostgreSQL is down."""
    pool = await asyncpg.create_pool(db.url, min_size=1, max_size=1)
    await pool.close()
    return Database(db.url, pool, pool)


async def settled(db: Database) -> bool:
    """Whether every stored update is marked answered (within a few seconds: the row is
    settled just after the answer is sent)."""
    for _ in range(50):
        if await inbox.working_count(db.pool, "telegram") == 0:
            return True
        await asyncio.sleep(0.1)
    return False


def vibe_command(
    fake_telegram: FakeTelegram, text: str = "/vibe sunny morning"
) -> dict[str, object]:
    message = fake_telegram.message(private_chat(ANA), ANA, text=text)
    message["entities"] = [{"type": "bot_command", "offset": 0, "length": 5}]
    return {"message": message}


async def test_webhook_refuses_what_it_cannot_store_so_telegram_resends(
    db: Database, fake_telegram: FakeTelegram
) -> None:
    service = FakeService()
    inbox = DurableInbox(await gone(db), "telegram", "t:1")
    async with webhook_bot(fake_telegram, service, SECRET, inbox):
        assert await fake_telegram.deliver(vibe_command(fake_telegram), SECRET) == 503
        await asyncio.sleep(0.3)
        assert service.vibes == [] and fake_telegram.calls_of("sendMessage") == []


async def test_webhook_stores_before_200_and_answers_a_redelivery_once(
    db: Database, fake_telegram: FakeTelegram
) -> None:
    service = FakeService()
    async with webhook_bot(fake_telegram, service, SECRET, DurableInbox(db, "telegram", "t:1")):
        update = vibe_command(fake_telegram)
        update["update_id"] = 777
        assert await fake_telegram.deliver(update, SECRET) == 200
        stored = await db.pool.fetchval("SELECT count(*) FROM inbox WHERE update_key = '777'")
        assert stored == 1  # in the table by the time Telegram got its 200
        await fake_telegram.next_sent()
        assert (
            await fake_telegram.deliver(update, SECRET) == 200
        )  # Telegram retried after a timeout
        await asyncio.sleep(0.5)
        assert len(service.vibes) == 1
        state = await db.pool.fetchval("SELECT state FROM inbox WHERE update_key = '777'")
        assert state == "done"


async def test_polling_confirms_an_update_only_once_it_is_stored(
    db: Database, fake_telegram: FakeTelegram
) -> None:
    service = FakeService()
    flaky = await gone(db)
    adapter = TelegramAdapter(
        settings_for(fake_telegram), service, DurableInbox(flaky, "telegram", "t:2")
    )
    await adapter.start()
    try:
        pushed = fake_telegram.push(vibe_command(fake_telegram))
        await asyncio.sleep(2.5)  # a few polls while the database is down
        offsets = [int(c.params.get("offset") or 0) for c in fake_telegram.calls_of("getUpdates")]
        assert max(offsets) <= pushed["update_id"]  # never confirmed
        assert service.vibes == []
        flaky.pool = db.pool  # the database is back
        await fake_telegram.next_sent(within_s=15)
        assert len(service.vibes) == 1
        assert await settled(db)
    finally:
        await adapter.stop()


async def test_every_photo_of_an_album_counts_before_any_download(
    db: Database, fake_telegram: FakeTelegram
) -> None:
    service = FakeService(admit_limit=2)
    adapter = TelegramAdapter(
        settings_for(fake_telegram), service, DurableInbox(db, "telegram", "t:3")
    )
    await adapter.start()
    try:
        chat = private_chat(ANA)
        for _ in range(3):
            fake_telegram.photo(chat, ANA, media_group_id="album-1")
        refusal = await fake_telegram.next_sent(within_s=15)
        assert "faster than I can listen" in refusal.text
        assert service.admissions == [3] and service.vibes == []
        assert fake_telegram.downloads == []  # refused before a single byte was fetched
        assert await settled(db)  # all three rows of the album
    finally:
        await adapter.stop()
