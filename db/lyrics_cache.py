"""SQL for the lyrics lookup cache (table lyrics_cache): derived themes and misses only."""

from __future__ import annotations

from typing import TypeAlias

import asyncpg

Conn: TypeAlias = asyncpg.Connection | asyncpg.Pool


async def cached_lyrics_themes(conn: Conn, lookup_keys: list[str]) -> dict[str, tuple[str, ...]]:
    """Cached lookups (hits and misses) by key; a miss maps to ()."""
    rows = await conn.fetch(
        "SELECT lookup_key, themes FROM lyrics_cache WHERE lookup_key = ANY($1::text[])",
        lookup_keys,
    )
    return {row["lookup_key"]: tuple(row["themes"]) for row in rows}


async def cache_lyrics_themes(
    conn: Conn, lookup_key: str, found: bool, themes: tuple[str, ...]
) -> None:
    """Remember a lookup's derived themes, or that there were no lyrics."""
    await conn.execute(
        """
        INSERT INTO lyrics_cache (lookup_key, found, themes) VALUES ($1, $2, $3)
        ON CONFLICT (lookup_key) DO UPDATE SET found = EXCLUDED.found, themes = EXCLUDED.themes,
            fetched_at = now()
        """,
        lookup_key,
        found,
        list(themes),
    )
