"""Recommendations given (stored so that their buttons work later) and the feedback on them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import asyncpg


@dataclass(frozen=True)
class StoredRecommendation:
    """A recommendation as stored: who got it, what was asked, which tracks were shown."""

    id: int
    user_id: int | None
    platform: str | None
    chat_id: str | None
    query: dict[str, Any]
    track_ids: tuple[int, ...]
    image_hashes: tuple[str, ...] = ()
    # the secret its buttons carry; None for rows stored before buttons had one
    press_token: str | None = field(default=None, repr=False)


async def store_recommendation(
    pool: asyncpg.Pool,
    *,
    user_id: int | None,
    platform: str | None,
    chat_id: str | None,
    query: dict[str, Any],
    mood: dict[str, Any],
    picks: list[tuple[int, float]],
    image_hashes: tuple[str, ...] = (),
    press_token: str | None = None,
) -> int:
    """Store a recommendation and its (track id, score) list in order; returns its id.

    `image_hashes` are the photos it answered (forgetting the user forgets their cached
    captions); `press_token` is the secret its buttons carry.
    """
    async with pool.acquire() as conn, conn.transaction():
        rec_id: int = await conn.fetchval(
            """
            INSERT INTO recommendations (user_id, platform, chat_id, query, mood, image_hashes,
                press_token)
            VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6, $7) RETURNING id
            """,
            user_id,
            platform,
            chat_id,
            json.dumps(query),
            json.dumps(mood),
            list(image_hashes),
            press_token,
        )
        await conn.executemany(
            """
            INSERT INTO recommendation_tracks (recommendation_id, position, track_id, score)
            VALUES ($1, $2, $3, $4)
            """,
            [
                (rec_id, position, track_id, score)
                for position, (track_id, score) in enumerate(picks)
            ],
        )
    return rec_id


async def load_recommendation(pool: asyncpg.Pool, rec_id: int) -> StoredRecommendation | None:
    """A stored recommendation, or None if it does not exist (or was forgotten)."""
    row = await pool.fetchrow(
        """
        SELECT r.id, r.user_id, r.platform, r.chat_id, r.query, r.press_token, r.image_hashes,
               coalesce(array_agg(rt.track_id ORDER BY rt.position)
                        FILTER (WHERE rt.track_id IS NOT NULL), '{}') AS track_ids
        FROM recommendations r
        LEFT JOIN recommendation_tracks rt ON rt.recommendation_id = r.id
        WHERE r.id = $1 GROUP BY r.id
        """,
        rec_id,
    )
    if row is None:
        return None
    return StoredRecommendation(
        id=row["id"],
        user_id=row["user_id"],
        platform=row["platform"],
        chat_id=row["chat_id"],
        query=json.loads(row["query"]),
        track_ids=tuple(row["track_ids"]),
        image_hashes=tuple(row["image_hashes"]),
        press_token=row["press_token"],
    )


async def recommendation_spotify_ids(pool: asyncpg.Pool, rec_id: int) -> list[str]:
    """The Spotify ids of an answer's tracks, in the order they were shown."""
    rows = await pool.fetch(
        """
        SELECT t.spotify_id FROM recommendation_tracks rt JOIN tracks t ON t.id = rt.track_id
        WHERE rt.recommendation_id = $1 ORDER BY rt.position
        """,
        rec_id,
    )
    return [row["spotify_id"] for row in rows]


async def shown_to_user(pool: asyncpg.Pool, user_id: int, limit: int = 50) -> set[int]:
    """Tracks recently shown to a listener (for "different vibe" answers)."""
    rows = await pool.fetch(
        """
        SELECT rt.track_id FROM recommendations r
        JOIN recommendation_tracks rt ON rt.recommendation_id = r.id
        WHERE r.user_id = $1 ORDER BY r.created_at DESC LIMIT $2
        """,
        user_id,
        limit,
    )
    return {row["track_id"] for row in rows}


async def add_feedback(
    pool: asyncpg.Pool,
    rec_id: int,
    user_id: int,
    kind: str,
    track_id: int | None = None,
) -> None:
    """Record a thumbs up/down (or more/different) on a recommendation or one of its tracks."""
    await pool.execute(
        """
        INSERT INTO feedback (recommendation_id, user_id, track_id, kind)
        VALUES ($1, $2, $3, $4)
        """,
        rec_id,
        user_id,
        track_id,
        kind,
    )
