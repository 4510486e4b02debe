"""What the two index sweeps share (benchmarks/index_sweep.py, benchmarks/ivf_sweep.py): a
timed index build the way the benchmark database builds its own, and recall@50 with timings."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import asyncpg

from benchmarks.common import Timings, stopwatch
from support import synthetic

# Recall is measured on the 50 nearest, as the recommender asks for.
RECALL_K = 50


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


async def recall_and_time(
    vectors: Sequence[Any],
    truths: Sequence[set[int]],
    find: Callable[[Any], Awaitable[list[int]]],
) -> dict[str, Any]:
    """Mean recall@50 of `find` over the queries against their exact answers, and its timings."""
    recalls, times = [], []
    for vector, truth in zip(vectors, truths, strict=True):
        start = time.perf_counter()
        found = await find(vector)
        times.append((time.perf_counter() - start) * 1000)
        recalls.append(len(truth & set(found)) / RECALL_K)
    return {"recall": round(sum(recalls) / len(recalls), 4), **Timings(tuple(times)).summary()}
