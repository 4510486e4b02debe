"""Candidate search: HNSW over the catalog, exact mood KNN, exact search of listeners' libraries."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Coroutine
from dataclasses import dataclass, fields
from typing import Any

import asyncpg
import numpy as np

from db.errors import DatabaseUnavailable
from recsys.models import Candidate, CandidateQuery, MoodEstimate, TrackFeatures, assemble

log = logging.getLogger(__name__)

# The HNSW index holds half-precision embeddings of catalog tracks (alembic 0003: m 24,
# ef_construction 128). What it finds is re-ordered by exact full-precision distance, so the
# half precision never decides which tracks go on. Recall against exact search comes from the
# graph and ef_search, not from re-ordering a wider pool: at 28k, ef_search 200 finds the same
# share of the true top 50 whether 50 or 200 of its results are re-ordered. ef_search 200 gives
# recall@50 0.957 on the real 28k catalog with this graph (0.973 at 300, 0.982 at 400, each
# step costing the scan about as much again: benchmarks/results/2026-12-01-index-sweep-28k.json).
# Text queries are far from every track, so recall falls with the catalog: 0.90 at 200k and 0.70
# at a million with this graph, 0.943 at pgvector's maximum ef_search of 1,000 there
# (benchmarks/README.md, docs/scaling.md section 3).
# Asking the index for more rows than ef_search makes the iterative scan run another round of
# ef_search tracks, so what decides recall is how many tracks the scan visits: at a million,
# ef_search 600 with 700 rows asked (two rounds, ~1,200 visited) gives 0.97 for about +18 ms at
# p50 over ef_search 200 with 100 (0.70), where one round of 1,000 gives 0.943. A catalog past
# LARGE_CATALOG_ROWS is searched that wide; a smaller one keeps the cheap default, which already
# reaches 0.957 at 28k (benchmarks/README.md, "Search breadth by catalog size").
# pgvector 0.8 applies filters after the HNSW scan; with iterative scan it keeps scanning until
# enough rows pass `in_catalog` and the exclusions, so a selective filter cannot starve the
# result.
HNSW_EF_SEARCH = 200
HNSW_ITERATIVE_SCAN = "relaxed_order"
# Set on every pooled connection at connect time (startup parameters: no extra round trip; they
# survive the RESET ALL asyncpg runs when a connection goes back to the pool, which a session
# SET would not), so a candidate search is a single statement without a transaction around it.
SESSION_SETTINGS = {
    "hnsw.ef_search": str(HNSW_EF_SEARCH),
    "hnsw.iterative_scan": HNSW_ITERATIVE_SCAN,
}
# The query pool's connections (db/pool.py: the replica's, or the primary's own) add a generic
# plan for every prepared statement. PostgreSQL would otherwise plan the catalog's candidate
# statement afresh at each answer (its generic cost estimate, with the LIMITs unknown, is
# higher than a custom plan's, so it never switches), and that planning (~0.85 ms, EXPLAIN
# ANALYZE at 28k) is on the answer's path. The generic plan is the same plan: the HNSW scan
# and the same joins (at 28k: `generic_plan_scans_index` of benchmarks/search_scale.py), and
# the same rows (tests/test_search_index.py). The pool only reads: its
# transactions are read-only, as on a replica.
QUERY_SETTINGS = {
    **SESSION_SETTINGS,
    "plan_cache_mode": "force_generic_plan",
    "default_transaction_read_only": "on",
}
LARGE_CATALOG_ROWS = 100_000  # measured: 0.957 at 28k, 0.90 at 200k with the default breadth
LARGE_EF_SEARCH = 600
LARGE_POOL = 700  # rows asked of the index and re-ordered exactly; 100 of them go on
CATALOG_SIZE_TTL_S = 600.0  # the catalog grows by imports, not per answer: re-read it rarely
# Candidates per source; the ranker sees their union (about 300 rows). 100 each halves the
# candidate query's time against 200 each (12.8 vs 18.5 ms at 28k) with no loss in the
# quality benchmark.
SEMANTIC_CANDIDATES = 100
MOOD_CANDIDATES = 100
LIBRARY_CANDIDATES = 100
# Liked tracks whose neighbours get a lift; older likes matter less and cost more.
MAX_LIKED = 50


# The catalog's index scan, the one definition of it: ids and exact distances of the catalog
# tracks nearest to a vector, $3 of them found through the halfvec HNSW index (the schema's
# vector(384), indexed as halfvec(384): alembic 0003) and re-ordered by exact full-precision
# distance, $4 kept. $1 query vector, $2 excluded track ids. Statements that include it use
# these four parameters for these four things.
INDEX_SCAN = """
    SELECT id, dist FROM (
        SELECT id, embedding <=> $1::vector AS dist FROM tracks
        WHERE in_catalog AND embedding IS NOT NULL AND NOT (id = ANY($2::bigint[]))
        ORDER BY embedding::halfvec(384) <=> $1::vector::halfvec(384)
        LIMIT $3
    ) pool ORDER BY dist LIMIT $4"""

# The catalog tracks nearest to a vector, as the candidate stage finds them.
# $1 query vector, $2 excluded track ids, $3 rows asked of the index, $4 rows kept.
NEAREST_SQL = f"SELECT id FROM ({INDEX_SCAN}\n) nearest"
# The same through catalog_nearest() (alembic 0008), which sets ef_search for itself.
# $1 query vector, $2 excluded ids, $3 ef_search, $4 rows asked of the index, $5 rows kept.
WIDE_NEAREST_SQL = "SELECT id FROM catalog_nearest($1, $2, $3, $4, $5)"

# The columns of a candidate row: the track's own (of its audio features, the ones the ranker
# reads), then what the statement works out. `candidate` below turns a row into a Candidate.
CANDIDATE_COLUMNS: tuple[str, ...] = (
    *("id", "spotify_id", "title", "artists", "album", "popularity", "release_year", "genres"),
    *("valence", "energy", "danceability", "acousticness", "instrumentalness", "tempo"),
    *("mood_words", "theme_tags", "lyrics_themes"),
    *("similarity", "trending_rank", "playlist_name", "own_playlist", "liked_similarity"),
    # an estimated mood (alembic 0009), used only where valence and energy are missing
    *("est_valence", "est_energy", "est_error", "est_basis"),
)

# The audio features the ranker does not read, so the candidate statements do not fetch them
# (every TrackFeatures field not among the columns).
UNFETCHED_FEATURES: dict[str, Any] = dict.fromkeys(
    f.name for f in fields(TrackFeatures) if f.name not in CANDIDATE_COLUMNS
)


def candidate(row: asyncpg.Record) -> Candidate:
    """A row of the candidate statements as a Candidate. The row is unpacked in
    CANDIDATE_COLUMNS' order (a test holds the statements to it) and built with `assemble`,
    every field named: ~300 of them per answer, where reading by name and the dataclasses' own
    __init__ cost about three times as much (benchmarks/README.md, issue 20)."""
    # fmt: off
    (id_, spotify_id, title, artists, album, popularity, release_year, genres,
     valence, energy, danceability, acousticness, instrumentalness, tempo,
     mood_words, theme_tags, lyrics_themes,
     similarity, trending_rank, playlist_name, own_playlist, liked_similarity,
     est_valence, est_energy, est_error, est_basis) = row
    features = assemble(TrackFeatures, {
        "danceability": danceability, "energy": energy, "acousticness": acousticness,
        "instrumentalness": instrumentalness, "valence": valence, "tempo": tempo,
        **UNFETCHED_FEATURES,
    })
    return assemble(Candidate, {
        "spotify_id": spotify_id, "title": title, "artists": tuple(artists), "album": album,
        "popularity": popularity, "release_year": release_year, "genres": tuple(genres),
        "id": id_, "features": features, "mood_words": tuple(mood_words),
        "theme_tags": tuple(theme_tags), "lyrics_themes": tuple(lyrics_themes),
        "similarity": float(similarity), "trending_rank": trending_rank,
        "playlist_name": playlist_name, "own_playlist": bool(own_playlist),
        "liked_similarity": liked_similarity,
        "estimate": _estimate(est_valence, est_energy, est_error, est_basis),
    })
    # fmt: on


def _estimate(
    valence: float | None, energy: float | None, error: float | None, basis: str | None
) -> MoodEstimate | None:
    """A row's estimated mood, if it has a whole one."""
    if valence is None or energy is None or error is None or basis is None:
        return None
    return MoodEstimate(float(valence), float(energy), float(error), str(basis))


