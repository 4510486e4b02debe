"""Job pick-up latency: the hand-written queue (db/jobs.py + handlers/edge/worker.py) beside
pgqueuer, on one embedded PostgreSQL of the benchmark's own (docs/queue.md reads the figures).

Pick-up latency is the time from `enqueue` returning to the job's handler starting, with the
worker idle (the usual case: a listener links Spotify, a library sync is queued). Between jobs
the benchmark waits a random time, so a job lands anywhere in the worker's poll cycle. Measured:

- ours as shipped (polls every POLL_S = 2 s), and ours polling every 0.2 s;
- the claim statement alone (`jobs.claim` of one due job), the part polling cannot hide;
- pgqueuer 1.6 woken by LISTEN/NOTIFY (needs `pip install -e '.[queue-compare]'`; without it
  that row is left out and said so).

Each is also given as a ratio to a bare `SELECT 1` round trip measured in the same run.

    python -m benchmarks.queue_pickup [--jobs 30]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.common import RESULTS_DIR, Timings, machine, now_utc, write_json
from db import jobs, migrations
from db.pool import Database, connect
from handlers.edge.worker import POLL_S, JobContext, Worker

# Jobs per variant: enough for a stable median and a p95 from the top two or three.
DEFAULT_JOBS = 30
# Round trips for the SELECT 1 baseline.
BASELINE_QUERIES = 200
# A job that has not started after this long counts as lost (and stops the benchmark).
PICKUP_TIMEOUT_S = 30.0
# The faster poll, to show how much of our latency is the poll interval.
FAST_POLL_S = 0.2
SEED = 20


class Starts:
    """Handler start times, keyed by job number, with a wake-up for the waiting side."""

    def __init__(self) -> None:
        self.started: dict[int, float] = {}
        self.changed = asyncio.Event()

    def mark(self, number: int) -> None:
        """The handler of job `number` started now."""
        self.started[number] = time.perf_counter()
        self.changed.set()

    async def wait(self, number: int) -> float:
        """When job `number` started (waiting for it)."""
        async with asyncio.timeout(PICKUP_TIMEOUT_S):
            while number not in self.started:
                self.changed.clear()
                await self.changed.wait()
        return self.started[number]


async def pickups(enqueue: Callable[[int], Awaitable[None]], starts: Starts, n: int,
                  spread_s: float) -> Timings:  # fmt: skip
    """Enqueue `n` jobs one at a time, each after a random pause, timing each pick-up."""
    rng = random.Random(SEED)
    samples = []
    for number in range(n):
        await asyncio.sleep(rng.uniform(0, spread_s))
        await enqueue(number)
        queued = time.perf_counter()
        samples.append((await starts.wait(number) - queued) * 1000)
    return Timings(tuple(samples))


async def ours(database: Database, n: int, poll_s: float) -> Timings:
    """Our worker, idle and polling every `poll_s`."""
    starts = Starts()

    async def handler(ctx: JobContext) -> dict[str, Any]:
        starts.mark(int(ctx.job.payload["n"]))
        return {}

    worker = Worker(database, {"bench": handler}, poll_s=poll_s)
    task = asyncio.create_task(worker.run())
    try:

        async def enqueue(number: int) -> None:
            await jobs.enqueue(database.pool, "bench", {"n": number})

        return await pickups(enqueue, starts, n, 2 * poll_s)
    finally:
        worker.stop()
        await task


async def claim_alone(database: Database, n: int) -> Timings:
    """The claim statement of one due job (its completion not counted)."""
    samples = []
    for number in range(n):
        await jobs.enqueue(database.pool, "bench", {"n": number})
        started = time.perf_counter()
        job = await jobs.claim(database.pool, "bench", 60.0, ["bench"])
        samples.append((time.perf_counter() - started) * 1000)
        assert job is not None
        await jobs.complete(database.pool, job.id, "bench")
    return Timings(tuple(samples))


async def baseline(database: Database) -> Timings:
    """A bare SELECT 1 through the same pool."""
    samples = []
    for _ in range(BASELINE_QUERIES):
        started = time.perf_counter()
        await database.pool.fetchval("SELECT 1")
        samples.append((time.perf_counter() - started) * 1000)
    return Timings(tuple(samples))


async def pgqueuer_pickups(database: Database, n: int) -> Timings | None:
    """pgqueuer's QueueManager on its own connection, woken by NOTIFY; None when absent."""
    try:
        import asyncpg
        from pgqueuer.db import AsyncpgDriver
        from pgqueuer.models import Job
        from pgqueuer.qm import QueueManager
        from pgqueuer.queries import Queries
    except ImportError:
        return None
    listen = await asyncpg.connect(database.url)
    producer = await asyncpg.connect(database.url)
    try:
        await Queries(AsyncpgDriver(producer)).install()
        manager = QueueManager(Queries(AsyncpgDriver(listen)))
        starts = Starts()

        @manager.entrypoint("bench")
        async def handler(job: Job) -> None:
            starts.mark(int((job.payload or b"0").decode()))

        task = asyncio.create_task(manager.run(batch_size=1))
        queries = Queries(AsyncpgDriver(producer))

        async def enqueue(number: int) -> None:
            await queries.enqueue("bench", str(number).encode())

        try:
            return await pickups(enqueue, starts, n, 2 * POLL_S)
        finally:
            manager.shutdown.set()
            await task
    finally:
        await listen.close()
        await producer.close()


