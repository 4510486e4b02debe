"""Candidate search: HNSW over the catalog, exact mood KNN, exact search of listeners' libraries."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg
import numpy as np

# pgvector 0.8 applies filters after the HNSW scan; with iterative scan it keeps scanning until
# enough rows pass `in_catalog` and the exclusions, so a selective filter cannot starve the
# result. ef_search 200 is the latency/recall trade measured by benchmarks/search_scale.py
# (recall@50 against exact search: see benchmarks/README.md; it is below 0.95 at 1M with the
# schema's m=16, ef_construction=64 index). Text similarity is one signal of several, and the
# mood and library candidates are exact, so a missed semantic neighbour costs little.
HNSW_EF_SEARCH = 200
HNSW_ITERATIVE_SCAN = "relaxed_order"
# Candidates per source; the ranker sees their union (about 300 rows). 100 each halves the
# candidate query's time against 200 each (12.8 vs 18.5 ms at 28k) with no loss in the
# quality benchmark.
SEMANTIC_CANDIDATES = 100
MOOD_CANDIDATES = 100
LIBRARY_CANDIDATES = 100
# Liked tracks whose neighbours get a lift; older likes matter less and cost more.
MAX_LIKED = 50

CANDIDATES_SQL = """
WITH sem AS MATERIALIZED (
    SELECT id FROM tracks
    WHERE in_catalog AND embedding IS NOT NULL AND NOT (id = ANY($5::bigint[]))
    ORDER BY embedding <=> $1 LIMIT $6
), mood AS MATERIALIZED (
    SELECT id FROM tracks
    WHERE in_catalog AND mood_point IS NOT NULL AND NOT (id = ANY($5::bigint[]))
    ORDER BY mood_point <-> point($2, $3) LIMIT $7
), lib AS MATERIALIZED (
    SELECT DISTINCT ON (t.id) t.id, t.embedding <=> $1 AS dist FROM library_entries le
    JOIN tracks t ON t.id = le.track_id
    WHERE le.user_id = ANY($4::bigint[]) AND t.embedding IS NOT NULL
      AND NOT (t.id = ANY($5::bigint[]))
), lib_top AS (
    SELECT id FROM lib ORDER BY dist LIMIT $8
), ids AS (
    SELECT id FROM sem UNION SELECT id FROM mood UNION SELECT id FROM lib_top
)
SELECT t.id, t.spotify_id, t.title, t.artists, t.album, t.popularity, t.release_year, t.genres,
       t.valence, t.energy, t.danceability, t.acousticness, t.instrumentalness, t.tempo,
       t.mood_words, t.theme_tags, t.lyrics_themes,
       1 - (t.embedding <=> $1) AS similarity,
       (SELECT min(te.rank) FROM trending_entries te WHERE te.track_id = t.id) AS trending_rank,
       (SELECT le.playlist_name FROM library_entries le
        WHERE le.track_id = t.id AND le.user_id = ANY($4::bigint[])
        ORDER BY (le.origin = 'playlist') DESC, le.added_at DESC NULLS LAST
        LIMIT 1) AS playlist_name,
       (SELECT max(1 - (t.embedding <=> liked.embedding)) FROM tracks liked
        WHERE liked.id = ANY($9::bigint[])) AS liked_similarity
FROM tracks t JOIN ids USING (id)
"""


@dataclass(frozen=True)
class CandidateQuery:
    """What the candidate stage searches for."""

    embedding: np.ndarray
    valence: float
    energy: float
    user_ids: tuple[int, ...] = ()
    exclude_ids: tuple[int, ...] = ()
    liked_ids: tuple[int, ...] = ()


async def fetch_candidates(
    pool: asyncpg.Pool, query: CandidateQuery, *, ef_search: int = HNSW_EF_SEARCH
) -> list[asyncpg.Record]:
    """The union of semantic, mood and library candidates with what the ranker needs."""
    async with pool.acquire() as conn, conn.transaction(readonly=True):
        await conn.execute(
            f"SET LOCAL hnsw.ef_search = {int(ef_search)};"
            f"SET LOCAL hnsw.iterative_scan = {HNSW_ITERATIVE_SCAN}"
        )
        rows: list[asyncpg.Record] = await conn.fetch(
            CANDIDATES_SQL,
            query.embedding,
            query.valence,
            query.energy,
            list(query.user_ids),
            list(query.exclude_ids),
            SEMANTIC_CANDIDATES,
            MOOD_CANDIDATES,
            LIBRARY_CANDIDATES,
            list(query.liked_ids[:MAX_LIKED]),
        )
    return rows


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