# The candidate search is two statements run at once on two pooled connections (so on two
# server cores): the catalog's sources (semantic and mood) and the listeners' libraries. The
# library's exact distances (1,000 heap rows for a 1,000-track library, ~8 ms at 28k by
# EXPLAIN ANALYZE) were the longest part of the single statement, beside the index scan.
# Each statement is prepared once per connection by asyncpg and reused. Its sources (the CTEs
# up to `found`) yield ids and exact distances only; the union is de-duplicated on those two
# narrow columns and the track's columns are read once per kept track, with playlist name and
# liked similarity joined once for the statement's rows (carrying every column through the
# sources and a DISTINCT ON over those wide rows cost ~1.5 ms more at 28k). The trending rank
# is one index probe per kept track: 0.3-0.7 ms less than joining the trending entries of all
# the statement's ids (EXPLAIN ANALYZE at 28k, with 28k and with 500 trending entries). A
# track both statements find comes back identical from each and is kept once. Rows come in id
# order, so candidates the ranker scores equally keep one stable order.


def candidate_sql(found: str, *, listeners: int, liked: int) -> str:
    """A candidate statement: its sources (CTEs ending in `found`: ids and exact distances)
    and the part every candidate statement shares, which reads the ranker's columns
    (CANDIDATE_COLUMNS) for the found tracks. `listeners` and `liked` are the numbers of the
    statement's parameters that carry the listeners (chat user ids, the asker first) and the
    liked track ids."""
    return f"""
WITH {found.strip()}
, cands AS MATERIALIZED (
    SELECT id, min(dist) AS dist FROM found GROUP BY id
), names AS MATERIALIZED (
    SELECT DISTINCT ON (le.track_id) le.track_id AS id, le.playlist_name,
           le.user_id = (${listeners}::bigint[])[1] AS own_playlist
    FROM library_entries le
    WHERE le.user_id = ANY(${listeners}::bigint[])
        AND le.track_id = ANY(ARRAY(SELECT id FROM cands))
    ORDER BY le.track_id, le.user_id = (${listeners}::bigint[])[1] DESC,
        (le.origin = 'playlist') DESC, le.added_at DESC NULLS LAST
), liked AS MATERIALIZED (
    SELECT embedding FROM tracks WHERE id = ANY(${liked}::bigint[]) AND embedding IS NOT NULL
)
SELECT t.id, t.spotify_id, t.title, t.artists, t.album, t.popularity, t.release_year, t.genres,
       t.valence, t.energy, t.danceability, t.acousticness, t.instrumentalness, t.tempo,
       t.mood_words, t.theme_tags, t.lyrics_themes,
       1 - c.dist AS similarity,
       (SELECT min(te.rank) FROM trending_entries te WHERE te.track_id = c.id) AS trending_rank,
       names.playlist_name, names.own_playlist,
       (SELECT max(1 - (t.embedding <=> liked.embedding)) FROM liked) AS liked_similarity,
       t.est_valence, t.est_energy, t.est_error, t.est_basis
FROM cands c
JOIN tracks t USING (id)
LEFT JOIN names USING (id)
ORDER BY c.id
"""


