"""The job table: dedupe, SKIP LOCKED claims, leases, backoff, abandoned jobs, the runner."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from db import jobs
from db.pool import Database
from handlers.edge.worker import JobContext, PermanentJobError, RetryLater, Worker


async def test_dedupe_key_allows_one_active_job_and_a_new_one_after(db: Database) -> None:
    first, created = await jobs.enqueue(db.pool, "noop", {"n": 1}, dedupe_key="k")
    again, created_again = await jobs.enqueue(db.pool, "noop", {"n": 2}, dedupe_key="k")
    assert created and not created_again and again == first
    job = await jobs.claim(db.pool, "w1", 60)
    assert job is not None and job.payload == {"n": 1}
    assert not (await jobs.enqueue(db.pool, "noop", {}, dedupe_key="k"))[1]  # running counts
    assert await jobs.complete(db.pool, job.id, "w1", {"ok": True})
    assert (await jobs.enqueue(db.pool, "noop", {}, dedupe_key="k"))[1]


async def test_concurrent_claims_never_hand_out_one_job_twice(db: Database) -> None:
    for n in range(30):
        await jobs.enqueue(db.pool, "noop", {"n": n})

    async def claimer(name: str) -> list[int]:
        got = []
        while (job := await jobs.claim(db.pool, name, 60)) is not None:
            got.append(job.id)
        return got

    results = await asyncio.gather(*(claimer(f"w{i}") for i in range(4)))
    claimed = [job_id for ids in results for job_id in ids]
    assert sorted(claimed) == sorted(set(claimed)) and len(claimed) == 30


async def test_failure_backs_off_then_fails_for_good(db: Database) -> None:
    job_id, _ = await jobs.enqueue(db.pool, "noop", max_attempts=2)
    job = await jobs.claim(db.pool, "w", 60)
    assert job is not None
    assert await jobs.fail(db.pool, job_id, "w", "boom") == "queued"
    row = await jobs.get(db.pool, job_id)
    assert row is not None
    wait = await db.pool.fetchval("SELECT extract(epoch FROM run_after - now()) FROM jobs")
    assert 25 < wait <= 30  # first retry after BACKOFF_BASE_S
    assert await jobs.claim(db.pool, "w", 60) is None  # not due yet
    await db.pool.execute("UPDATE jobs SET run_after = now()")
    assert await jobs.claim(db.pool, "w", 60) is not None
    assert await jobs.fail(db.pool, job_id, "w", "boom again") == "failed"
    row = await jobs.get(db.pool, job_id)
    assert row is not None and row["last_error"] == "boom again" and row["finished_at"]


@pytest.mark.parametrize(("attempts", "expected_s"), [(1, 30), (2, 60), (3, 120), (20, 3600)])
async def test_backoff_doubles_from_the_base_up_to_the_cap(
    db: Database, attempts: int, expected_s: float
) -> None:
    """The SQL in jobs.fail that actually runs: 30 s, 60 s, 120 s... capped at one hour."""
    job_id, _ = await jobs.enqueue(db.pool, "noop", max_attempts=50)
    assert await jobs.claim(db.pool, "w", 60) is not None
    await db.pool.execute("UPDATE jobs SET attempts = $2 WHERE id = $1", job_id, attempts)
    assert await jobs.fail(db.pool, job_id, "w", "boom") == "queued"
    wait = await db.pool.fetchval(
        "SELECT extract(epoch FROM run_after - now()) FROM jobs WHERE id = $1", job_id
    )
    assert expected_s - 5 < wait <= expected_s


async def test_abandoned_job_is_requeued_and_its_old_runner_loses_it(db: Database) -> None:
    job_id, _ = await jobs.enqueue(db.pool, "noop")
    assert await jobs.claim(db.pool, "dead", 60) is not None
    assert await jobs.requeue_abandoned(db.pool) == 0  # lease still valid
    await db.pool.execute("UPDATE jobs SET locked_until = now() - interval '1 s'")
    assert await jobs.requeue_abandoned(db.pool) == 1
    taken = await jobs.claim(db.pool, "alive", 60)
    assert taken is not None and taken.id == job_id and taken.attempts == 2
    assert not await jobs.heartbeat(db.pool, job_id, "dead", 60, {"x": 1})
    assert not await jobs.complete(db.pool, job_id, "dead")
    assert await jobs.complete(db.pool, job_id, "alive")


async def test_runner_records_results_retries_and_permanent_failures(db: Database) -> None:
    seen: list[int] = []

    async def ok(ctx: JobContext) -> dict[str, Any]:
        await ctx.save_progress({"step": 1})
        seen.append(ctx.job.id)
        return {"done": ctx.job.id}

    async def flaky(ctx: JobContext) -> None:
        raise RuntimeError("spotify down")

    async def later(ctx: JobContext) -> None:
        raise RetryLater("rate limited", 120)

    async def broken(ctx: JobContext) -> None:
        raise PermanentJobError("bad payload")

    worker = Worker(db, {"ok": ok, "flaky": flaky, "later": later, "broken": broken})
    ids = {
        kind: (await jobs.enqueue(db.pool, kind))[0] for kind in ("ok", "flaky", "later", "broken")
    }
    assert await worker.drain() == 4
    rows = {r["kind"]: r for r in await db.pool.fetch("SELECT * FROM jobs")}
    assert rows["ok"]["status"] == "done" and json.loads(rows["ok"]["result"]) == {
        "done": ids["ok"]
    }
    assert json.loads(rows["ok"]["progress"]) == {"step": 1}
    assert rows["flaky"]["status"] == "queued" and "spotify down" in rows["flaky"]["last_error"]
    wait = await db.pool.fetchval(
        "SELECT extract(epoch FROM run_after - now()) FROM jobs WHERE kind = 'later'"
    )
    assert rows["later"]["status"] == "queued" and wait > 100
    assert rows["broken"]["status"] == "failed" and rows["broken"]["last_error"] == "bad payload"


async def test_runner_loop_stops_when_asked(db: Database) -> None:
    ran = asyncio.Event()

    async def ok(ctx: JobContext) -> None:
        ran.set()

    worker = Worker(db, {"ok": ok}, poll_s=0.05)
    task = asyncio.create_task(worker.run())
    await jobs.enqueue(db.pool, "ok")
    await asyncio.wait_for(ran.wait(), 5)
    worker.stop()
    await asyncio.wait_for(task, 5)
    assert await db.pool.fetchval("SELECT status FROM jobs") == "done"
