"""Turning Spotify track objects into stored, enriched, embedded `tracks` rows."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from db import tracks
from db.pool import Database
from handlers.track_writes import enriched_write
from recsys.enrichment import TrackEnricher
from recsys.models import TrackInfo
from recsys.same_song import clean_isrc, fold, song_key

log = logging.getLogger(__name__)

SPOTIFY_ID = re.compile(r"^[0-9A-Za-z]{22}$")

# Looks up lyrics themes for tracks that are about to be embedded: {spotify_id: themes}.
ThemeLookup = Callable[[list[TrackInfo]], Awaitable[dict[str, tuple[str, ...]]]]


def entry_track(entry: dict[str, Any]) -> dict[str, Any] | None:
    """The track inside a playlist or saved-tracks entry (`item` since 2026, `track` before)."""
    track = entry.get("item") or entry.get("track")
    if not isinstance(track, dict) or track.get("is_local"):
        return None
    if track.get("type", "track") != "track" or not SPOTIFY_ID.match(str(track.get("id") or "")):
        return None
    return track


def track_write(track: dict[str, Any], in_catalog: bool) -> tracks.TrackWrite:
    """What a Spotify track object tells (popularity only where Spotify still sends it)."""
    album = track.get("album") or {}
    popularity = track.get("popularity")
    artists = tuple(a["name"] for a in track.get("artists") or [] if a and a.get("name"))
    # `external_ids` may be missing (local files, some old objects): the ISRC is then None.
    external = track.get("external_ids")
    info = TrackInfo(
        spotify_id=track["id"],
        title=str(track.get("name") or "?"),
        artists=artists,
        album=album.get("name") if isinstance(album, dict) else None,
        popularity=popularity if isinstance(popularity, int) else None,
    )
    return tracks.TrackWrite(
        info=info,
        in_catalog=in_catalog,
        isrc=clean_isrc(external.get("isrc")) if isinstance(external, dict) else None,
        song_key=song_key(str(track.get("name") or ""), list(artists)) or "",
        artist_key=fold(artists[0]) if artists else "",
    )


@dataclass(eq=False)
class TrackStore:
    """Upserts tracks seen on Spotify and enriches the new ones so text search finds them."""

    db: Database
    enricher: TrackEnricher
    themes: ThemeLookup | None = None

    async def store(
        self, found: Sequence[dict[str, Any]], in_catalog: bool = False
    ) -> dict[str, int]:
        """Upsert these Spotify track objects; {spotify_id: tracks.id}."""
        unique = {t["id"]: track_write(t, in_catalog) for t in found}
        if not unique:
            return {}
        async with self.db.pool.acquire() as conn:
            await tracks.upsert_tracks(conn, list(unique.values()), "spotify")
            stored = await tracks.stored_tracks(conn, list(unique))
        fresh = [row.id for row in stored if row.needs_embedding]
        if fresh:
            await self._enrich(fresh)
        return {row.spotify_id: row.id for row in stored}

    async def _enrich(self, track_ids: list[int]) -> None:
        rows = await tracks.tracks_to_enrich(self.db.pool, track_ids)
        found: dict[str, tuple[str, ...]] = {}
        if self.themes is not None:
            found = await self.themes([tracks.stored_info(row) for row in rows])
        await self.reenrich(rows, found)

    async def reenrich(
        self, rows: Sequence[asyncpg.Record], lyrics_themes: dict[str, tuple[str, ...]]
    ) -> None:
        """Derive words and tags and embed these rows again, with these lyrics themes."""
        if not rows:
            return
        infos = [tracks.stored_info(row, lyrics_themes.get(row["spotify_id"], ())) for row in rows]
        enriched = await asyncio.to_thread(self.enricher.enrich, infos)
        rows_out = [
            enriched_write(track, in_catalog=row["in_catalog"])
            for row, track in zip(rows, enriched, strict=True)
        ]
        async with self.db.pool.acquire() as conn:
            await tracks.upsert_tracks(conn, rows_out, "enrichment")
        log.debug("enriched %d tracks", len(rows))
