"""Try HNSW index settings on a smaller benchmark database before building the million.

For each (m, ef_construction, storage) the index is rebuilt on the chosen database (timed, with
the same maintenance_work_mem and workers as the benchmark build), its size read, and recall@50
against exact search measured over the recommender's own query vectors at several
(ef_search, pool) pairs, through the same SQL shape db/search.py ships. The schema's own index
is put back at the end.

Run: nice -n 10 .venv/bin/python -m benchmarks.index_sweep [--scale 28k|200k] [--queries N]
"""

from __future__ import annotations

import logging
import sys
from functools import partial
from typing import Any

import asyncpg

from benchmarks.common import print_figures
from benchmarks.sweeps import arguments, build_index, open_sweep
from db import search
from recsys.embedder import Embedder
from support import synthetic

log = logging.getLogger(__name__)

# (m, ef_construction, storage): the schema's 16/64 in both storages, then wider graphs.
VARIANTS = (
    (16, 64, "vector"),
    (16, 64, "halfvec"),
    (16, 128, "halfvec"),
    (24, 128, "halfvec"),
    (32, 128, "halfvec"),
)
PAIRS = ((100, 100), (200, 200), (300, 300), (400, 400))
OPS = {
    "vector": "embedding vector_cosine_ops",
    "halfvec": "(embedding::halfvec(384)) halfvec_cosine_ops",
}
# For the full-precision index the query's ORDER BY must be on the column itself.
VECTOR_SQL = """
SELECT id FROM (
    SELECT id, embedding <=> $1::vector AS dist FROM tracks
    WHERE in_catalog AND embedding IS NOT NULL AND NOT (id = ANY($2::bigint[]))
    ORDER BY embedding <=> $1::vector LIMIT $3
) pool ORDER BY dist LIMIT $4
"""


async def _build(conn: asyncpg.Connection, m: int, ef_c: int, storage: str) -> dict[str, Any]:
    seconds, size = await build_index(
        conn,
        "tracks_embedding_hnsw",
        f"CREATE INDEX tracks_embedding_hnsw ON tracks USING hnsw ({OPS[storage]}) "
        f"WITH (m = {m}, ef_construction = {ef_c}) WHERE in_catalog",
    )
    return {"build_s": round(seconds, 1), "index_mb": round(size / 2**20)}


async def _found(
    conn: asyncpg.Connection, vector: Any, storage: str, ef: int, pool: int
) -> list[int]:
    if storage == "halfvec":
        return await search.nearest_catalog(conn, vector, 50, ef_search=ef, pool=pool)
    async with conn.transaction(readonly=True):
        await conn.execute(
            f"SET LOCAL hnsw.ef_search = {ef}; "
            f"SET LOCAL hnsw.iterative_scan = {search.HNSW_ITERATIVE_SCAN}"
        )
        rows = await conn.fetch(VECTOR_SQL, vector, [], pool, 50)
    return [row["id"] for row in rows]


async def sweep(scale: str, queries: int, embedder: Embedder) -> dict[str, Any]:
    """Build time, size and recall@50 of each index variant on one benchmark database."""
    async with open_sweep(scale, queries, embedder) as opened:
        conn, result = opened.conn, {**opened.header}
        index_def = await conn.fetchval(synthetic.INDEX_DEF_SQL)
        for m, ef_c, storage in VARIANTS:
            figures = await _build(conn, m, ef_c, storage)
            for ef, pool in PAIRS:
                figures[f"ef{ef}_pool{pool}"] = await opened.recall_and_time(
                    partial(_found, conn, storage=storage, ef=ef, pool=pool)
                )
            result[f"m{m}_efc{ef_c}_{storage}"] = figures
            log.info("m=%d ef_c=%d %s: %s", m, ef_c, storage, figures)
        await conn.execute("DROP INDEX IF EXISTS tracks_embedding_hnsw")
        await conn.execute(index_def, timeout=None)
    return result


def main(argv: list[str] | None = None) -> int:
    """Print the sweep as JSON."""
    args = arguments(__doc__.splitlines()[0], "200k").parse_args(argv)
    return print_figures(lambda embedder: sweep(args.scale, args.queries, embedder))


if __name__ == "__main__":
    sys.exit(main())
