"""Forgetting a user and pruning old data: the SQL behind /forget_me, unlink and retention."""

from __future__ import annotations

import asyncpg

# Tracks unseen for this long may be deleted when nothing refers to them any more; younger
# ones may belong to a sync that has stored the track but not yet its library entry.
ORPHAN_GRACE_S = 3600.0

FORGET_COUNTS = """
SELECT
  (SELECT count(*) FROM spotify_links WHERE user_id = $1) AS link,
  (SELECT count(*) FROM library_entries WHERE user_id = $1) AS library_entries,
  (SELECT count(*) FROM recommendations WHERE user_id = $1) AS recommendations,
  (SELECT count(*) FROM feedback WHERE user_id = $1) AS feedback,
  (SELECT count(*) FROM chat_members WHERE user_id = $1) AS chat_memberships,
  (SELECT count(*) FROM jobs WHERE user_id = $1) AS jobs,
  (SELECT count(*) FROM language_choices WHERE user_id = $1) AS language
"""

# Running jobs are cancelled, not deleted: the worker running one notices at its next save
# (its lease no longer matches) and stops. Everything they carried is wiped.
CANCEL_RUNNING_JOBS = """
UPDATE jobs SET status = 'cancelled', payload = '{}', progress = '{}', result = NULL,
    last_error = NULL, dedupe_key = NULL, user_id = NULL, locked_by = NULL, locked_until = NULL,
    finished_at = now(), updated_at = now()
WHERE (user_id = $1 OR dedupe_key = 'library:' || $1::text) AND status = 'running'
"""
DELETE_OTHER_JOBS = """
DELETE FROM jobs WHERE (user_id = $1 OR dedupe_key = 'library:' || $1::text)
    AND status <> 'running'
"""

# The user's photos: an answer remembers the hashes of the photos it came from.
THEIR_PHOTOS = "SELECT DISTINCT unnest(image_hashes) AS h FROM recommendations WHERE user_id = $1"

# Tracks that only this user's library brought in (not catalog, nobody else's, not trending).
LIBRARY_ONLY_TRACKS = """
SELECT t.id FROM tracks t
WHERE NOT t.in_catalog
  AND t.id IN (SELECT track_id FROM library_entries WHERE user_id = $1)
  AND NOT EXISTS (SELECT 1 FROM library_entries e WHERE e.track_id = t.id AND e.user_id <> $1)
  AND NOT EXISTS (SELECT 1 FROM trending_entries r WHERE r.track_id = t.id)
"""

# Other listeners' answers made by a press on hers: their own rows (their thumbs and saved
# playlists stay), emptied of what came from her (words, photo description, photos, mood
# line). Someone's own answer to the same picture is theirs and is not touched.
SCRUB_DERIVED = """
UPDATE recommendations
SET query = jsonb_build_object('caption', NULL, 'words', '', 'color', NULL,
        'shifts', COALESCE(query->'shifts', '[]'::jsonb)),
    mood = '{}'::jsonb, image_hashes = '{}', words_user_id = NULL
WHERE words_user_id = $1 AND user_id IS DISTINCT FROM $1
"""

# Other listeners' answers that blended this user's library keep no trace of the user id.
SCRUB_BLENDS = """
UPDATE recommendations SET query = jsonb_set(query, '{user_ids}', COALESCE(
    (SELECT jsonb_agg(e) FROM jsonb_array_elements(query->'user_ids') e
     WHERE e <> to_jsonb($1::bigint)), '[]'::jsonb))
WHERE query->'user_ids' @> jsonb_build_array($1::bigint)
"""


async def forget_user(conn: asyncpg.Connection, user_id: int) -> dict[str, int]:
    """Delete every row about the user; counts of what went (one transaction)."""
    async with conn.transaction():
        # wait for a library sync's page in flight (it holds the link FOR SHARE)
        await conn.execute("SELECT 1 FROM spotify_links WHERE user_id = $1 FOR UPDATE", user_id)
        counts = dict(await conn.fetchrow(FORGET_COUNTS, user_id))
        await conn.execute(CANCEL_RUNNING_JOBS, user_id)
        await conn.execute(DELETE_OTHER_JOBS, user_id)
        photos = [row["h"] for row in await conn.fetch(THEIR_PHOTOS, user_id)]
        counts["captions"] = _count(
            await conn.execute("DELETE FROM caption_cache WHERE image_hash = ANY($1)", photos)
        )
        # answers others made from hers (a press on her answer) keep theirs, lose her words
        counts["scrubbed_answers"] = _count(await conn.execute(SCRUB_DERIVED, user_id))
        tracks = [row["id"] for row in await conn.fetch(LIBRARY_ONLY_TRACKS, user_id)]
        await conn.execute(SCRUB_BLENDS, user_id)
        # updates of theirs still waiting in the inbox (stored, not yet answered)
        await conn.execute(FORGET_INBOX, user_id)
        await conn.execute("DELETE FROM chat_users WHERE id = $1", user_id)
        counts["tracks"] = await drop_orphan_tracks(conn, tracks)
    return {key: int(value) for key, value in counts.items()}


