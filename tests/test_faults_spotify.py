"""Spotify failing under the library sync and the trending refresh: 5xx answers, an unreachable
server, Retry-After far above the cap or unreadable (issue 10, fault kinds). The job is put
back on the queue with a bounded wait; nothing already stored is lost; nothing crashes."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from db import jobs, library_entries
from db.pool import Database
from handlers.edge.retry_after import DEFAULT_RETRY_AFTER_S, parse_retry_after
from handlers.edge.worker import JOB_RETRY, Worker
from handlers.replies import ChatContext
from handlers.spotify.trending import TRENDING_SYNC
from recsys.embedder import Embedder
from support.fakes.fake_spotify import FakeSpotify, fictional_library
from support.fakes.spotify_world import World, listener_world
from tests.test_spotify_trending import CHART, chart, ranks, trending

ALICE = ChatContext("discord", "42", "777", "alice")
# Far above both the inline cap (120 s) and the job queue's cap (1 h).
A_MONTH_S = 30 * 86_400


@pytest.fixture
async def world(db: Database, embedder: Embedder) -> AsyncIterator[World]:
    async with listener_world(db, embedder, fictional_library("Robin", sizes=(30, 7))) as world:
        yield world


async def linked_and_synced(world: World) -> int:
    """Link Alice and run her first sync, so that there is a library to keep."""
    user_id = await world.linked(ALICE)
    assert await world.worker().drain() == 1
    assert await library_entries.library_count(world.db.pool, user_id) > 0
    return user_id


async def queue_sync(world: World, user_id: int) -> None:
    await jobs.enqueue(world.db.pool, "library_sync", {"user_id": user_id})


async def the_job(db: Database) -> dict[str, object]:
    row = await db.pool.fetchrow("SELECT *, run_after - now() AS wait FROM jobs ORDER BY id DESC")
    return dict(row)


def test_retry_after_in_every_spelling() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("2.5") == 2.5
    in_a_minute = format_datetime(datetime.now(UTC) + timedelta(seconds=60), usegmt=True)
    assert 50 <= parse_retry_after(in_a_minute) <= 61
    for junk in (None, "", "soon", "-5", "nan", "inf", "Mon, 99 Foo 2026"):
        assert parse_retry_after(junk) == DEFAULT_RETRY_AFTER_S, junk


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_sync_meets_a_5xx_and_is_retried_keeping_the_library(
    world: World, status: int
) -> None:
    user_id = await linked_and_synced(world)
    before = await library_entries.library_count(world.db.pool, user_id)
    await queue_sync(world, user_id)
    world.fake.server_errors = [status] * 3
    assert await world.worker().drain() == 1
    job = await the_job(world.db)
    assert job["status"] == "queued" and f"Spotify answered {status}" in str(job["last_error"])
    assert await library_entries.library_count(world.db.pool, user_id) == before


async def test_sync_with_spotify_unreachable_is_retried(world: World) -> None:
    user_id = await linked_and_synced(world)
    await queue_sync(world, user_id)
    await world.fake.stop()  # the port closes: connection refused
    assert await world.worker().drain() == 1
    job = await the_job(world.db)
    assert job["status"] == "queued" and "Cannot reach Spotify" in str(job["last_error"])
    assert await library_entries.library_count(world.db.pool, user_id) > 0


async def test_sync_retry_after_above_the_cap_goes_back_to_the_queue(world: World) -> None:
    user_id = await linked_and_synced(world)
    await queue_sync(world, user_id)
    world.fake.retry_after_headers = [str(A_MONTH_S)]
    started = time.monotonic()
    assert await world.worker().drain() == 1
    assert time.monotonic() - started < 60  # not slept inline
    job = await the_job(world.db)
    assert job["status"] == "queued", job["last_error"]
    wait = job["wait"]
    assert isinstance(wait, timedelta) and wait.total_seconds() <= JOB_RETRY.cap_s + 5


@pytest.mark.parametrize("header", ["inf", "soon", "-3"])
async def test_sync_unreadable_retry_after_waits_briefly_and_goes_on(
    world: World, header: str
) -> None:
    user_id = await linked_and_synced(world)
    await queue_sync(world, user_id)
    world.fake.retry_after_headers = [header]
    assert await world.worker().drain() == 1
    job = await the_job(world.db)
    assert job["status"] == "done", job["last_error"]


async def answers_5xx(fake_spotify: FakeSpotify) -> None:
    fake_spotify.server_errors = [503] * 5


async def goes_away(fake_spotify: FakeSpotify) -> None:
    await fake_spotify.stop()


async def loses_the_playlist(fake_spotify: FakeSpotify) -> None:
    del fake_spotify.public_playlists[CHART]  # now a 404


@pytest.mark.parametrize(
    "spotify_fails", [answers_5xx, goes_away, loses_the_playlist], ids=["5xx", "unreachable", "404"]
)
async def test_trending_keeps_its_entries_and_fails_the_job_when_its_source_fails(
    db: Database,
    embedder: Embedder,
    fake_spotify: FakeSpotify,
    spotify_fails: Callable[[FakeSpotify], Awaitable[None]],
) -> None:
    fake_spotify.public_playlists[CHART] = ("Top 5", chart(5))
    sync, source = trending(db, embedder, fake_spotify)
    await sync.refresh(sync.sources[0])
    await spotify_fails(fake_spotify)
    await jobs.enqueue(db.pool, TRENDING_SYNC, {})
    assert await Worker(db, {TRENDING_SYNC: sync}).drain() == 1
    job = await the_job(db)
    assert job["status"] == "queued" and "every trending source failed" in str(job["last_error"])
    assert len(await ranks(db, source)) == 5


async def test_trending_retry_after_above_the_cap_waits_in_the_queue(
    db: Database, embedder: Embedder, fake_spotify: FakeSpotify
) -> None:
    fake_spotify.public_playlists[CHART] = ("Top 5", chart(5))
    sync, _ = trending(db, embedder, fake_spotify)
    fake_spotify.retry_after_headers = [str(A_MONTH_S)]
    await jobs.enqueue(db.pool, TRENDING_SYNC, {})
    started = time.monotonic()
    assert await Worker(db, {TRENDING_SYNC: sync}).drain() == 1
    assert time.monotonic() - started < 60
    job = await the_job(db)
    assert job["status"] == "queued" and "rate limited" in str(job["last_error"])
    wait = job["wait"]
    # Spotify asked for a month; the queue waits its cap (an hour), not its 30 s default.
    assert isinstance(wait, timedelta) and wait.total_seconds() >= JOB_RETRY.cap_s - 60
    assert wait.total_seconds() <= JOB_RETRY.cap_s + 5
