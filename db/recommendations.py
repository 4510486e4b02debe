"""Recommendations given (stored so that their buttons work later) and the feedback on them."""

from __future__ import annotations

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
    # the answer a press made this one from, and whose words and photos its query holds
    # (None: its own listener's, or forgotten)
    origin_id: int | None = None
    words_user_id: int | None = None

    @property
    def words_owner(self) -> int | None:
        """The listener whose words and photos this answer's query holds."""
        return self.words_user_id if self.words_user_id is not None else self.user_id


@dataclass(frozen=True)
class Origin:
    """Where a derived answer came from: the answer pressed and whose words it carries."""

    answer_id: int
    words_user_id: int | None


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
    origin: Origin | None = None,
) -> int:
    """Store a recommendation and its (track id, score) list in order; returns its id.

    `image_hashes` are the photos it answered (forgetting the user forgets their cached
    captions); `press_token` is the secret its buttons carry; `origin` the answer a press
    made it from (forgetting that answer's listener scrubs this one).
    """
    async with pool.acquire() as conn, conn.transaction():
        rec_id: int = await conn.fetchval(
            """
            INSERT INTO recommendations (user_id, platform, chat_id, query, mood, image_hashes,
                press_token, origin_id, words_user_id)
            VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6, $7, $8, $9) RETURNING id
            """,
            user_id,
            platform,
            chat_id,
            query,
            mood,
            list(image_hashes),
            press_token,
            origin.answer_id if origin else None,
            _words_user(origin, user_id),
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
               r.origin_id, r.words_user_id,
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
        query=row["query"],
        track_ids=tuple(row["track_ids"]),
        image_hashes=tuple(row["image_hashes"]),
        press_token=row["press_token"],
        origin_id=row["origin_id"],
        words_user_id=row["words_user_id"],
    )


def _words_user(origin: Origin | None, user_id: int | None) -> int | None:
    # The listener's own words need no mark: their rows go with them.
    if origin is None or origin.words_user_id == user_id:
        return None
    return origin.words_user_id


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


@dataclass(frozen=True)
class SavedPlaylist:
    """The playlist one press of "Save as playlist" made (None fields: still being made)."""

    playlist_id: str | None
    url: str | None
    name: str | None
    tracks: int


# A claim older than this was left by a process that died mid-save: another press may retry.
SAVE_CLAIM_TTL_S = 120.0

CLAIM_SAVE = """
INSERT INTO saved_playlists (recommendation_id, user_id) VALUES ($1, $2)
ON CONFLICT (recommendation_id, user_id) DO UPDATE SET claimed_at = now()
    WHERE saved_playlists.playlist_id IS NULL
      AND saved_playlists.claimed_at < now() - make_interval(secs => $3)
RETURNING recommendation_id
"""


async def claim_playlist_save(
    pool: asyncpg.Pool, rec_id: int, user_id: int
) -> SavedPlaylist | None:
    """None: this press may make the playlist (it holds the claim); else the one already
    made, or being made by another press (its playlist_id None)."""
    if await pool.fetchval(CLAIM_SAVE, rec_id, user_id, SAVE_CLAIM_TTL_S) is not None:
        return None
    row = await pool.fetchrow(
        """SELECT playlist_id, playlist_url, name, tracks FROM saved_playlists
        WHERE recommendation_id = $1 AND user_id = $2""",
        rec_id,
        user_id,
    )
    if row is None:  # forgotten between the two statements: nothing to claim any more
        return SavedPlaylist(None, None, None, 0)
    return SavedPlaylist(row["playlist_id"], row["playlist_url"], row["name"], row["tracks"])


async def finish_playlist_save(
    pool: asyncpg.Pool, rec_id: int, user_id: int, saved: SavedPlaylist
) -> None:
    """Record the playlist a claimed save made."""
    await pool.execute(
        """UPDATE saved_playlists SET playlist_id = $3, playlist_url = $4, name = $5, tracks = $6
        WHERE recommendation_id = $1 AND user_id = $2""",
        rec_id,
        user_id,
        saved.playlist_id,
        saved.url,
        saved.name,
        saved.tracks,
    )


async def release_playlist_save(pool: asyncpg.Pool, rec_id: int, user_id: int) -> None:
    """Give up a claim whose save failed, so the next press tries again."""
    await pool.execute(
        """DELETE FROM saved_playlists
        WHERE recommendation_id = $1 AND user_id = $2 AND playlist_id IS NULL""",
        rec_id,
        user_id,
    )


# The listeners' thumbs as track ids: a thumb on a whole answer counts for its tracks.
FEEDBACK_SQL = """
SELECT x.kind, array_agg(DISTINCT x.track_id) AS track_ids FROM (
    SELECT f.kind, COALESCE(f.track_id, rt.track_id) AS track_id, f.created_at
    FROM feedback f
    LEFT JOIN recommendation_tracks rt
      ON f.track_id IS NULL AND rt.recommendation_id = f.recommendation_id
    WHERE f.user_id = ANY($1::bigint[]) AND f.kind IN ('up', 'down')
) x WHERE x.track_id IS NOT NULL GROUP BY x.kind
"""


async def feedback_tracks(
    pool: asyncpg.Pool, user_ids: tuple[int, ...]
) -> tuple[set[int], set[int]]:
    """(liked, disliked) track ids of these listeners; a dislike outweighs a like."""
    if not user_ids:
        return set(), set()
    rows = await pool.fetch(FEEDBACK_SQL, list(user_ids))
    by_kind = {row["kind"]: set(row["track_ids"]) for row in rows}
    disliked = by_kind.get("down", set())
    return by_kind.get("up", set()) - disliked, disliked
