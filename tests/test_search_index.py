"""The halfvec HNSW index (alembic 0003) and the candidate SQL on the real embedded PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import numpy as np
import pytest
from alembic.script import ScriptDirectory

from db import migrations, search
from db.pool import Database, connect
from recsys.embedder import Embedder
from recsys.models import CandidateQuery
from support.catalog_fixture import fake_spotify_id, load_catalog
from support.plans import catalog_plan

INDEX_SQL = "SELECT pg_get_indexdef('tracks_embedding_hnsw'::regclass)"
# Enough rows that the semantic source (100) cuts something off.
EXTRA_TRACKS = 600


@pytest.fixture
async def fresh_url(database: Database) -> AsyncIterator[str]:
    """An empty throwaway database on the test server."""
    name = "mlt_halfvec"
    async with database.pool.acquire() as conn:
        await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await conn.execute(f"CREATE DATABASE {name}")
    yield urlunsplit(urlsplit(database.url)._replace(path=f"/{name}"))
    async with database.pool.acquire() as conn:
        await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


async def _index_def(url: str) -> str:
    conn = await asyncpg.connect(url)
    try:
        return str(await conn.fetchval(INDEX_SQL))
    finally:
        await conn.close()


async def test_0003_indexes_halfvec_of_catalog_tracks_and_goes_down_and_up(fresh_url: str) -> None:
    await migrations.upgrade(fresh_url, "0003")
    upgraded = await _index_def(fresh_url)
    assert "halfvec_cosine_ops" in upgraded and "halfvec(384)" in upgraded
    assert "WHERE in_catalog" in upgraded

    below = ScriptDirectory.from_config(migrations.alembic_config()).get_revision("0003")
    await migrations.downgrade(fresh_url, str(below.down_revision))
    assert await migrations.current_revision(fresh_url) == below.down_revision
    down = await _index_def(fresh_url)
    assert "vector_cosine_ops" in down and "halfvec" not in down

    await migrations.upgrade(fresh_url, "0003")
    assert await _index_def(fresh_url) == upgraded
    database = await connect(fresh_url, Path("/nonexistent"), pool_size=1)
    try:
        async with database.pool.acquire() as conn:
            vector = np.ones(384, dtype=np.float32) / np.sqrt(384)
            track_id = await conn.fetchval(
                "INSERT INTO tracks (spotify_id, title, embedding, in_catalog) "
                "VALUES ($1, 'Round Trip', $2, true) RETURNING id",
                fake_spotify_id(1),
                vector,
            )
            await conn.execute("SET enable_seqscan = off")  # one row: make the planner use it
            plan = await conn.fetch("EXPLAIN " + search.NEAREST_SQL, vector, [], 10, 5)
            found = [row["id"] for row in await conn.fetch(search.NEAREST_SQL, vector, [], 10, 5)]
            # the pool's connections carry the scan settings (no transaction per search)
            session = [await conn.fetchval(f"SHOW {name}") for name in search.SESSION_SETTINGS]
    finally:
        await database.close()
    assert any(search.HNSW_INDEX in row[0] for row in plan)
    assert found == [track_id]
    assert session == list(search.SESSION_SETTINGS.values())


# The candidate SQL as it was before the one-pass rewrite (per-row subqueries, full-precision
# ORDER BY): the reference the new SQL must agree with.
PER_ROW_SQL = """
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
        ORDER BY le.user_id = ($4::bigint[])[1] DESC, (le.origin = 'playlist') DESC,
            le.added_at DESC NULLS LAST
        LIMIT 1) AS playlist_name,
       (SELECT le.user_id = ($4::bigint[])[1] FROM library_entries le
        WHERE le.track_id = t.id AND le.user_id = ANY($4::bigint[])
        ORDER BY le.user_id = ($4::bigint[])[1] DESC, (le.origin = 'playlist') DESC,
            le.added_at DESC NULLS LAST
        LIMIT 1) AS own_playlist,
       (SELECT max(1 - (t.embedding <=> liked.embedding)) FROM tracks liked
        WHERE liked.id = ANY($9::bigint[])) AS liked_similarity,
       t.est_valence, t.est_energy, t.est_error, t.est_basis
