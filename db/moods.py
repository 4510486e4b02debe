"""SQL for track moods: song keys, measured twins, estimates, features lookups, shares by source.

A track's `mood_source` says where its valence and energy come from (alembic 0009): measured
(`catalog`, `same_song`, `features_service`), `estimated` (its own `est_*` columns) or `none`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeAlias

import asyncpg

Conn: TypeAlias = asyncpg.Connection | asyncpg.Pool

MEASURED = ("catalog", "same_song", "features_service")
SOURCES = (*MEASURED, "estimated", "none")
_MEASURED_SQL = "('catalog', 'same_song', 'features_service')"
# The features a twin or the features service measures, each in 0..1 as Spotify defined them
# (handlers/edge/features.py reads these names from the service's answer).
UNIT_FEATURE_COLUMNS = (
    "valence",
    "energy",
    "danceability",
    "acousticness",
    "instrumentalness",
    "speechiness",
    "liveness",
)
# Those and the tempo (BPM), copied where the track has none.
FEATURE_COLUMNS = (*UNIT_FEATURE_COLUMNS, "tempo")


async def tracks_without_keys(conn: Conn, limit: int) -> list[asyncpg.Record]:
    """Tracks written before song keys existed (id, title, artists), oldest first."""
    return await conn.fetch(
        "SELECT id, title, artists FROM tracks WHERE song_key IS NULL AND artist_key IS NULL "
        "AND cardinality(artists) > 0 ORDER BY id LIMIT $1",
        limit,
    )


async def save_keys(conn: Conn, keys: Sequence[tuple[int, str | None, str | None]]) -> None:
    """Store (track id, song key, artist key); an unkeyable track gets '' so it is not redone."""
    await conn.execute(
        """
        UPDATE tracks t SET song_key = v.song, artist_key = v.artist
        FROM unnest($1::bigint[], $2::text[], $3::text[]) AS v(id, song, artist)
        WHERE t.id = v.id
        """,
        [k[0] for k in keys],
        [k[1] or "" for k in keys],
        [k[2] or "" for k in keys],
    )


async def unmeasured(conn: Conn, track_ids: Sequence[int]) -> list[asyncpg.Record]:
    """Of these tracks, those with no measured mood: id, spotify id, title, artists, isrc."""
    return await conn.fetch(
        """
        SELECT id, spotify_id, title, artists, isrc, song_key, artist_key FROM tracks
        WHERE id = ANY($1::bigint[]) AND mood_source IN ('estimated', 'none')
        """,
        list(track_ids),
    )


async def measured_twins(
    conn: Conn, song_keys: Sequence[str], isrcs: Sequence[str]
) -> list[asyncpg.Record]:
    """Measured tracks sharing one of these song keys or ISRCs (id, title, artists, isrc)."""
    return await conn.fetch(
        f"""
        SELECT id, title, artists, isrc FROM tracks
        WHERE mood_source IN {_MEASURED_SQL}
          AND (song_key = ANY($1::text[]) OR isrc = ANY($2::text[]))
        """,
        [k for k in song_keys if k],
        [i for i in isrcs if i],
    )


_COPY_FROM_TWIN = ", ".join(f"{c} = COALESCE(b.{c}, k.{c})" for c in FEATURE_COLUMNS)


async def copy_twin_moods(conn: Conn, pairs: Sequence[tuple[int, int]]) -> int:
    """Give each blind track (first) its measured twin's (second) features; how many took."""
    result: str = await conn.execute(
        f"""
        UPDATE tracks b SET {_COPY_FROM_TWIN}, mood_source = 'same_song', mood_twin_id = k.id,
            updated_at = now()
        FROM unnest($1::bigint[], $2::bigint[]) AS p(blind, known)
        JOIN tracks k ON k.id = p.known
        WHERE b.id = p.blind AND b.mood_source IN ('estimated', 'none')
          AND k.valence IS NOT NULL AND k.energy IS NOT NULL
        """,
        [p[0] for p in pairs],
        [p[1] for p in pairs],
    )
    return int(result.split()[-1])


async def artist_moods(conn: Conn, artist_keys: Sequence[str]) -> dict[str, asyncpg.Record]:
    """Per artist key: how many measured tracks, their valence and energy summed and summed
    squared."""
    rows = await conn.fetch(
        f"""
        SELECT artist_key, count(*) AS n, sum(valence) AS valence, sum(energy) AS energy,
               sum(valence * valence) AS valence_sq, sum(energy * energy) AS energy_sq
        FROM tracks WHERE artist_key = ANY($1::text[]) AND mood_source IN {_MEASURED_SQL}
        GROUP BY artist_key
        """,
        [k for k in artist_keys if k],
    )
    return {row["artist_key"]: row for row in rows}


