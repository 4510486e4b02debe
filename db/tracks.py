"""SQL for tracks and trending entries: bulk upserts, lookups by Spotify id, counts."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

log = logging.getLogger(__name__)

# The columns a track upsert writes, in the order of each record passed to upsert_tracks.
TRACK_COLUMNS: tuple[str, ...] = (
    "spotify_id",
    "title",
    "artists",
    "album",
    "popularity",
    "release_year",
    "genres",
    "danceability",
    "energy",
    "key",
    "loudness",
    "mode",
    "speechiness",
    "acousticness",
    "instrumentalness",
    "liveness",
    "valence",
    "tempo",
    "time_signature",
    "mood_words",
    "theme_tags",
    "lyrics_themes",
    "embedding",
    "content_hash",
    "in_catalog",
)
# The source's value wins; a track's title and artists always come with it.
_REPLACED = ("title", "artists", "mood_words")
# A source that does not know a value (NULL) keeps the one already stored: a library sync has
# no audio features, and a track upserted without a new embedding keeps its old one.
_KEPT_WHEN_NULL = (
    "album",
    "popularity",
    "release_year",
    "danceability",
    "energy",
    "key",
    "loudness",
    "mode",
    "speechiness",
    "acousticness",
    "instrumentalness",
    "liveness",
    "valence",
    "tempo",
    "time_signature",
    "theme_tags",
    "embedding",
    "content_hash",
)
# An empty list from a source that has none (no genres, no lyrics) keeps the stored one.
_KEPT_WHEN_EMPTY = ("genres", "lyrics_themes")

_STAGING = "track_upserts"
_STAGING_DDL = f"""
CREATE TEMP TABLE IF NOT EXISTS {_STAGING} (
    spotify_id text, title text, artists text[], album text, popularity smallint,
    release_year smallint, genres text[], danceability real, energy real, key smallint,
    loudness real, mode smallint, speechiness real, acousticness real, instrumentalness real,
    liveness real, valence real, tempo real, time_signature smallint, mood_words text[],
    theme_tags text[], lyrics_themes text[], embedding vector(384), content_hash text,
    in_catalog boolean
) ON COMMIT DELETE ROWS
"""


def _merged(column: str) -> str:
    """The value a column takes when an upsert meets an existing row."""
    if column in _KEPT_WHEN_NULL:
        return f"COALESCE(EXCLUDED.{column}, tracks.{column})"
    if column in _KEPT_WHEN_EMPTY:
        return (
            f"CASE WHEN cardinality(EXCLUDED.{column}) > 0 THEN EXCLUDED.{column} "
            f"ELSE tracks.{column} END"
        )
    if column == "in_catalog":
        return "tracks.in_catalog OR EXCLUDED.in_catalog"
    return f"EXCLUDED.{column}"


def _selected(column: str) -> str:
    """A staged column as inserted; NOT NULL arrays fall back to the stored value, then empty."""
    if column == "spotify_id":
        return "s.spotify_id"
    if column in ("mood_words", "theme_tags", *_KEPT_WHEN_EMPTY):
        # EXCLUDED sees this value, so a NULL must become the stored tags, not an empty list
        return f"COALESCE(s.{column}, stored.{column}, '{{}}')"
    return f"s.{column}"


def _upsert_sql() -> str:
    updated = [c for c in TRACK_COLUMNS if c != "spotify_id"]
    assignments = ",\n    ".join(f"{c} = {_merged(c)}" for c in updated)
    current = ", ".join(f"tracks.{c}" for c in updated)
    merged = ", ".join(_merged(c) for c in updated)
    selected = ", ".join(_selected(c) for c in TRACK_COLUMNS)
    return f"""
INSERT INTO tracks ({", ".join(TRACK_COLUMNS)})
SELECT {selected}
FROM {_STAGING} s LEFT JOIN tracks stored USING (spotify_id)
ON CONFLICT (spotify_id) DO UPDATE SET
    {assignments},
    updated_at = now()
