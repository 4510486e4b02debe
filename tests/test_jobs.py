"""The job table: dedupe, SKIP LOCKED claims, leases, backoff, abandoned jobs, the runner."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from db import jobs
from db.pool import Database
from handlers.edge.worker import (
    JOB_RETRY,
    OUTAGE_RETRY,
    JobContext,
    PermanentJobError,
    RetryLater,
    Worker,
)


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
    assert await jobs.fail(db.pool, job_id, "w", "boom", retry_in_s=30) == "queued"
    row = await jobs.get(db.pool, job_id)
    assert row is not None
    wait = await db.pool.fetchval("SELECT extract(epoch FROM run_after - now()) FROM jobs")
    assert 25 < wait <= 30  # the next try after the wait it was given
    assert await jobs.claim(db.pool, "w", 60) is None  # not due yet
    await db.pool.execute("UPDATE jobs SET run_after = now()")
    assert await jobs.claim(db.pool, "w", 60) is not None
    assert await jobs.fail(db.pool, job_id, "w", "boom again", retry_in_s=30) == "failed"
    row = await jobs.get(db.pool, job_id)
    assert row is not None and row["last_error"] == "boom again" and row["finished_at"]


@pytest.mark.parametrize(("attempts", "expected_s"), [(0, 30), (1, 60), (2, 120), (19, 3600)])
async def test_backoff_doubles_from_the_base_up_to_the_cap(
    db: Database, attempts: int, expected_s: float
) -> None:
    """What a failing job waits, through the runner that computes it: 30 s, 60 s, 120 s...
    capped at one hour (`attempts` before the claim that counts one more)."""

    async def flaky(ctx: JobContext) -> None:
        raise RuntimeError("spotify down")

    job_id, _ = await jobs.enqueue(db.pool, "flaky", max_attempts=50)
    await db.pool.execute("UPDATE jobs SET attempts = $2 WHERE id = $1", job_id, attempts)
    assert await Worker(db, {"flaky": flaky}).run_once()
    row = await db.pool.fetchrow(
        "SELECT status, extract(epoch FROM run_after - now()) AS wait FROM jobs WHERE id = $1",
        job_id,
    )
    assert row["status"] == "queued" and expected_s - 5 < row["wait"] <= expected_s


def test_one_backoff_rule_for_every_retry_loop() -> None:
    assert [JOB_RETRY.delay_s(n) for n in (1, 2, 3, 7, 8)] == [30, 60, 120, 1920, 3600]
    assert JOB_RETRY.delay_s(0) == 30 and JOB_RETRY.delay_s(10**9) == 3600  # no overflow
    assert OUTAGE_RETRY.delay_s(1) == 1 and OUTAGE_RETRY.delay_s(50) == 60


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
    assert rows["ok"]["status"] == "done" and rows["ok"]["result"] == {"done": ids["ok"]}
    assert rows["ok"]["progress"] == {"step": 1}
    assert rows["flaky"]["status"] == "queued" and "spotify down" in rows["flaky"]["last_error"]
    wait = await db.pool.fetchval(
        "SELECT extract(epoch FROM run_after - now()) FROM jobs WHERE kind = 'later'"
    )
    assert rows["later"]["status"] == "queued" and 115 < wait <= 120  # as asked, not doubled
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