# The catalog tracks nearest in mood: $1 query vector, $2 excluded track ids, $5 target
# valence, $6 target energy, $7 rows kept (the numbering of the catalog statements below).
MOOD_SCAN = """
    SELECT id, embedding <=> $1::vector AS dist FROM tracks
    WHERE in_catalog AND mood_point IS NOT NULL AND NOT (id = ANY($2::bigint[]))
    ORDER BY mood_point <-> point($5, $6) LIMIT $7"""
# INDEX_SCAN through catalog_nearest() (alembic 0008), which sets ef_search ($10) for this
# statement only; $1 to $4 as in INDEX_SCAN.
WIDE_INDEX_SCAN = "SELECT id, dist FROM catalog_nearest($1, $2, $10, $3, $4)"


def catalog_sources(index_scan: str) -> str:
    """The catalog's sources: an index scan and the mood scan, as `found`."""
    return f"""sem AS MATERIALIZED ({index_scan}
), mood AS MATERIALIZED ({MOOD_SCAN}
), found AS (SELECT * FROM sem UNION ALL SELECT * FROM mood)"""


# The catalog's candidates: the index scan (inlined at the pooled connections' own breadth)
# and the tracks nearest in mood, with what the ranker needs. Columns: CANDIDATE_COLUMNS.
# $1 query vector, $2 excluded track ids, $3 rows asked of the index (>= $4), $4 semantic
# candidates, $5 target valence, $6 target energy, $7 mood candidates, $8 listeners (chat
# user ids), $9 liked track ids.
CATALOG_SQL = candidate_sql(catalog_sources(INDEX_SCAN), listeners=8, liked=9)

