"""The caption cache: a photo seen before (same pixels, model, prompt) is not captioned again."""

from __future__ import annotations

import json
import logging
from typing import Any

import asyncpg

from db.errors import DatabaseError
from recsys.models import AudioTraits, Caption

log = logging.getLogger(__name__)


async def get_cached_caption(
    conn: asyncpg.Connection | asyncpg.Pool, image_hash: str, model: str, prompt_version: str
) -> Caption | None:
    """The stored caption for this image, model and prompt version, or None."""
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
    except (asyncpg.PostgresError, OSError) as err:
        raise DatabaseError(f"Cannot read the caption cache: {err}") from err
    if stored is None:
        return None
    try:
        return caption_from_json(json.loads(stored) if isinstance(stored, str) else stored)
    except (ValueError, TypeError, KeyError) as err:
        # An entry written by an older release that no longer parses is just a miss.
        log.warning("ignoring an unreadable cached caption for %s: %s", image_hash[:12], err)
        return None


async def store_caption(
    conn: asyncpg.Connection | asyncpg.Pool,
    image_hash: str,
    model: str,
    prompt_version: str,
    caption: Caption,
) -> None:
    """Remember a caption; a second store of the same key replaces the first."""
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
            json.dumps(caption_to_json(caption)),
        )
    except (asyncpg.PostgresError, OSError) as err:
        raise DatabaseError(f"Cannot write the caption cache: {err}") from err


def caption_to_json(caption: Caption) -> dict[str, Any]:
    """A caption as plain JSON values."""
    return {
        "description": caption.description,
        "mood_words": list(caption.mood_words),
        "themes": list(caption.themes),
        "traits": caption.traits.as_dict(),
        "genres": list(caption.genres),
        "source": caption.source,
        "model": caption.model,
    }


def caption_from_json(data: dict[str, Any]) -> Caption:
    """The caption stored by caption_to_json."""
    traits = {key: value for key, value in data.get("traits", {}).items() if value is not None}
    return Caption(
        description=str(data["description"]),
        mood_words=tuple(data.get("mood_words", ())),
        themes=tuple(data.get("themes", ())),
        traits=AudioTraits(**{key: float(value) for key, value in traits.items()}),
        genres=tuple(data.get("genres", ())),
        source=data.get("source", "vision"),
        model=str(data.get("model", "")),
    )