-- a row whose merged values equal the stored ones is left alone: re-imports change nothing
WHERE ({current}) IS DISTINCT FROM ({merged})
RETURNING (xmax = 0) AS inserted
"""


UPSERT_SQL = _upsert_sql()


@dataclass(frozen=True)
class UpsertCounts:
    """What a bulk upsert did: rows inserted, rows changed; the rest were already so."""

    inserted: int
    updated: int


async def upsert_tracks(
    conn: asyncpg.Connection, records: Sequence[tuple[Any, ...]]
) -> UpsertCounts:
    """Insert or merge tracks (records in TRACK_COLUMNS order) through COPY, in one transaction.

    Columns in _KEPT_WHEN_NULL may be None to keep the stored value (no new embedding, say).
    """
    if not records:
        return UpsertCounts(0, 0)
    async with conn.transaction():
        await conn.execute(_STAGING_DDL)
        await conn.copy_records_to_table(_STAGING, records=records, columns=TRACK_COLUMNS)
        rows = await conn.fetch(UPSERT_SQL)
    inserted = sum(1 for row in rows if row["inserted"])
    return UpsertCounts(inserted, len(rows) - inserted)


async def content_hashes(conn: asyncpg.Connection, spotify_ids: Sequence[str]) -> dict[str, str]:
    """Spotify id -> content hash of the tracks among these that already have an embedding."""
    rows = await conn.fetch(
        """
        SELECT spotify_id, content_hash FROM tracks
        WHERE spotify_id = ANY($1::text[])
          AND content_hash IS NOT NULL AND embedding IS NOT NULL
        """,
        list(spotify_ids),
    )
    return {row["spotify_id"]: row["content_hash"] for row in rows}


async def track_ids(conn: asyncpg.Connection, spotify_ids: Sequence[str]) -> dict[str, int]:
    """Spotify id -> track id, for the ids that are stored."""
    rows = await conn.fetch(
        "SELECT spotify_id, id FROM tracks WHERE spotify_id = ANY($1::text[])", list(spotify_ids)
    )
    return {row["spotify_id"]: row["id"] for row in rows}


async def track_by_spotify_id(conn: asyncpg.Connection, spotify_id: str) -> asyncpg.Record | None:
    """The stored track with this Spotify id, every column, or None."""
    row: asyncpg.Record | None = await conn.fetchrow(
        "SELECT * FROM tracks WHERE spotify_id = $1", spotify_id
    )
    return row


async def count_tracks(conn: asyncpg.Connection, *, in_catalog: bool | None = None) -> int:
    """How many tracks are stored (only catalog ones, or only others, when asked)."""
    count: int = await conn.fetchval(
        "SELECT count(*) FROM tracks WHERE $1::boolean IS NULL OR in_catalog = $1", in_catalog
    )
    return count


async def replace_trending(
    conn: asyncpg.Connection, source: str, spotify_ids: Sequence[str]
) -> int:
    """Make `source`'s trending entries exactly these tracks, ranked in order from 1.

    Returns how many entries the source now has; ids not stored as tracks are left out.
    """
    async with conn.transaction():
        await conn.execute(
            """
            INSERT INTO trending_entries (source, track_id, rank, fetched_at)
            SELECT $1, t.id, r.rank, now()
            FROM unnest($2::text[]) WITH ORDINALITY AS r(spotify_id, rank)
            JOIN tracks t ON t.spotify_id = r.spotify_id
            ON CONFLICT (source, track_id)
            DO UPDATE SET rank = EXCLUDED.rank, fetched_at = EXCLUDED.fetched_at
            """,
            source,
            list(spotify_ids),
        )
        # now() is the transaction's start: every entry still in the source was just stamped
        # with it, so an older stamp marks an entry that left the source.
        await conn.execute(
            "DELETE FROM trending_entries WHERE source = $1 AND fetched_at < now()", source
        )
        count: int = await conn.fetchval(
            "SELECT count(*) FROM trending_entries WHERE source = $1", source
        )
    return count


async def trending_ranks(conn: asyncpg.Connection, source: str) -> list[tuple[str, int]]:
    """(Spotify id, rank) of a source's trending entries, best rank first."""
    rows = await conn.fetch(
        """
        SELECT t.spotify_id, e.rank FROM trending_entries e JOIN tracks t ON t.id = e.track_id
        WHERE e.source = $1 ORDER BY e.rank
        """,
        source,
    )
    return [(row["spotify_id"], row["rank"]) for row in rows]
