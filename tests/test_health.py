"""/healthz tells readiness (database, chat adapters) and reports the worker and vision hosts;
/livez tells only that the process answers (issue 10, finding 5)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.health import RunHealth
from bot.web import build_web_app
from db.pool import Database
from handlers.edge.worker import WorkerHealth
from recsys.vision_hosts import VisionHostPool


@pytest.fixture
async def vision() -> AsyncIterator[VisionHostPool]:
    pool = VisionHostPool(["http://ops:s3cret@127.0.0.1:9"], timeout_s=1.0, rest_s=1.0)
    yield pool
    await pool.close()


async def test_ready_run_reports_adapters_worker_and_vision_hosts(
    db: Database, vision: VisionHostPool
) -> None:
    health = RunHealth({"Telegram": "running"}, WorkerHealth("running"), vision)
    async with TestClient(TestServer(build_web_app(db, health=health))) as client:
        answer = await client.get("/healthz")
        body = await answer.json()
    assert answer.status == 200
    assert body["ready"] is True and body["live"] is True and body["database"] == "up"
    assert body["adapters"] == {"Telegram": "running"}
    assert body["worker"]["state"] == "running"
    assert body["vision_hosts"][0]["url"] == "http://127.0.0.1:9"  # no credentials echoed
    assert "s3cret" not in await answer.text()


async def test_a_stopped_adapter_is_not_ready_but_alive(db: Database) -> None:
    health = RunHealth({"Telegram": "running", "Discord": "stopped"}, WorkerHealth("running"))
    async with TestClient(TestServer(build_web_app(db, health=health))) as client:
        ready = await client.get("/healthz")
        live = await client.get("/livez")
        assert ready.status == 503 and (await ready.json())["ready"] is False
        assert live.status == 200


async def test_a_database_outage_is_not_ready_but_alive_and_shows_the_worker(
    db: Database,
) -> None:
    pool = await asyncpg.create_pool(db.url, min_size=1, max_size=1)
    await pool.close()
    worker = WorkerHealth("retrying", "ConnectionDoesNotExistError: gone", failures=3)
    health = RunHealth({"Telegram": "running"}, worker)
    gone = Database(db.url, pool, pool)
    async with TestClient(TestServer(build_web_app(gone, health=health))) as client:
        ready = await client.get("/healthz")
        body = await ready.json()
        live = await client.get("/livez")
    assert ready.status == 503 and body["database"] == "down" and body["ready"] is False
    assert body["worker"] == {
        "state": "retrying",
        "last_error": "ConnectionDoesNotExistError: gone",
        "failures": 3,
    }
    assert live.status == 200
