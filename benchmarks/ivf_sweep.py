"""Try IVFFlat index settings (lists, probes) on a built benchmark database.

The recommender's query vectors are texts, not tracks: out of the distribution a graph built
on track vectors is navigated by, which is where HNSW lost recall at a million. An inverted
file scans whole lists nearest the query, whatever the query is, so its recall depends on the
share of the catalog scanned rather than on the graph's reach. For each `lists` the index is
built (timed, its size read), then recall@50 against exact search and the search time are
measured at several `ivfflat.probes`, through the SQL db/search.py ships (the index's pool
re-ordered by exact full-precision distance).

The database's own ANN index is hidden while each index is measured (dropped inside a
transaction that is rolled back), and the scratch index is dropped at the end.

Run: nice -n 10 .venv/bin/python -m benchmarks.ivf_sweep --scale 28k --lists 100 300
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
from recsys.embedder import EMBEDDING_DIM, Embedder

log = logging.getLogger(__name__)

PROBES = (5, 10, 20, 30, 40, 60, 80, 120, 160)
SCRATCH_INDEX = "tracks_embedding_sweep"


async def _build(conn: asyncpg.Connection, lists: int) -> dict[str, Any]:
    seconds, size = await build_index(
        conn,
        SCRATCH_INDEX,
        f"CREATE INDEX {SCRATCH_INDEX} ON tracks USING ivfflat "
        f"((embedding::halfvec({EMBEDDING_DIM})) halfvec_cosine_ops) "
        f"WITH (lists = {lists}) WHERE in_catalog",
    )
    await conn.execute("ANALYZE tracks")
    return {"build_s": round(seconds, 1), "index_mb": round(size / 2**20, 1)}


async def _found(conn: asyncpg.Connection, vector: Any, probes: int, pool: int) -> list[int]:
    # inside the sweep's transaction, where the other ANN indexes are dropped
    await conn.execute(
        f"SET LOCAL ivfflat.probes = {probes}; SET LOCAL ivfflat.iterative_scan = relaxed_order"
    )
    rows = await conn.fetch(search.NEAREST_SQL, vector, [], pool, 50)
    return [row["id"] for row in rows]


async def sweep(
    scale: str, lists_options: list[int], probes: list[int], queries: int, embedder: Embedder
) -> dict[str, Any]:
    """Build time, size and recall@50 / time at each probes of each lists."""
    async with open_sweep(scale, queries, embedder) as opened:
        conn, result = opened.conn, {**opened.header}
        for lists in lists_options:
            figures = await _build(conn, lists)
            log.info("lists=%d built: %s", lists, figures)
            hide = conn.transaction()
            await hide.start()
            # The other ANN indexes are dropped inside this transaction only (rolled back
            # below), so the planner measures the new index and the old one survives.
            for name in (
                await conn.fetchval(
                    "SELECT array_agg(indexname) FROM pg_indexes WHERE tablename = 'tracks' "
                    f"AND indexname <> '{SCRATCH_INDEX}' "
                    "AND (indexdef LIKE '%USING hnsw%' OR indexdef LIKE '%USING ivfflat%')"
                )
                or []
            ):
                await conn.execute(f"DROP INDEX {name}")
            for p in probes:
                figures[f"probes{p}"] = await opened.recall_and_time(
                    partial(_found, conn, probes=p, pool=search.SEMANTIC_CANDIDATES)
                )
                log.info("lists=%d probes=%d: %s", lists, p, figures[f"probes{p}"])
            await hide.rollback()
            result[f"lists{lists}"] = figures
        await conn.execute(f"DROP INDEX IF EXISTS {SCRATCH_INDEX}")
    return result


def main(argv: list[str] | None = None) -> int:
    """Print the sweep as JSON."""
    parser = arguments(__doc__.splitlines()[0], "28k")
    parser.add_argument("--lists", type=int, nargs="+", default=[100, 300])
    parser.add_argument("--probes", type=int, nargs="+", default=list(PROBES))
    args = parser.parse_args(argv)
    return print_figures(
        lambda embedder: sweep(args.scale, args.lists, args.probes, args.queries, embedder)
    )


if __name__ == "__main__":
    sys.exit(main())
