"""Trending playlists as sources: client-credentials reads, ranks, expiry, the scheduled job."""

from __future__ import annotations

import pytest

from bot.app import spotify_app
from db import jobs
from db.pool import Database
from handlers.edge.worker import Worker
from handlers.spotify.tracks import TrackStore
from handlers.spotify.trending import (
    TRENDING_SYNC,
    SpotifyPlaylistSource,
    TrendingSync,
    playlist_id,
    playlist_sources,
    schedule_trending,
)
from recsys.embedder import Embedder
from recsys.enrichment import TrackEnricher
from support.fakes.fake_spotify import FakeSpotify, Track, fake_id
from support.fakes.spotify_world import spotify_settings

CHART = fake_id("chart")


def chart(size: int, tag: str = "") -> list[Track]:
    return [
        Track(fake_id(f"hit-{i}"), f"Hit {i}{tag}", [f"Star {i}"], "Charts") for i in range(size)
    ]


def trending(
    db: Database, embedder: Embedder, fake_spotify: FakeSpotify
) -> tuple[TrendingSync, str]:
    url = f"https://open.spotify.com/playlist/{CHART}?si=abc"
    settings = spotify_settings(fake_spotify.url, MELODICLENS_SPOTIFY_TRENDING_PLAYLISTS=url)
    app = spotify_app(settings)
    sources = playlist_sources(app, settings.spotify_trending_playlists)
    return TrendingSync(db, sources, TrackStore(db, TrackEnricher(embedder))), sources[0].name


async def ranks(db: Database, source: str) -> dict[str, int]:
    rows = await db.pool.fetch(
        "SELECT t.spotify_id, e.rank FROM trending_entries e JOIN tracks t ON t.id = e.track_id "
        "WHERE e.source = $1",
        source,
    )
    return {r["spotify_id"]: r["rank"] for r in rows}


def test_playlist_references_in_every_spelling() -> None:
    assert playlist_id(CHART) == CHART
    assert playlist_id(f"spotify:playlist:{CHART}") == CHART
    assert playlist_id(f"https://open.spotify.com/playlist/{CHART}?si=x") == CHART
    with pytest.raises(ValueError, match="not a Spotify playlist"):
        playlist_id("top hits")


async def test_trending_playlist_is_ranked_and_entries_leave_with_it(
    db: Database, embedder: Embedder, fake_spotify: FakeSpotify
) -> None:
    fake_spotify.public_playlists[CHART] = ("Top 60", chart(60))  # two pages
    sync, source = trending(db, embedder, fake_spotify)
    assert source == f"spotify:playlist:{CHART}"
    assert await sync.refresh(sync.sources[0]) == 60
    first = await ranks(db, source)
    assert first[fake_id("hit-0")] == 1 and first[fake_id("hit-59")] == 60
    assert all(g.kind == "app" for g in fake_spotify.grants.values())  # client credentials only
    # the chart moves: #0 drops out, the rest climb
    fake_spotify.public_playlists[CHART] = ("Top 60", chart(60)[1:])
    assert await sync.refresh(sync.sources[0]) == 59
    second = await ranks(db, source)
    assert fake_id("hit-0") not in second and second[fake_id("hit-1")] == 1
    in_catalog = await db.pool.fetchval(
        "SELECT count(*) FROM tracks WHERE in_catalog AND embedding IS NOT NULL"
    )
    assert in_catalog == 60


async def test_scheduled_trending_job_runs_once_per_interval(
    db: Database, embedder: Embedder, fake_spotify: FakeSpotify
) -> None:
    fake_spotify.public_playlists[CHART] = ("Top 5", chart(5))
    sync, source = trending(db, embedder, fake_spotify)
    await schedule_trending(db, every_s=3600)
    await schedule_trending(db, every_s=3600)
    worker = Worker(db, {TRENDING_SYNC: sync})
    assert await worker.drain() == 1
    await schedule_trending(db, every_s=3600)  # done recently: nothing new
    assert await worker.drain() == 0
    assert len(await ranks(db, source)) == 5
    row = await db.pool.fetchrow("SELECT * FROM jobs")
    assert row["status"] == "done"
    # the operator drops the playlist from the list: its entries go at the next refresh
    sync.sources = []
    await jobs.enqueue(db.pool, TRENDING_SYNC, {})
    assert await worker.drain() == 1
    assert await ranks(db, source) == {}


async def test_rate_limited_source_waits_and_succeeds(
    db: Database, embedder: Embedder, fake_spotify: FakeSpotify
) -> None:
    fake_spotify.public_playlists[CHART] = ("Top 3", chart(3))
    sync, _ = trending(db, embedder, fake_spotify)
    fake_spotify.rate_limits = [1.0]
    assert await sync.refresh(sync.sources[0]) == 3
    assert isinstance(sync.sources[0], SpotifyPlaylistSource)