async def playlist_moods(conn: Conn, user_id: int) -> dict[str, asyncpg.Record]:
    """Per playlist of a listener: how many measured tracks, valence and energy summed and
    summed squared."""
    rows = await conn.fetch(
        f"""
        SELECT e.playlist_id, count(*) AS n, sum(t.valence) AS valence, sum(t.energy) AS energy,
               sum(t.valence * t.valence) AS valence_sq, sum(t.energy * t.energy) AS energy_sq
        FROM library_entries e JOIN tracks t ON t.id = e.track_id
        WHERE e.user_id = $1 AND t.mood_source IN {_MEASURED_SQL}
        GROUP BY e.playlist_id
        """,
        user_id,
    )
    return {row["playlist_id"]: row for row in rows}


async def library_blind(conn: Conn, user_id: int) -> list[asyncpg.Record]:
    """A listener's tracks with no measured mood, each with its playlists."""
    return await conn.fetch(
        """
        SELECT t.id, t.spotify_id, t.title, t.artists, t.isrc, t.song_key, t.artist_key,
               array_agg(DISTINCT e.playlist_id) AS playlists
        FROM library_entries e JOIN tracks t ON t.id = e.track_id
        WHERE e.user_id = $1 AND t.mood_source IN ('estimated', 'none')
        GROUP BY t.id
        """,
        user_id,
    )


async def save_estimates(conn: Conn, rows: Sequence[tuple[int, float, float, float, str]]) -> None:
    """Store (track id, valence, energy, expected error, basis) on tracks still unmeasured."""
    await conn.executemany(
        """
        UPDATE tracks SET est_valence = $2, est_energy = $3, est_error = $4, est_basis = $5,
            mood_source = 'estimated', updated_at = now()
        WHERE id = $1 AND mood_source IN ('estimated', 'none')
          AND (est_valence, est_energy, est_error, est_basis, mood_source)
              IS DISTINCT FROM ($2::real, $3::real, $4::real, $5::text, 'estimated')
        """,
        rows,
    )


async def estimated_users(conn: Conn) -> list[int]:
    """Listeners with at least one estimated track (their estimates may be redone)."""
    rows = await conn.fetch(
        """
        SELECT DISTINCT e.user_id FROM library_entries e JOIN tracks t ON t.id = e.track_id
        WHERE t.mood_source IN ('estimated', 'none') ORDER BY e.user_id
        """
    )
    return [row["user_id"] for row in rows]


async def want_features(conn: Conn, track_ids: Sequence[int]) -> int:
    """Queue these tracks (those still unmeasured) for the features service; how many are new."""
    result: str = await conn.execute(
        """
        INSERT INTO features_lookups (track_id)
        SELECT id FROM tracks WHERE id = ANY($1::bigint[]) AND mood_source IN ('estimated', 'none')
        ON CONFLICT (track_id) DO NOTHING
        """,
        list(track_ids),
    )
    return int(result.split()[-1])


async def due_lookups(conn: Conn, limit: int) -> list[asyncpg.Record]:
    """Lookups due now (track id, spotify id), oldest first; measured tracks are dropped first."""
    await conn.execute(
        f"""
        DELETE FROM features_lookups l USING tracks t
        WHERE t.id = l.track_id AND t.mood_source IN {_MEASURED_SQL}
        """
    )
    return await conn.fetch(
        """
        SELECT l.track_id, t.spotify_id FROM features_lookups l JOIN tracks t ON t.id = l.track_id
        WHERE l.next_ask_at <= now() ORDER BY l.next_ask_at, l.track_id LIMIT $1
        """,
        limit,
    )


async def pending_lookups(conn: Conn) -> int:
    """How many lookups are due now."""
    count: int = await conn.fetchval(
        "SELECT count(*) FROM features_lookups WHERE next_ask_at <= now()"
    )
    return count


_SERVICE_SET = ", ".join(f"{c} = COALESCE(f.{c}, t.{c})" for c in FEATURE_COLUMNS)
_SERVICE_COLUMNS = ", ".join(f"{c} real" for c in FEATURE_COLUMNS)


async def save_service_features(conn: Conn, rows: Sequence[dict[str, Any]]) -> int:
    """Store features the service measured (dicts with spotify_id and FEATURE_COLUMNS)."""
    if not rows:
        return 0
    records = [
        {"spotify_id": r["spotify_id"], **{c: r.get(c) for c in FEATURE_COLUMNS}} for r in rows
    ]
    result: str = await conn.execute(
        f"""
        UPDATE tracks t SET {_SERVICE_SET}, mood_source = 'features_service', updated_at = now()
        FROM jsonb_to_recordset($1::jsonb) AS f(spotify_id text, {_SERVICE_COLUMNS})
        WHERE t.spotify_id = f.spotify_id AND t.mood_source IN ('estimated', 'none')
        """,
        records,  # the pool's jsonb codec encodes it
    )
    return int(result.split()[-1])


