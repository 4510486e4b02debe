"""SQL for tracks: the one bulk upsert every writer uses, lookups by Spotify id, counts.

A writer describes each track as a `TrackWrite`; `COLUMNS` says, once per column, its SQL
type and how a new value merges with a stored one. A new column is one line in each.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, fields
from enum import Enum
from typing import Any, Literal, TypeAlias

import asyncpg
import numpy as np

from recsys.models import TrackFeatures, TrackIdentity, TrackInfo

log = logging.getLogger(__name__)

Conn: TypeAlias = asyncpg.Connection | asyncpg.Pool
# Who is writing: a catalog file is the curated source; a Spotify object (a library or a
# trending playlist) only fills in what the store does not know yet; an enrichment derives
# words and an embedding for stored tracks, and never brings back one deleted meanwhile.
TrackSource = Literal["catalog", "spotify", "enrichment"]


@dataclass(frozen=True, kw_only=True)
class TrackWrite:
    """One track as a writer knows it; None (an empty list, see COLUMNS) keeps the stored value."""

    # the track's identity, audio features and lyrics themes
    info: TrackInfo
    mood_words: tuple[str, ...] | None = None
    theme_tags: tuple[str, ...] | None = None
    embedding: np.ndarray | None = None
    content_hash: str | None = None
    in_catalog: bool = False
    # The song's identity (alembic 0009, docs/library_mood.md): the ISRC from Spotify's
    # external_ids, and the song and artist keys of recsys/same_song.py ("" when the title or
    # artist folds to nothing: keyed, with no key).
    isrc: str | None = None
    song_key: str | None = None
    artist_key: str | None = None


class Merge(Enum):
    """How an upserted value meets the stored one."""

    # the writer's value wins
    REPLACED = "replaced"
    # NULL keeps the stored value: a library sync has no audio features, an unchanged track
    # no new embedding
    KEPT_WHEN_NULL = "kept when null"
    # an empty list (no genres, no lyrics found) keeps the stored one
    KEPT_WHEN_EMPTY = "kept when empty"
    # the catalog's value wins; a Spotify object only fills a new row (or a missing value)
    CATALOG_WINS = "catalog wins"
    # once true, stays true
    ANY = "any"


@dataclass(frozen=True)
class Column:
    """A tracks column an upsert writes: its name, its SQL type and its merge rule."""

    name: str
    sql_type: str
    merge: Merge


# Every column a TrackWrite carries: its info's identity and audio features, in their field
# order, its lyrics themes, then the write's own fields (checked below).
COLUMNS: tuple[Column, ...] = (
    Column("spotify_id", "text", Merge.REPLACED),
    Column("title", "text", Merge.CATALOG_WINS),
    Column("artists", "text[]", Merge.CATALOG_WINS),
    Column("album", "text", Merge.CATALOG_WINS),
    Column("popularity", "smallint", Merge.KEPT_WHEN_NULL),
    Column("release_year", "smallint", Merge.KEPT_WHEN_NULL),
    Column("genres", "text[]", Merge.KEPT_WHEN_EMPTY),
    Column("danceability", "real", Merge.KEPT_WHEN_NULL),
    Column("energy", "real", Merge.KEPT_WHEN_NULL),
    Column("key", "smallint", Merge.KEPT_WHEN_NULL),
    Column("loudness", "real", Merge.KEPT_WHEN_NULL),
    Column("mode", "smallint", Merge.KEPT_WHEN_NULL),
    Column("speechiness", "real", Merge.KEPT_WHEN_NULL),
    Column("acousticness", "real", Merge.KEPT_WHEN_NULL),
    Column("instrumentalness", "real", Merge.KEPT_WHEN_NULL),
    Column("liveness", "real", Merge.KEPT_WHEN_NULL),
    Column("valence", "real", Merge.KEPT_WHEN_NULL),
    Column("tempo", "real", Merge.KEPT_WHEN_NULL),
    Column("time_signature", "smallint", Merge.KEPT_WHEN_NULL),
    Column("lyrics_themes", "text[]", Merge.KEPT_WHEN_EMPTY),
    Column("mood_words", "text[]", Merge.KEPT_WHEN_NULL),
    Column("theme_tags", "text[]", Merge.KEPT_WHEN_NULL),
    # the schema's vector(384)
    Column("embedding", "vector(384)", Merge.KEPT_WHEN_NULL),
    Column("content_hash", "text", Merge.KEPT_WHEN_NULL),
    Column("in_catalog", "boolean", Merge.ANY),
    # a writer without an ISRC (a track object without external_ids, the catalog) keeps one
    Column("isrc", "text", Merge.KEPT_WHEN_NULL),
    Column("song_key", "text", Merge.KEPT_WHEN_NULL),
    Column("artist_key", "text", Merge.KEPT_WHEN_NULL),
)
TRACK_COLUMNS: tuple[str, ...] = tuple(c.name for c in COLUMNS)
_IDENTITY = tuple(f.name for f in fields(TrackIdentity))
_FEATURES = tuple(f.name for f in fields(TrackFeatures))
_WRITTEN = tuple(f.name for f in fields(TrackWrite) if f.name != "info")
assert (*_IDENTITY, *_FEATURES, "lyrics_themes", *_WRITTEN) == TRACK_COLUMNS, (
    "COLUMNS and TrackWrite differ"
)
# NOT NULL array columns: a NULL staged value falls back to the stored one, then to empty.
_NOT_NULL_ARRAYS = ("genres", "mood_words", "theme_tags", "lyrics_themes")

_STAGING = "track_upserts"
STAGING_DDL = (
    f"CREATE TEMP TABLE IF NOT EXISTS {_STAGING} ("
    + ", ".join(f"{c.name} {c.sql_type}" for c in COLUMNS)
    + ") ON COMMIT DELETE ROWS"
)


def _merged(column: Column) -> str:
    """The value a column takes when an upsert meets a stored row ($1: the catalog writes)."""
    new, old = f"EXCLUDED.{column.name}", f"tracks.{column.name}"
    if column.merge is Merge.KEPT_WHEN_NULL:
        return f"COALESCE({new}, {old})"
    if column.merge is Merge.KEPT_WHEN_EMPTY:
        return f"CASE WHEN cardinality({new}) > 0 THEN {new} ELSE {old} END"
    if column.merge is Merge.CATALOG_WINS:
        return f"CASE WHEN $1 THEN COALESCE({new}, {old}) ELSE COALESCE({old}, {new}) END"
    if column.merge is Merge.ANY:
        return f"{old} OR {new}"
    return new


def _selected(name: str) -> str:
    """A staged column as inserted."""
    if name in _NOT_NULL_ARRAYS:
        # EXCLUDED sees this value, so a NULL must become the stored list, not an empty one
        return f"COALESCE(s.{name}, stored.{name}, '{{}}')"
    return f"s.{name}"


def _upsert_sql() -> str:
    updated = [c for c in COLUMNS if c.name != "spotify_id"]
    assignments = ",\n    ".join(f"{c.name} = {_merged(c)}" for c in updated)
    current = ", ".join(f"tracks.{c.name}" for c in updated)
    merged = ", ".join(_merged(c) for c in updated)
    return f"""
