"""The database goes down in the middle of answering a photo (issue 10, fault kinds): the
listener gets the one friendly sentence, the operator a log line, and once the database is
back the next photo is answered."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import asyncpg
import pytest
from PIL import Image

from bot.app import build_bot_service, build_pipeline
from bot.settings import load_settings
from db.errors import DatabaseUnavailable
from db.outage import GuardedConnection, connect
from db.pool import Database
from handlers.notifier import LogNotifier
from handlers.replies import ChatContext, ImageInput, VibeAsk
from handlers.texts import SORRY
from recsys.embedder import Embedder
from support.catalog_fixture import load_catalog
from support.fakes.fake_ollama import STRUCTURED_ANSWERS, FakeOllama
from support.own_database import start_server, stop_server

pytestmark = pytest.mark.slow

# The vision model takes this long, so the database can be stopped while it works.
VISION_DELAY_S = 3.0


async def unreachable_pool() -> asyncpg.Pool:
    """A pool built as db/pool.py builds one, whose server is not there (no socket): every
    use raises DatabaseUnavailable."""
    url = "postgresql://melodiclens@/melodiclens?host=/nonexistent-melodiclens"
    pool: asyncpg.Pool = await asyncpg.create_pool(
        url, min_size=0, max_size=1, connect=connect, connection_class=GuardedConnection
    )
    return pool


def photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (96, 64), (250, 40, 160)).save(out, "JPEG")
    return out.getvalue()


async def test_database_down_mid_answer_costs_one_apology(
    own_server: Database, embedder: Embedder, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    await load_catalog(own_server, embedder, tmp_path)
    async with FakeOllama(reply=STRUCTURED_ANSWERS["party"], delay_s=VISION_DELAY_S) as ollama:
        settings = load_settings(
            None, OLLAMA_HOST=ollama.url, MELODICLENS_RATE_LIMIT_PER_MINUTE=99,
            MELODICLENS_VISION_TIMEOUT_S=20,
        )  # fmt: skip
        service = build_bot_service(
            settings, own_server, build_pipeline(settings, own_server, embedder), LogNotifier()
        )
        ctx = ChatContext("telegram", "d1", "d1")
        answering = asyncio.create_task(service.vibe(ctx, VibeAsk((ImageInput(photo()),), "party")))
        for _ in range(100):  # wait until the photo is at the vision model
            if ollama.chat_requests:
                break
            await asyncio.sleep(0.1)
        assert ollama.chat_requests and not answering.done()
        await asyncio.to_thread(stop_server, own_server)
        reply = await answering
        assert reply.kind == "error" and reply.text == SORRY["database"]
        assert "database unavailable while answering telegram" in caplog.text

        await asyncio.to_thread(start_server, own_server)
        kinds = [(await service.vibe(ctx, VibeAsk(words="sunny beach"))).kind for _ in range(3)]
        assert kinds[-1] == "answer" and kinds.count("error") <= 1, kinds


async def test_a_stopped_server_is_database_unavailable_on_a_query_and_a_connect(
    own_server: Database,
) -> None:
    """The one error for "the database is not there": for a query running when the server
    stops, and for the pool's next connect while it is away."""
    running = asyncio.create_task(own_server.pool.fetchval("SELECT pg_sleep(30)"))
    for _ in range(50):  # wait until the query is at the server
        busy = await own_server.pool.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%'"
        )
        if busy:
            break
        await asyncio.sleep(0.1)
    await asyncio.to_thread(stop_server, own_server)
    with pytest.raises(DatabaseUnavailable, match="lost the database"):
        await running
    with pytest.raises(DatabaseUnavailable, match="cannot reach the database"):
        await own_server.pool.fetchval("SELECT 1")
    await asyncio.to_thread(start_server, own_server)
    assert await own_server.pool.fetchval("SELECT 1") == 1


async def test_a_wrong_query_is_not_an_outage(database: Database) -> None:
    with pytest.raises(asyncpg.UndefinedTableError):
        await database.pool.fetchval("SELECT 1 FROM no_such_table")


async def test_an_unrelated_oserror_is_not_taken_for_the_database(
    database: Database, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk (or any OSError not from the database) is the "unexpected" sentence, with
    its traceback logged, not "try again in a minute"."""
    settings = load_settings(None, MELODICLENS_RATE_LIMIT_PER_MINUTE=99)
    service = build_bot_service(settings, database, build_pipeline(settings, database, embedder))

    async def disk_full(images: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(service.pipeline, "prepare", disk_full)
    reply = await service.vibe(ChatContext("telegram", "o1", "o1"), VibeAsk(words="sunny"))
    assert reply.kind == "error" and reply.text == SORRY["unexpected"]
