"""SQL for trending entries (table trending_entries): each source's ranked tracks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeAlias

import asyncpg

Conn: TypeAlias = asyncpg.Connection | asyncpg.Pool


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


async def drop_unlisted_sources(conn: Conn, prefix: str, keep: list[str]) -> int:
    """Delete trending entries of sources (named `prefix...`) the operator no longer lists."""
    result: str = await conn.execute(
        "DELETE FROM trending_entries WHERE starts_with(source, $1) AND NOT (source = ANY($2))",
        prefix,
        keep,
    )
    return int(result.split()[-1])