# CATALOG_SQL for a wider search: the index is scanned through catalog_nearest() (alembic
# 0008), which sets ef_search for this statement only, so it is one round trip too (a plpgsql
# call costs ~0.3 ms more than the inlined scan, so only the wide search takes it).
# $1 to $9 as in CATALOG_SQL; $10 the scan's ef_search.
WIDE_CATALOG_SQL = candidate_sql(catalog_sources(WIDE_INDEX_SCAN), listeners=8, liked=9)

# The listeners' library candidates: their tracks are read by one index scan over their ids
# (not a lookup per entry), only their embedding is used to rank them, and the ranker's
# columns are read for the nearest $4. Columns: CANDIDATE_COLUMNS.
# $1 query vector, $2 listeners (chat user ids), $3 excluded track ids, $4 library
# candidates, $5 liked track ids.
LIBRARY_SQL = candidate_sql(
    """found AS MATERIALIZED (
    SELECT t.id, t.embedding <=> $1::vector AS dist FROM tracks t
    WHERE t.id = ANY(ARRAY(
        SELECT le.track_id FROM library_entries le
        WHERE le.user_id = ANY($2::bigint[]) AND NOT (le.track_id = ANY($3::bigint[]))
    )) AND t.embedding IS NOT NULL
    ORDER BY dist LIMIT $4
)""",
    listeners=2,
    liked=5,
)


@dataclass(frozen=True)
class SearchBreadth:
    """How wide the catalog's index is searched: ef_search, and rows asked of the index."""

    ef_search: int
    pool: int


DEFAULT_BREADTH = SearchBreadth(HNSW_EF_SEARCH, SEMANTIC_CANDIDATES)
LARGE_BREADTH = SearchBreadth(LARGE_EF_SEARCH, LARGE_POOL)


def breadth_for(catalog_rows: int) -> SearchBreadth:
    """The search breadth for a catalog of this many rows (see LARGE_CATALOG_ROWS)."""
    return LARGE_BREADTH if catalog_rows >= LARGE_CATALOG_ROWS else DEFAULT_BREADTH


# pool id -> (pool, read at, rows). The pool is held so its id cannot be reused while cached;
# a process has one or two pools, tests many, hence the bound.
_catalog_sizes: dict[int, tuple[asyncpg.Pool, float, int]] = {}
MAX_CACHED_POOLS = 8


async def catalog_rows(pool: asyncpg.Pool) -> int:
    """PostgreSQL's estimate of the tracks table's rows (kept by ANALYZE and autovacuum; -1,
    read as 0, before the first), re-read at most every CATALOG_SIZE_TTL_S."""
    now = time.monotonic()
    cached = _catalog_sizes.get(id(pool))
    if cached is not None and cached[0] is pool and now - cached[1] < CATALOG_SIZE_TTL_S:
        return cached[2]
    rows = int(
        await pool.fetchval(
            "SELECT GREATEST(reltuples, 0)::bigint FROM pg_class WHERE oid = 'tracks'::regclass"
        )
        or 0
    )
    _catalog_sizes.pop(id(pool), None)
    while len(_catalog_sizes) >= MAX_CACHED_POOLS:
        del _catalog_sizes[next(iter(_catalog_sizes))]
    _catalog_sizes[id(pool)] = (pool, now, rows)
    return rows


async def _fetch_catalog(
    pool: asyncpg.Pool, query: CandidateQuery, breadth: SearchBreadth
) -> list[asyncpg.Record]:
    """The catalog's candidates (CATALOG_SQL, or WIDE_CATALOG_SQL past the default breadth)."""
    args = (
        query.embedding,
        list(query.exclude_ids),
        breadth.pool,
        SEMANTIC_CANDIDATES,
        query.valence,
        query.energy,
        MOOD_CANDIDATES,
        list(query.user_ids),
        list(query.liked_ids[:MAX_LIKED]),
    )
    rows: list[asyncpg.Record]
    if breadth.ef_search == HNSW_EF_SEARCH:  # the pooled connections' own setting
        rows = await pool.fetch(CATALOG_SQL, *args)
    else:
        rows = await pool.fetch(WIDE_CATALOG_SQL, *args, breadth.ef_search)
    return rows