async def mark_missing(conn: Conn, track_ids: Sequence[int], reask_s: float) -> None:
    """The service did not know these tracks: ask again after `reask_s`."""
    await conn.execute(
        """
        UPDATE features_lookups SET status = 'missing', asked = asked + 1, asked_at = now(),
            next_ask_at = now() + make_interval(secs => $2)
        WHERE track_id = ANY($1::bigint[])
        """,
        list(track_ids),
        reask_s,
    )


async def drop_lookups(conn: Conn, track_ids: Sequence[int]) -> None:
    """Forget lookups that were answered."""
    await conn.execute(
        "DELETE FROM features_lookups WHERE track_id = ANY($1::bigint[])", list(track_ids)
    )


async def mood_shares(conn: Conn) -> dict[str, dict[str, int]]:
    """Tracks per mood source, for library, trending and catalog tracks."""
    rows = await conn.fetch(
        """
        SELECT 'library' AS scope, t.mood_source, count(*) AS n FROM tracks t
        WHERE EXISTS (SELECT 1 FROM library_entries e WHERE e.track_id = t.id)
        GROUP BY t.mood_source
        UNION ALL
        SELECT 'trending', t.mood_source, count(*) FROM tracks t
        WHERE EXISTS (SELECT 1 FROM trending_entries e WHERE e.track_id = t.id)
        GROUP BY t.mood_source
        UNION ALL
        SELECT 'catalog', t.mood_source, count(*) FROM tracks t WHERE t.in_catalog
        GROUP BY t.mood_source
        """
    )
    shares: dict[str, dict[str, int]] = {
        s: dict.fromkeys(SOURCES, 0) for s in ("library", "trending", "catalog")
    }
    for row in rows:
        shares[row["scope"]][row["mood_source"]] = row["n"]
    return shares


async def library_sources(conn: Conn, user_id: int) -> dict[str, int]:
    """A listener's distinct tracks per mood source, how many of the estimated rest on their
    words alone ('estimated_text'), and how many wait for the service ('queued')."""
    rows = await conn.fetch(
        """
        SELECT t.mood_source AS source, count(*) AS n FROM tracks t
        WHERE t.id IN (SELECT track_id FROM library_entries WHERE user_id = $1)
        GROUP BY t.mood_source
        UNION ALL
        SELECT 'estimated_text', count(*) FROM tracks t
        WHERE t.mood_source = 'estimated' AND t.est_basis = 'text'
          AND t.id IN (SELECT track_id FROM library_entries WHERE user_id = $1)
        UNION ALL
        SELECT 'queued', count(*) FROM features_lookups l
        WHERE l.status = 'wanted'
          AND l.track_id IN (SELECT track_id FROM library_entries WHERE user_id = $1)
        """,
        user_id,
    )
    return {row["source"]: row["n"] for row in rows}


# Below this many measured tracks their mean says little: the shipped catalog mean is used.
MIN_TRACKS_FOR_MEAN = 200


async def measured_mean(conn: Conn) -> tuple[float, float, float, float] | None:
    """Mean valence and energy of the measured tracks and their sds, or None when too few."""
    row = await conn.fetchrow(
        f"""
        SELECT count(*) AS n, avg(valence) AS valence, avg(energy) AS energy,
               stddev_pop(valence) AS valence_sd, stddev_pop(energy) AS energy_sd FROM tracks
        WHERE mood_source IN {_MEASURED_SQL}
        """
    )
    if row is None or row["n"] < MIN_TRACKS_FOR_MEAN:
        return None
    return (
        float(row["valence"]),
        float(row["energy"]),
        float(row["valence_sd"]),
        float(row["energy_sd"]),
    )


async def tracks_by_ids(conn: Conn, track_ids: Sequence[int]) -> list[asyncpg.Record]:
    """Every column of these tracks (to enrich them again)."""
    return await conn.fetch("SELECT * FROM tracks WHERE id = ANY($1::bigint[])", list(track_ids))


async def unmeasured_after(conn: Conn, after_id: int, limit: int) -> list[int]:
    """Ids of unmeasured tracks above `after_id`, in order (for batched passes)."""
    rows = await conn.fetch(
        """
        SELECT id FROM tracks WHERE id > $1 AND mood_source IN ('estimated', 'none')
        ORDER BY id LIMIT $2
        """,
        after_id,
        limit,
    )
    return [row["id"] for row in rows]


async def measured_changed_since(conn: Conn, since: datetime | None) -> bool:
    """Whether tracks lack keys, or the catalog or the service wrote a track after `since`.

    Same-song copies are left out: the refresh makes them itself.
    """
    changed: bool = await conn.fetchval(
        """
        SELECT EXISTS (SELECT 1 FROM tracks WHERE song_key IS NULL AND artist_key IS NULL
                       AND cardinality(artists) > 0)
            OR EXISTS (SELECT 1 FROM tracks WHERE mood_source IN ('catalog', 'features_service')
                       AND ($1::timestamptz IS NULL OR updated_at > $1))
        """,
        since,
    )
    return changed
