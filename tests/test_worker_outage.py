"""The in-process job worker outlives a PostgreSQL restart and an outage of some seconds
(issue 10, finding 5): it logs the outage, backs off, and runs the next job once the database
is back."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import pytest

from db import jobs
from db.pool import Database
from handlers.edge.worker import JobContext, Worker
from support.own_database import restart_server, start_server, stop_server

pytestmark = pytest.mark.slow

# A job must run within this once the database answers again (backoff cap of the test's worker
# plus the poll interval, with room for a loaded machine).
RESUME_TIMEOUT_S = 30.0


class Recorder:
    """A job handler that remembers which jobs ran."""

    def __init__(self) -> None:
        self.ran: list[int] = []
        self.changed = asyncio.Event()

    async def __call__(self, ctx: JobContext) -> dict[str, Any]:
        self.ran.append(ctx.job.id)
        self.changed.set()
        return {}


async def ran(recorder: Recorder, job_id: int) -> bool:
    """Wait until the job ran (or the timeout passed)."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(RESUME_TIMEOUT_S):
            while job_id not in recorder.ran:
                recorder.changed.clear()
                await recorder.changed.wait()
    return job_id in recorder.ran


async def enqueue_when_up(database: Database, marker: str) -> int:
    """Queue a job, retrying while the pool's stale connections are weeded out."""
    for _ in range(20):
        try:
            job_id, _ = await jobs.enqueue(database.pool, "record", {"marker": marker})
            return job_id
        except Exception:
            await asyncio.sleep(0.5)
    raise AssertionError("the database did not come back")


async def test_worker_survives_a_restart_and_an_outage(
    own_server: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="handlers.edge.worker")
    recorder = Recorder()
    worker = Worker(own_server, {"record": recorder}, poll_s=0.2)
    task = asyncio.create_task(worker.run())
    try:
        first = await enqueue_when_up(own_server, "before")
        assert await ran(recorder, first)

        await asyncio.to_thread(restart_server, own_server)
        second = await enqueue_when_up(own_server, "after restart")
        assert await ran(recorder, second), worker.health
        assert not task.done()

        await asyncio.to_thread(stop_server, own_server)
        await asyncio.sleep(3.0)  # the worker polls a dead database meanwhile
        assert not task.done()
        assert worker.health.state == "retrying" and worker.health.failures >= 1
        await asyncio.to_thread(start_server, own_server)
        third = await enqueue_when_up(own_server, "after outage")
        assert await ran(recorder, third), worker.health
        for _ in range(50):  # the job's completion is recorded just after the handler returns
            if worker.health.state == "running":
                break
            await asyncio.sleep(0.1)
        assert worker.health.state == "running" and worker.health.failures == 0
    finally:
        worker.stop()
        await asyncio.wait_for(task, 10)
    assert "database unavailable" in caplog.text
    assert "database back" in caplog.text