async def _fetch_library(pool: asyncpg.Pool, query: CandidateQuery) -> list[asyncpg.Record]:
    """The listeners' library candidates (LIBRARY_SQL)."""
    rows: list[asyncpg.Record] = await pool.fetch(
        LIBRARY_SQL,
        query.embedding,
        list(query.user_ids),
        list(query.exclude_ids),
        LIBRARY_CANDIDATES,
        list(query.liked_ids[:MAX_LIKED]),
    )
    return rows


async def _statements(
    pool: asyncpg.Pool, query: CandidateQuery, breadth: SearchBreadth | None
) -> list[Coroutine[Any, Any, list[asyncpg.Record]]]:
    """The candidate statements a search runs at once: the catalog's, and the libraries' when
    it names listeners. `breadth` defaults to the one for the catalog's size.

    One round trip per statement: the default index settings come with each pooled connection
    (QUERY_SETTINGS, db/pool.py) and a wider search sets its own inside catalog_nearest(), so
    no transaction is opened to set them."""
    if breadth is None:
        breadth = breadth_for(await catalog_rows(pool))
    statements = [_fetch_catalog(pool, query, breadth)]
    if query.user_ids:
        statements.append(_fetch_library(pool, query))
    return statements


async def fetch_candidates(
    pool: asyncpg.Pool, query: CandidateQuery, breadth: SearchBreadth | None = None
) -> list[Candidate]:
    """The union of semantic, mood and library candidates. Each statement's rows become
    Candidates as soon as it answers, while the other may still run."""

    async def converted(rows: Awaitable[list[asyncpg.Record]]) -> list[Candidate]:
        return [candidate(row) for row in await rows]

    statements = await _statements(pool, query, breadth)
    found: dict[int, Candidate] = {}
    for candidates in await asyncio.gather(*map(converted, statements)):
        for one in candidates:
            found.setdefault(one.id, one)
    return list(found.values())


async def fetch_candidate_rows(
    pool: asyncpg.Pool, query: CandidateQuery, breadth: SearchBreadth | None = None
) -> list[asyncpg.Record]:
    """fetch_candidates' rows as the statements return them (CANDIDATE_COLUMNS), for checks
    of the statements and for timing the SQL alone."""
    found: dict[int, asyncpg.Record] = {}
    for rows in await asyncio.gather(*await _statements(pool, query, breadth)):
        for row in rows:
            found.setdefault(row["id"], row)
    return list(found.values())


async def nearest_catalog(
    conn: asyncpg.Connection,
    embedding: np.ndarray,
    limit: int,
    *,
    ef_search: int = HNSW_EF_SEARCH,
    pool: int = SEMANTIC_CANDIDATES,
) -> list[int]:
    """Ids of the catalog tracks nearest to `embedding`, as the candidate stage finds them.

    The breadth is set inside catalog_nearest(), so any connection gives the same answer.
    """
    rows = await conn.fetch(WIDE_NEAREST_SQL, embedding, [], ef_search, max(pool, limit), limit)
    return [row["id"] for row in rows]


# The catalog's HNSW index (alembic 0003). A search walks a few thousand of its pages; read from
# disk or the OS cache instead of shared buffers, a search of a million tracks costs 60-170 ms
# instead of ~20 until the graph has been read once (measured: benchmarks/README.md).
HNSW_INDEX = "tracks_embedding_hnsw"


async def prewarm_index(primary: asyncpg.Pool, read_pool: asyncpg.Pool) -> int | None:
    """Read the catalog's HNSW index into the query server's shared buffers (pg_prewarm), so
    the first searches after a start are as fast as later ones; the blocks read, or None
    (logged) when the server cannot (no pg_prewarm, or not allowed to create it).

    The extension is created on the primary (a replica has it by replication) and the index
    read where the searches run.
    """
    try:
        await primary.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
        blocks = await read_pool.fetchval("SELECT pg_prewarm($1::regclass)", HNSW_INDEX)
    except (asyncpg.PostgresError, asyncpg.InterfaceError, DatabaseUnavailable, OSError) as err:
        log.info("search index not preloaded (%s); the first searches read it from disk", err)
        return None
    return int(blocks)