def row(name: str, timings: Timings, base: Timings) -> dict[str, Any]:
    """One result line: p50, p95 and their ratios to the SELECT 1 baseline."""
    return {
        "variant": name,
        **timings.summary(),
        "p50_x_select1": round(timings.p50 / base.p50, 1),
        "p95_x_select1": round(timings.p95 / base.p95, 1),
    }


async def measure(n: int) -> dict[str, Any]:
    """Every variant on one fresh embedded server."""
    path = Path(tempfile.mkdtemp(prefix="mlq-", dir="/tmp"))
    database = await connect("", path, pool_size=4)
    try:
        await migrations.upgrade(database.url)
        base = await baseline(database)
        rows = [
            row(f"ours, poll {POLL_S:g} s (shipped)", await ours(database, n, POLL_S), base),
            row(f"ours, poll {FAST_POLL_S:g} s", await ours(database, n, FAST_POLL_S), base),
            row("ours, claim statement alone", await claim_alone(database, n), base),
        ]
        theirs = await pgqueuer_pickups(database, n)
        if theirs is not None:
            rows.append(row("pgqueuer 1.6, LISTEN/NOTIFY", theirs, base))
        return {
            "when": now_utc(),
            "machine": machine().line(),
            "select1": base.summary(),
            "rows": rows,
            "pgqueuer": "measured" if theirs is not None else "not installed: row left out",
        }
    finally:
        await database.close()
        shutil.rmtree(path, ignore_errors=True)


def main() -> None:
    """Run, print a table, write benchmarks/results/<date>-queue-pickup.json."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=DEFAULT_JOBS)
    result = asyncio.run(measure(parser.parse_args().jobs))
    print(f"{result['when']} on {result['machine']}")
    print(f"SELECT 1: p50 {result['select1']['p50_ms']} ms, p95 {result['select1']['p95_ms']} ms")
    print(f"{'variant':36} {'p50 ms':>9} {'p95 ms':>9} {'p50 x':>7} {'p95 x':>7}  n")
    for r in result["rows"]:
        print(f"{r['variant']:36} {r['p50_ms']:9.2f} {r['p95_ms']:9.2f} "
              f"{r['p50_x_select1']:7.1f} {r['p95_x_select1']:7.1f}  {r['n']}")  # fmt: skip
    if result["pgqueuer"] != "measured":
        print(f"pgqueuer: {result['pgqueuer']}")
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    print(write_json(result, RESULTS_DIR / f"{day}-queue-pickup.json"))


if __name__ == "__main__":
    main()
