"""Turning Spotify track objects into stored, enriched, embedded `tracks` rows."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import asyncpg

from db import spotify as store
from db.pool import Database
from recsys.enrichment import TrackEnricher, TrackInfo
from recsys.models import TrackFeatures

log = logging.getLogger(__name__)

SPOTIFY_ID = re.compile(r"^[0-9A-Za-z]{22}$")
FEATURE_COLUMNS = tuple(TrackFeatures.__dataclass_fields__)

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


def track_fields(track: dict[str, Any]) -> dict[str, Any]:
    """The columns a Spotify track object fills (popularity only where Spotify still sends it)."""
    album = track.get("album") or {}
    popularity = track.get("popularity")
    return {
        "spotify_id": track["id"],
        "title": str(track.get("name") or "?"),
        "artists": [a["name"] for a in track.get("artists") or [] if a and a.get("name")],
        "album": album.get("name") if isinstance(album, dict) else None,
        "popularity": popularity if isinstance(popularity, int) else None,
    }


def info_from_row(row: asyncpg.Record, lyrics_themes: tuple[str, ...] = ()) -> TrackInfo:
    """A stored track as the enricher's input, with any catalog audio features."""
    features = TrackFeatures(**{name: row[name] for name in FEATURE_COLUMNS})
    return TrackInfo(
        spotify_id=row["spotify_id"],
        title=row["title"],
        artists=tuple(row["artists"]),
        album=row["album"],
        popularity=row["popularity"],
        release_year=row["release_year"],
        genres=tuple(row["genres"]),
        features=features,
        lyrics_themes=lyrics_themes or tuple(row["lyrics_themes"]),
    )


class TrackStore:
    """Upserts tracks seen on Spotify and enriches the new ones so text search finds them."""

    def __init__(
        self, db: Database, enricher: TrackEnricher, themes: ThemeLookup | None = None
    ) -> None:
        self.db = db
        self.enricher = enricher
        self.themes = themes

    async def store(
        self, tracks: Sequence[dict[str, Any]], in_catalog: bool = False
    ) -> dict[str, int]:
        """Upsert these Spotify track objects; {spotify_id: tracks.id}."""
        unique = {t["id"]: track_fields(t) for t in tracks}
        if not unique:
            return {}
        rows = await store.upsert_tracks(self.db.pool, list(unique.values()), in_catalog)
        fresh = [row.id for row in rows if row.needs_embedding]
        if fresh:
            await self._enrich(fresh)
        return {row.spotify_id: row.id for row in rows}

    async def _enrich(self, track_ids: list[int]) -> None:
        rows = await store.tracks_to_enrich(self.db.pool, track_ids)
        found: dict[str, tuple[str, ...]] = {}
        if self.themes is not None:
            found = await self.themes([info_from_row(row) for row in rows])
        await self.reenrich(rows, found)

    async def reenrich(
        self, rows: Sequence[asyncpg.Record], lyrics_themes: dict[str, tuple[str, ...]]
    ) -> None:
        """Derive words and tags and embed these rows again, with these lyrics themes."""
        if not rows:
            return
        infos = [info_from_row(row, lyrics_themes.get(row["spotify_id"], ())) for row in rows]
        enriched = await asyncio.to_thread(self.enricher.enrich, infos)
        model = self.enricher.embedder.model_name
        async with self.db.pool.acquire() as conn, conn.transaction():
            for row, track in zip(rows, enriched, strict=True):
                digest = hashlib.sha256(f"{model}\n{track.text}".encode()).hexdigest()
                await store.save_enrichment(
                    conn,
                    row["id"],
                    track.mood_words,
                    track.theme_tags,
                    track.info.lyrics_themes,
                    track.embedding,
                    digest,
                )
        log.debug("enriched %d tracks", len(rows))