INSERT INTO tracks ({", ".join(TRACK_COLUMNS)})
SELECT {", ".join(_selected(name) for name in TRACK_COLUMNS)}
FROM {_STAGING} s LEFT JOIN tracks stored USING (spotify_id)
WHERE $2 OR stored.spotify_id IS NOT NULL
-- one lock order for every writer, so two overlapping upserts cannot deadlock
ORDER BY s.spotify_id
ON CONFLICT (spotify_id) DO UPDATE SET
    {assignments},
    updated_at = now()
-- a catalog row whose merged values equal the stored ones is left alone (re-imports change
-- nothing); a Spotify write touches every row, so retention sees the track still in use
WHERE NOT $1 OR ({current}) IS DISTINCT FROM ({merged})
RETURNING (xmax = 0) AS inserted
"""


# $1 boolean: the writer is the catalog (its names win, unchanged rows are left alone);
# $2 boolean: new tracks are inserted (otherwise only stored ones are written).
UPSERT_SQL = _upsert_sql()


@dataclass(frozen=True)
class UpsertCounts:
    """What a bulk upsert did: rows inserted, rows changed or touched; the rest were so already."""

    inserted: int
    updated: int


async def upsert_tracks(
    conn: asyncpg.Connection, rows: Sequence[TrackWrite], source: TrackSource
) -> UpsertCounts:
    """Insert or merge tracks through COPY, in one transaction; see Merge for who wins."""
    if not rows:
        return UpsertCounts(0, 0)
    records = [_record(row) for row in rows]
    async with conn.transaction():
        await conn.execute(STAGING_DDL)
        await conn.copy_records_to_table(_STAGING, records=records, columns=TRACK_COLUMNS)
        returned = await conn.fetch(UPSERT_SQL, source == "catalog", source != "enrichment")
    inserted = sum(1 for row in returned if row["inserted"])
    return UpsertCounts(inserted, len(returned) - inserted)


def _record(row: TrackWrite) -> tuple[Any, ...]:
    """A TrackWrite as a COPY record, in COLUMNS' order: tuples become lists (text[])."""
    info, features = row.info, row.info.features
    values = (
        *(getattr(info, name) for name in _IDENTITY),
        *(getattr(features, name) for name in _FEATURES),
        info.lyrics_themes,
        *(getattr(row, name) for name in _WRITTEN),
    )
    return tuple(list(v) if isinstance(v, tuple) else v for v in values)


