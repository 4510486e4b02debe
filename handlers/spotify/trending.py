"""Trending sources: ranked track lists the operator names, refreshed on a schedule.

A source returns Spotify-shaped track objects (`id`, `name`, `artists[].name`, `album.name`),
best first. `SpotifyPlaylistSource` reads a playlist with the app's client-credentials token;
another source (a chart API, a CSV at a URL) only has to return the same shape.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from functools import partial
from typing import Any, Protocol

from db import jobs, trending_entries
from db.pool import Database
from handlers.edge.spotify import (
    MAX_INLINE_RETRY_AFTER_S,
    MAX_RATE_LIMIT_WAITS,
    SpotifyApp,
    SpotifyError,
    SpotifyRateLimited,
)
from handlers.edge.worker import JobContext, RetryLater
from handlers.spotify.tracks import TrackStore, entry_track

log = logging.getLogger(__name__)

TRENDING_SYNC = "trending_sync"
TRENDING_KEY = "trending"
SPOTIFY_SOURCE_PREFIX = "spotify:playlist:"
ITEMS_PAGE = 50
# A trending list longer than this is cut: the head of a chart is what "trending" means.
MAX_TRENDING_TRACKS = 500
PLAYLIST_REF = re.compile(r"(?:playlist[/:])?([0-9A-Za-z]{22})(?:[?/].*)?$")


class TrendingSource(Protocol):
    """A ranked list of tracks from somewhere."""

    name: str

    async def fetch(self) -> list[dict[str, Any]]:
        """The source's tracks as Spotify track objects, best first."""
        ...


def playlist_id(ref: str) -> str:
    """The playlist id in an id, a spotify:playlist: URI or an open.spotify.com URL."""
    match = PLAYLIST_REF.search(ref.strip())
    if match is None:
        raise ValueError(f"not a Spotify playlist id or URL: {ref!r}")
    return match.group(1)


class SpotifyPlaylistSource:
    """A Spotify playlist, read with the app's client-credentials token."""

    def __init__(self, app: SpotifyApp, ref: str) -> None:
        self.app = app
        self.playlist_id = playlist_id(ref)
        self.name = f"{SPOTIFY_SOURCE_PREFIX}{self.playlist_id}"

    async def fetch(self) -> list[dict[str, Any]]:
        """Every item of the playlist, in playlist order."""
        token = await asyncio.to_thread(self.app.app_token)
        api = self.app.web_api(token)
        found: list[dict[str, Any]] = []
        request: Callable[[], dict[str, Any]] | None = partial(
            api.playlist_items, self.playlist_id, ITEMS_PAGE
        )
        try:
            while request is not None and len(found) < MAX_TRENDING_TRACKS:
                page = await _get_waiting(request)
                found.extend(t for entry in page.get("items") or [] if (t := entry_track(entry)))
                nxt = page.get("next")
                request = partial(api.next_page, nxt) if nxt else None
        finally:
            api.close()
        return found[:MAX_TRENDING_TRACKS]


async def _get_waiting(request: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    for _ in range(MAX_RATE_LIMIT_WAITS):
        try:
            return await asyncio.to_thread(request)
        except SpotifyRateLimited as err:
            if err.retry_after > MAX_INLINE_RETRY_AFTER_S:
                raise
            await asyncio.sleep(err.retry_after)
    return await asyncio.to_thread(request)


def playlist_sources(app: SpotifyApp, refs: list[str]) -> list[TrendingSource]:
    """One source per playlist reference (URL, URI or id); malformed ones are logged, left out."""
    sources: list[TrendingSource] = []
    for ref in refs:
        try:
            sources.append(SpotifyPlaylistSource(app, ref))
        except ValueError as err:
            log.error("MELODICLENS_SPOTIFY_TRENDING_PLAYLISTS: %s", err)
    return sources


class TrendingSync:
    """Runs `trending_sync` jobs: each source's tracks stored, ranked, stale entries gone."""

    def __init__(self, db: Database, sources: list[TrendingSource], tracks: TrackStore) -> None:
        self.db = db
        self.sources = sources
        self.tracks = tracks

    async def __call__(self, ctx: JobContext) -> dict[str, Any]:
        """Refresh every source; a failing source keeps its old entries."""
        counts: dict[str, Any] = {}
        waits: list[float] = []
        for source in self.sources:
            try:
                counts[source.name] = await self.refresh(source)
            except SpotifyError as err:
                log.warning("trending source %s failed: %s", source.name, err)
                counts[source.name] = f"failed: {err}"
                if isinstance(err, SpotifyRateLimited):
                    waits.append(err.retry_after)
        if self.sources and all(isinstance(v, str) for v in counts.values()):
            if waits:  # come back when Spotify said to (the job queue caps the wait)
                raise RetryLater("every trending source failed (rate limited)", max(waits))
            raise SpotifyError("every trending source failed")
        names = [source.name for source in self.sources]
        dropped = await trending_entries.drop_unlisted_sources(
            self.db.pool, SPOTIFY_SOURCE_PREFIX, names
        )
        if dropped:
            log.info("dropped %d trending entries of playlists no longer listed", dropped)
        return counts

    async def refresh(self, source: TrendingSource) -> int:
        """Fetch one source and make its entries match it; how many it now has."""
        found = await source.fetch()
        ranked = list(dict.fromkeys(t["id"] for t in found))  # first (best) rank wins
        await self.tracks.store(found, in_catalog=True)
        async with self.db.pool.acquire() as conn:
            count = await trending_entries.replace_trending(conn, source.name, ranked)
        log.info("trending source %s: %d tracks", source.name, count)
        return count


async def schedule_trending(db: Database, every_s: float) -> None:
    """Queue a trending refresh unless one was queued within `every_s`."""
    if not await jobs.recently_created(db.pool, TRENDING_KEY, every_s):
        await jobs.enqueue(db.pool, TRENDING_SYNC, {}, dedupe_key=TRENDING_KEY)
