"""The caption cache: a photo seen before (same pixels, model, prompt) is not captioned again.

Captions travel here as plain JSON dicts; recsys owns the Caption type and its conversion."""

from __future__ import annotations

from typing import Any

import asyncpg

from db.errors import DatabaseError, DatabaseUnavailable


async def get_cached_caption(
    conn: asyncpg.Connection | asyncpg.Pool, image_hash: str, model: str, prompt_version: str
) -> dict[str, Any] | None:
    """The stored caption (as JSON values) for this image, model and prompt version, or None."""
    try:
        stored = await conn.fetchval(
            """
            SELECT caption FROM caption_cache
            WHERE image_hash = $1 AND model = $2 AND prompt_version = $3
            """,
            image_hash,
            model,
            prompt_version,
        )
    except (asyncpg.PostgresError, DatabaseUnavailable) as err:
        raise DatabaseError(f"Cannot read the caption cache: {err}") from err
    if stored is None:
        return None
    return stored if isinstance(stored, dict) else None


async def store_caption(
    conn: asyncpg.Connection | asyncpg.Pool,
    image_hash: str,
    model: str,
    prompt_version: str,
    caption: dict[str, Any],
) -> None:
    """Remember a caption (as JSON values); a second store of the same key replaces the first."""
    try:
        await conn.execute(
            """
            INSERT INTO caption_cache (image_hash, model, prompt_version, caption)
            VALUES ($1, $2, $3, $4::jsonb)
            ON CONFLICT (image_hash, model, prompt_version)
            DO UPDATE SET caption = EXCLUDED.caption, created_at = now()
            """,
            image_hash,
            model,
            prompt_version,
            caption,
        )
    except (asyncpg.PostgresError, DatabaseUnavailable) as err:
        raise DatabaseError(f"Cannot write the caption cache: {err}") from err
