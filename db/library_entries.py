"""SQL for listeners' imported libraries (table library_entries)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeAlias

import asyncpg

Conn: TypeAlias = asyncpg.Connection | asyncpg.Pool


async def add_library_entries(conn: Conn, user_id: int, entries: list[dict[str, Any]]) -> None:
    """Link tracks to the user with their playlist (upsert: a page seen twice adds nothing).

    `entries` go as one jsonb array: keys track_id, playlist_id, playlist_name, origin, added_at.
    """
    await conn.execute(
        """
        INSERT INTO library_entries (user_id, track_id, playlist_id, playlist_name, origin,
            added_at, synced_at)
        SELECT $1, e.track_id, e.playlist_id, e.playlist_name, e.origin, e.added_at, now()
        FROM jsonb_to_recordset($2::jsonb) AS e(track_id bigint, playlist_id text,
            playlist_name text, origin text, added_at timestamptz)
        ON CONFLICT (user_id, track_id, playlist_id) DO UPDATE SET
            playlist_name = EXCLUDED.playlist_name, synced_at = now()
        """,
        user_id,
        entries,
    )


async def prune_library(
    conn: Conn, user_id: int, synced_before: datetime, keep_playlists: list[str]
) -> int:
    """Drop entries a finished sync did not see again (tracks removed from playlists)."""
    result: str = await conn.execute(
        """
        DELETE FROM library_entries
        WHERE user_id = $1 AND synced_at < $2 AND NOT (playlist_id = ANY($3::text[]))
        """,
        user_id,
        synced_before,
        keep_playlists,
    )
    return int(result.split()[-1])


async def library_count(conn: Conn, user_id: int) -> int:
    """How many (track, playlist) entries the user's library holds."""
    count: int = await conn.fetchval(
        "SELECT count(*) FROM library_entries WHERE user_id = $1", user_id
    )
    return count


async def library_tracks(conn: Conn, user_id: int) -> list[asyncpg.Record]:
    """The stored rows of every track in the user's library."""
    rows: list[asyncpg.Record] = await conn.fetch(
        """SELECT * FROM tracks WHERE id IN
        (SELECT track_id FROM library_entries WHERE user_id = $1) ORDER BY id""",
        user_id,
    )
    return rows
