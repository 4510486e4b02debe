"""What the two index sweeps share (benchmarks/index_sweep.py, benchmarks/ivf_sweep.py): their
command line, a benchmark database opened with the recommender's query vectors and their exact
answers, a timed index build the way the benchmark database builds its own, and recall@50 with
timings."""

from __future__ import annotations

import argparse
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg

from benchmarks import search_scale
from benchmarks.common import Timings, stopwatch
from recsys.embedder import Embedder
from support import synthetic

# Recall is measured on the 50 nearest, as the recommender asks for.
RECALL_K = 50


def arguments(description: str, default_scale: str) -> argparse.ArgumentParser:
    """The sweeps' shared options: which benchmark database, and how many query vectors."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--scale", choices=sorted(synthetic.SCALES), default=default_scale)
    parser.add_argument("--queries", type=int, default=60)
    return parser


@dataclass(frozen=True)
class Sweep:
    """A benchmark database opened for a sweep: one connection, the query vectors with their
    exact 50 nearest, and the figures' header (scale, tracks, queries)."""

    conn: asyncpg.Connection
    vectors: list[Any]
    truths: list[set[int]]
    header: dict[str, Any]

    async def recall_and_time(self, find: Callable[[Any], Awaitable[list[int]]]) -> dict[str, Any]:
        """Mean recall@50 of `find` over the queries against their exact answers, and its
        timings."""
        recalls, times = [], []
        for vector, truth in zip(self.vectors, self.truths, strict=True):
            start = time.perf_counter()
            found = await find(vector)
            times.append((time.perf_counter() - start) * 1000)
            recalls.append(len(truth & set(found)) / RECALL_K)
        return {"recall": round(sum(recalls) / len(recalls), 4), **Timings(tuple(times)).summary()}


@contextlib.asynccontextmanager
async def open_sweep(scale: str, queries: int, embedder: Embedder) -> AsyncIterator[Sweep]:
    """The built benchmark database of this scale with the recommender's first `queries` query
    vectors and their exact answers; closed afterwards."""
    bench, vectors, database = await search_scale.open_with_queries(scale, queries, embedder)
    try:
        async with database.pool.acquire() as conn:
            truths = [set(await search_scale._exact(conn, v, RECALL_K)) for v in vectors]
            header = {"scale": scale, "tracks": bench.tracks, "queries": len(vectors)}
            yield Sweep(conn, vectors, truths, header)
    finally:
        await database.close()


async def build_index(conn: asyncpg.Connection, name: str, create_sql: str) -> tuple[float, int]:
    """Drop `name`, build it again with the benchmark build's memory and workers; (seconds,
    bytes on disk)."""
    await conn.execute(f"DROP INDEX IF EXISTS {name}")
    await conn.execute(f"SET maintenance_work_mem = '{synthetic.INDEX_MEMORY}'")
    await conn.execute(f"SET max_parallel_maintenance_workers = {synthetic.INDEX_WORKERS}")
    with stopwatch() as elapsed:
        await conn.execute(create_sql, timeout=None)
        seconds = elapsed()
    size: int = await conn.fetchval(f"SELECT pg_relation_size('{name}')")
    return seconds, size