def stored_info(row: asyncpg.Record, lyrics_themes: tuple[str, ...] = ()) -> TrackInfo:
    """A `tracks` row as the enricher's input, with the audio features it has; `lyrics_themes`,
    when given, instead of the stored ones. Arrays become tuples."""
    identity = {name: _tupled(row[name]) for name in _IDENTITY}
    return TrackInfo(
        **identity,
        features=TrackFeatures(**{name: row[name] for name in _FEATURES}),
        lyrics_themes=lyrics_themes or tuple(row["lyrics_themes"]),
    )


def _tupled(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


@dataclass(frozen=True)
class StoredTrack:
    """A stored track's id, and whether it still lacks an embedding."""

    id: int
    spotify_id: str
    needs_embedding: bool


async def stored_tracks(conn: Conn, spotify_ids: Sequence[str]) -> list[StoredTrack]:
    """The stored tracks among these Spotify ids."""
    rows = await conn.fetch(
        """
        SELECT id, spotify_id, embedding IS NULL AS needs_embedding FROM tracks
        WHERE spotify_id = ANY($1::text[])
        """,
        list(spotify_ids),
    )
    return [StoredTrack(r["id"], r["spotify_id"], r["needs_embedding"]) for r in rows]


@dataclass(frozen=True)
class StoredText:
    """What decided a stored embedding: its content hash, and the lyrics themes it carries."""

    content_hash: str
    lyrics_themes: tuple[str, ...]


async def stored_texts(conn: Conn, spotify_ids: Sequence[str]) -> dict[str, StoredText]:
    """Spotify id -> content hash and lyrics themes, for those that have an embedding."""
    rows = await conn.fetch(
        """
        SELECT spotify_id, content_hash, lyrics_themes FROM tracks
        WHERE spotify_id = ANY($1::text[])
          AND content_hash IS NOT NULL AND embedding IS NOT NULL
        """,
        list(spotify_ids),
    )
    return {r["spotify_id"]: StoredText(r["content_hash"], tuple(r["lyrics_themes"])) for r in rows}


async def tracks_to_enrich(conn: Conn, track_ids: list[int]) -> list[asyncpg.Record]:
    """Rows (with any catalog features) of these tracks that have no embedding yet."""
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT * FROM tracks WHERE id = ANY($1::bigint[]) AND embedding IS NULL", track_ids
    )
    return rows


async def track_ids(conn: Conn, spotify_ids: Sequence[str]) -> dict[str, int]:
    """Spotify id -> track id, for the ids that are stored."""
    rows = await conn.fetch(
        "SELECT spotify_id, id FROM tracks WHERE spotify_id = ANY($1::text[])", list(spotify_ids)
    )
    return {row["spotify_id"]: row["id"] for row in rows}


async def track_by_spotify_id(conn: Conn, spotify_id: str) -> asyncpg.Record | None:
    """The stored track with this Spotify id, every column, or None."""
    row: asyncpg.Record | None = await conn.fetchrow(
        "SELECT * FROM tracks WHERE spotify_id = $1", spotify_id
    )
    return row


async def count_tracks(conn: Conn, *, in_catalog: bool | None = None) -> int:
    """How many tracks are stored (only catalog ones, or only others, when asked)."""
    count: int = await conn.fetchval(
        "SELECT count(*) FROM tracks WHERE $1::boolean IS NULL OR in_catalog = $1", in_catalog
    )
    return count