async def unlink(conn: asyncpg.Connection, user_id: int) -> dict[str, int]:
    """Delete the link (tokens), the imported library and the user's library jobs."""
    async with conn.transaction():
        await conn.execute("SELECT 1 FROM spotify_links WHERE user_id = $1 FOR UPDATE", user_id)
        tracks = [row["id"] for row in await conn.fetch(LIBRARY_ONLY_TRACKS, user_id)]
        await conn.execute(CANCEL_RUNNING_JOBS, user_id)
        await conn.execute(DELETE_OTHER_JOBS, user_id)
        entries = await conn.execute("DELETE FROM library_entries WHERE user_id = $1", user_id)
        links = await conn.execute("DELETE FROM spotify_links WHERE user_id = $1", user_id)
        await conn.execute("DELETE FROM oauth_states WHERE user_id = $1", user_id)
        await drop_orphan_tracks(conn, tracks)
    return {"link": _count(links), "library_entries": _count(entries)}


async def drop_orphan_tracks(conn: asyncpg.Connection | asyncpg.Pool, track_ids: list[int]) -> int:
    """Delete these tracks where nothing refers to them any more (no catalog, library, trend)."""
    if not track_ids:
        return 0
    result: str = await conn.execute(
        """
        DELETE FROM tracks t WHERE t.id = ANY($1::bigint[]) AND NOT t.in_catalog
          AND NOT EXISTS (SELECT 1 FROM library_entries e WHERE e.track_id = t.id)
          AND NOT EXISTS (SELECT 1 FROM trending_entries r WHERE r.track_id = t.id)
        """,
        track_ids,
    )
    return _count(result)


FORGET_INBOX = """
DELETE FROM inbox i USING chat_users u
WHERE u.id = $1 AND i.platform = u.platform AND i.user_id = u.platform_user_id
"""

# Whole-answer thumbs become per-track thumbs before their answer is pruned, so that
# "never again" and "more like this" outlive the answer.
KEEP_THUMBS = """
INSERT INTO feedback (recommendation_id, user_id, track_id, kind, created_at)
SELECT NULL, f.user_id, rt.track_id, f.kind, f.created_at
FROM feedback f
JOIN recommendations r ON r.id = f.recommendation_id
JOIN recommendation_tracks rt ON rt.recommendation_id = r.id
WHERE f.track_id IS NULL AND f.kind IN ('up', 'down')
  AND r.created_at < now() - make_interval(secs => $1)
"""
PRUNE = {
    "jobs": """DELETE FROM jobs WHERE status IN ('done', 'failed', 'cancelled')
        AND finished_at < now() - make_interval(secs => $1)""",
    "feedback": """DELETE FROM feedback f USING recommendations r
        WHERE r.id = f.recommendation_id AND r.created_at < now() - make_interval(secs => $1)
          AND (f.track_id IS NULL OR f.kind NOT IN ('up', 'down'))""",
    "answers": "DELETE FROM recommendations WHERE created_at < now() - make_interval(secs => $1)",
    "captions": "DELETE FROM caption_cache WHERE created_at < now() - make_interval(secs => $1)",
    "link_states": "DELETE FROM oauth_states WHERE expires_at < now() - make_interval(secs => $1)",
}
ORPHANS = """
DELETE FROM tracks t WHERE NOT t.in_catalog AND t.updated_at < now() - make_interval(secs => $1)
  AND NOT EXISTS (SELECT 1 FROM library_entries e WHERE e.track_id = t.id)
  AND NOT EXISTS (SELECT 1 FROM trending_entries r WHERE r.track_id = t.id)
  AND NOT EXISTS (SELECT 1 FROM recommendation_tracks rt WHERE rt.track_id = t.id)
"""


async def prune_expired(conn: asyncpg.Connection, older_than_s: float) -> dict[str, int]:
    """Delete answers, captions, finished jobs and used link states older than the retention."""
    counts: dict[str, int] = {}
    async with conn.transaction():
        await conn.execute(KEEP_THUMBS, older_than_s)
        for name, sql in PRUNE.items():
            counts[name] = _count(await conn.execute(sql, older_than_s))
        counts["tracks"] = _count(await conn.execute(ORPHANS, ORPHAN_GRACE_S))
    return counts


def _count(status: str) -> int:
    return int(status.split()[-1])