FROM tracks t JOIN ids USING (id)
"""


async def _add_tracks(conn: asyncpg.Connection, rng: np.random.Generator) -> list[int]:
    """Clearly fictional extra tracks with unit embeddings: catalog, trending, some library."""
    vectors = rng.normal(size=(EXTRA_TRACKS, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    rows = [
        (fake_spotify_id(1000 + i), f"Filler Song {i}", [f"Filler Band {i}"], *rng.random(2))
        for i in range(EXTRA_TRACKS)
    ]
    ids: list[int] = []
    for (spotify_id, title, artists, valence, energy), vector in zip(rows, vectors, strict=True):
        ids.append(
            await conn.fetchval(
                "INSERT INTO tracks (spotify_id, title, artists, valence, energy, embedding, "
                "in_catalog) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                spotify_id,
                title,
                artists,
                float(valence),
                float(energy),
                vector,
                len(ids) % 10 != 0,  # every tenth is only in a library, not in the catalog
            )
        )
    await conn.execute(
        "INSERT INTO trending_entries (source, track_id, rank) "
        "SELECT s, id, row_number() OVER (PARTITION BY s ORDER BY md5(id::text)) "
        "FROM tracks, unnest(ARRAY['chart-a', 'chart-b']) s WHERE id % 3 = 0"
    )
    return ids


async def _add_listeners(conn: asyncpg.Connection, track_ids: list[int]) -> tuple[int, int]:
    users = [
        await conn.fetchval(
            "INSERT INTO chat_users (platform, platform_user_id) VALUES ('cli', $1) RETURNING id",
            name,
        )
        for name in ("listener-a", "listener-b")
    ]
    for n, track_id in enumerate(track_ids[::3]):  # 200 library tracks, some in two playlists
        for user in users[: 1 + n % 2]:
            await conn.execute(
                "INSERT INTO library_entries (user_id, track_id, playlist_id, playlist_name, "
                "origin, added_at) VALUES ($1, $2, $3, $4, $5, now() - $6 * interval '1 day')",
                user,
                track_id,
                f"pl{n % 4}",
                f"Playlist {n % 4}",
                "playlist" if n % 5 else "saved",
                n % 7,
            )
    return users[0], users[1]


def _as_comparable(rows: list[asyncpg.Record]) -> dict[int, tuple[object, ...]]:
    return {
        row["id"]: tuple(round(v, 5) if isinstance(v, float) else v for v in row.values())
        for row in rows
    }


async def test_one_pass_candidates_match_the_per_row_sql(
    db: Database, embedder: Embedder, tmp_path: Path
) -> None:
    titles = await load_catalog(db, embedder, tmp_path)
    rng = np.random.default_rng(13)
    async with db.pool.acquire() as conn:
        extra = await _add_tracks(conn, rng)
        a, b = await _add_listeners(conn, extra)
        await conn.execute("ANALYZE")
    probe = embedder.embed_texts(["rainy night alone by the window"])[0]
    queries = [
        CandidateQuery(probe, 0.2, 0.2),
        CandidateQuery(
            probe,
            0.8,
            0.9,
            user_ids=(a, b),
            exclude_ids=(titles["Rainy Window Lament"], extra[3]),
            liked_ids=(titles["Confetti Cannon"], extra[6]),
        ),
        CandidateQuery(probe[::-1].copy(), 0.5, 0.5, (b,)),
    ]
    for query in queries:
        new = await search.fetch_candidate_rows(db.read_pool, query)
        typed = await search.fetch_candidates(db.read_pool, query)
        assert sorted(c.id for c in typed) == sorted(row["id"] for row in new)
        assert {c.id: c for c in typed} == {row["id"]: search.candidate(row) for row in new}
        async with db.pool.acquire() as conn:
            old = await conn.fetch(
                PER_ROW_SQL,
                query.embedding,
                query.valence,
                query.energy,
                list(query.user_ids),
                list(query.exclude_ids),
                search.SEMANTIC_CANDIDATES,
                search.MOOD_CANDIDATES,
                search.LIBRARY_CANDIDATES,
                list(query.liked_ids),
            )
        assert len(new) > search.SEMANTIC_CANDIDATES
        assert _as_comparable(new) == _as_comparable(old)
    # The wide search of a large catalog (its own ef_search inside catalog_nearest(), more rows
    # asked of the index) finds the same candidates here, where both reach every track, and
    # leaves the pooled connections' own setting alone.
    search._catalog_sizes.clear()  # earlier tests on this pool cached its size before ANALYZE
    rows = await search.catalog_rows(db.read_pool)
    assert rows == await db.pool.fetchval("SELECT count(*) FROM tracks")
    assert search.breadth_for(rows) == search.DEFAULT_BREADTH
    for query in queries:
        wide = await search.fetch_candidate_rows(db.read_pool, query, search.LARGE_BREADTH)
        assert _as_comparable(wide) == _as_comparable(
            await search.fetch_candidate_rows(db.read_pool, query)
        )
    async with db.read_pool.acquire() as conn:
        assert await conn.fetchval("SHOW hnsw.ef_search") == str(search.HNSW_EF_SEARCH)
    with_library = await search.fetch_candidates(db.read_pool, queries[1])
    assert any(c.playlist_name for c in with_library)
    # whose playlist it is: the asker's own (named to them) or a blended member's (never
    # named); b asks with a blended in, and only a holds some of these tracks
    mixed = await search.fetch_candidates(db.read_pool, replace(queries[1], user_ids=(b, a)))
    assert {c.own_playlist for c in mixed if c.playlist_name} == {True, False}
    assert any(c.trending_rank for c in with_library)
    assert all(c.liked_similarity is not None for c in with_library)


async def test_catalog_nearest_sets_its_breadth_for_its_own_transaction_only(
    db: Database,
) -> None:
    vector = np.ones(384, dtype=np.float32) / np.sqrt(384)
    default = str(search.HNSW_EF_SEARCH)
    async with db.read_pool.acquire() as conn:
        async with conn.transaction(readonly=True):
            await conn.fetch(search.WIDE_NEAREST_SQL, vector, [], 600, 700, 5)
            assert await conn.fetchval("SHOW hnsw.ef_search") == "600"
            assert await conn.fetchval("SHOW hnsw.iterative_scan") == "relaxed_order"
        assert await conn.fetchval("SHOW hnsw.ef_search") == default
        # a statement outside a transaction is its own: nothing stays on the connection
        await conn.fetch(search.WIDE_NEAREST_SQL, vector, [], 600, 700, 5)
        assert await conn.fetchval("SHOW hnsw.ef_search") == default


async def test_0008_adds_catalog_nearest_and_goes_down_and_up(fresh_url: str) -> None:
    signature = "SELECT to_regprocedure('catalog_nearest(vector, bigint[], int, int, int)')"

    async def present() -> bool:
        conn = await asyncpg.connect(fresh_url)
        try:
            return await conn.fetchval(signature) is not None
        finally:
            await conn.close()

    await migrations.upgrade(fresh_url, "0008")
    assert await present()
    await migrations.downgrade(fresh_url, "0007")
    assert not await present()
    await migrations.upgrade(fresh_url, "0008")
    assert await present()


async def _plans(conn: asyncpg.Connection, sql: str) -> tuple[int, int]:
    """(generic, custom) plans this session has made for one prepared statement."""
    row = await conn.fetchrow(
        "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement = $1", sql
    )
    return (0, 0) if row is None else (row["generic_plans"], row["custom_plans"])


async def test_the_query_pool_only_reads_and_plans_the_candidate_statement_once(
    db: Database, embedder: Embedder, tmp_path: Path
) -> None:
    await load_catalog(db, embedder, tmp_path)
    probe = embedder.embed_texts(["rainy night alone by the window"])[0]
    args = (probe, [], 100, 100, 0.5, 0.5, 100, [], [])
    async with db.read_pool.acquire() as conn:
        assert await conn.fetchval("SHOW plan_cache_mode") == "force_generic_plan"
        with pytest.raises(asyncpg.ReadOnlySQLTransactionError):  # it only reads
            await conn.execute("DELETE FROM trending_entries")
        generic, custom = await _plans(conn, search.CATALOG_SQL)
        found = [await conn.fetch(search.CATALOG_SQL, *args) for _ in range(3)]
        assert await _plans(conn, search.CATALOG_SQL) == (generic + 3, custom)
        plan = await catalog_plan(conn, probe)
    # generic: the vector stays a parameter (on a table this small the planner sorts instead of
    # taking the HNSW index; at 28k it takes it, which benchmarks/search_scale.py checks)
    assert any("$1" in line for line in plan)
    async with db.pool.acquire() as conn:
        assert await conn.fetchval("SHOW plan_cache_mode") == "auto"
        assert await conn.fetch(search.CATALOG_SQL, *args) == found[0] == found[2]


async def test_prewarm_reads_the_index_into_shared_buffers(db: Database) -> None:
    blocks = await search.prewarm_index(db.pool, db.read_pool)
    size = await db.pool.fetchval(
        "SELECT pg_relation_size($1::regclass) / current_setting('block_size')::int",
        search.HNSW_INDEX,
    )
    assert blocks is not None and blocks == size > 0
    assert await db.pool.fetchval("SELECT count(*) FROM pg_extension WHERE extname = 'pg_prewarm'")


async def test_prewarm_that_cannot_run_is_logged_not_raised(
    fresh_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    # an empty database: no index to read
    database = await connect(fresh_url, Path("/nonexistent"), pool_size=1)
    try:
        with caplog.at_level("INFO", logger="db.search"):
            assert await search.prewarm_index(database.pool, database.read_pool) is None
    finally:
        await database.close()
    assert "search index not preloaded" in caplog.text and search.HNSW_INDEX in caplog.text


def test_large_catalogs_are_searched_wider() -> None:
    """Recall falls with the catalog's size at a fixed breadth (benchmarks/README.md)."""
    assert search.breadth_for(0) == search.DEFAULT_BREADTH
    assert search.breadth_for(28_441) == search.DEFAULT_BREADTH
    assert search.breadth_for(search.LARGE_CATALOG_ROWS) == search.LARGE_BREADTH
    assert search.breadth_for(1_000_000) == search.LARGE_BREADTH
    # more rows asked than ef_search: the iterative scan runs a second round
    assert search.LARGE_BREADTH.pool > search.LARGE_BREADTH.ef_search
    assert search.LARGE_BREADTH.pool >= search.SEMANTIC_CANDIDATES
