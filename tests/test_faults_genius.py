"""Genius failing under the lyrics lookups: a timeout, a 429, garbage answers (issue 10, fault
kinds). Lookups pause for the batch, nothing is cached as a miss, nothing crashes."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest

from db.pool import Database
from recsys.embedder import Embedder
from support.fakes.fake_genius import HEARTBREAK, FakeGenius
from tests.test_spotify_lyrics import info, themes_for

# The client's timeout in these tests; the fake answers later than that.
TEST_TIMEOUT_S = 0.5


@pytest.fixture
async def genius() -> AsyncIterator[FakeGenius]:
    async with FakeGenius() as server:
        server.songs[("Empty Pillow", "Rain Person")] = HEARTBREAK
        yield server


async def paused_without_caching(db: Database, embedder: Embedder, genius: FakeGenius) -> None:
    lookup = themes_for(db, embedder, genius)
    lookup.genius.timeout = TEST_TIMEOUT_S
    batch = await lookup.find(
        [info("Empty Pillow", "Rain Person"), info("Other Song", "Someone")], 10
    )
    assert batch.paused and batch.found == {}
    assert batch.looked_up == 0  # the first failure pauses the rest of the batch
    assert await db.pool.fetchval("SELECT count(*) FROM lyrics_cache") == 0


async def test_a_slow_genius_times_out_and_pauses(
    db: Database, embedder: Embedder, genius: FakeGenius
) -> None:
    genius.delay_s = 3 * TEST_TIMEOUT_S
    started = time.monotonic()
    await paused_without_caching(db, embedder, genius)
    assert time.monotonic() - started < 10 * TEST_TIMEOUT_S + 5


async def test_a_rate_limited_genius_pauses(
    db: Database, embedder: Embedder, genius: FakeGenius
) -> None:
    genius.fail_status = 429
    started = time.monotonic()
    await paused_without_caching(db, embedder, genius)
    assert time.monotonic() - started < 30  # the hour-long Retry-After is not slept


@pytest.mark.parametrize(
    "garbage",
    [
        b"<html><body>Cloudflare says no</body></html>",
        b'{"meta": {"status": 200}, "response": {"sections": "nope"}}',
        b'{"meta": {"status": 200}, "response": null}',
        b"[1, 2, 3]",
        b"\xff\xfe\x00\x01",
    ],
    ids=["html", "sections-not-a-list", "null-response", "array", "binary"],
)
async def test_garbage_from_genius_pauses(
    db: Database, embedder: Embedder, genius: FakeGenius, garbage: bytes
) -> None:
    genius.garbage = garbage
    await paused_without_caching(db, embedder, genius)
