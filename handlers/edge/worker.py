"""The job runner: claims jobs from the table, runs their handler, records the outcome.

Several runners (in one process or many) can share one database: claims use SKIP LOCKED, a
running job's lease is extended while it works, and a lease that lapses (its runner died)
hands the job to another runner, which resumes from the job's saved progress.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from db import jobs
from db.errors import describe
from db.jobs import Job
from db.pool import Database
from handlers.backoff import Backoff, Failures

log = logging.getLogger(__name__)

# A job not heard from for this long is taken as abandoned; handlers save progress well
# within it, and a heartbeat task renews it while a handler is busy.
LEASE_S = 120.0
HEARTBEAT_S = 30.0
# An idle runner looks for new jobs this often.
POLL_S = 2.0
# Schedulers (daily library refresh, trending refresh) run this often.
SCHEDULE_EVERY_S = 60.0
# A failed job is tried again after 30 s, 60 s, 120 s... at most an hour apart, so a job
# failing for a day is still retried a few times an hour.
JOB_RETRY = Backoff(base_s=30.0, cap_s=3600.0)
# While the database is unreachable (a restart, a failover) the runner waits 1 s, 2 s, 4 s...
# at most a minute before trying again: quick to resume, quiet during a long outage.
OUTAGE_RETRY = Backoff(base_s=1.0, cap_s=60.0)


class LeaseLost(Exception):
    """Another runner took this job over (our lease lapsed); stop without recording anything."""


class RetryLater(Exception):
    """The job should run again after `delay_s` (e.g. a long Spotify rate limit)."""

    def __init__(self, message: str, delay_s: float) -> None:
        super().__init__(message)
        self.delay_s = delay_s


class PermanentJobError(Exception):
    """Retrying cannot help (bad payload, unknown kind): the job fails for good."""


@dataclass
class JobContext:
    """What a handler gets besides the job: progress saving under the runner's lease."""

    job: Job
    db: Database
    worker_id: str
    lease_s: float = LEASE_S
    progress: dict[str, Any] = field(default_factory=dict)

    async def save_progress(self, progress: dict[str, Any], conn: Any = None) -> None:
        """Persist progress (pass `conn` to save it inside the caller's transaction)."""
        self.progress = progress
        target = conn if conn is not None else self.db.pool
        held = await jobs.heartbeat(target, self.job.id, self.worker_id, self.lease_s, progress)
        if not held:
            raise LeaseLost(f"job {self.job.id} was taken over by another runner")


JobHandler = Callable[[JobContext], Awaitable[dict[str, Any] | None]]
Scheduler = Callable[[Database], Awaitable[None]]


NOOP = "noop"


async def noop(ctx: JobContext) -> dict[str, Any]:
    """A job that only says who ran it: checks that workers are alive and claim fairly."""
    delay = float(ctx.job.payload.get("sleep_s", 0))
    if delay:
        await asyncio.sleep(delay)
    log.info("noop job %s ran in pid %s", ctx.job.id, os.getpid())
    return {"pid": os.getpid(), "worker": ctx.worker_id}


def default_worker_id() -> str:
    """host:pid, so the jobs table shows which process holds what."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class WorkerHealth(Failures):
    """What the health check reports about a runner."""

    state: str = "starting"  # starting | running | retrying | stopped
    last_error: str = ""
    failures: int = 0  # consecutive failed rounds; 0 when the last round went through

    def as_dict(self) -> dict[str, Any]:
        """The JSON form for /healthz."""
        return {"state": self.state, "last_error": self.last_error, "failures": self.failures}


class Worker:
    """Runs jobs of the registered kinds until stopped (or, with `drain`, until none is left)."""

    def __init__(
        self,
        db: Database,
        handlers: dict[str, JobHandler],
        *,
        worker_id: str | None = None,
        schedulers: tuple[Scheduler, ...] = (),
        lease_s: float = LEASE_S,
        poll_s: float = POLL_S,
        retry_base_s: float = JOB_RETRY.base_s,
    ) -> None:
        self.db = db
        self.handlers = handlers
        self.worker_id = worker_id or default_worker_id()
        self.schedulers = schedulers
        self.lease_s = lease_s
        self.poll_s = poll_s
        self.retry = Backoff(retry_base_s, JOB_RETRY.cap_s)
        self.health = WorkerHealth()
        self._stop = asyncio.Event()

    def stop(self) -> None:
        """Finish the current job, then return from `run`."""
        self._stop.set()

    async def run_once(self) -> bool:
        """Claim and run one due job; False when there was none."""
        await jobs.requeue_abandoned(self.db.pool)
        job = await jobs.claim(self.db.pool, self.worker_id, self.lease_s, list(self.handlers))
        if job is None:
            return False
        await self._run(job)
        return True

    async def drain(self) -> int:
        """Run due jobs until none is left; how many ran."""
        count = 0
        while await self.run_once():
            count += 1
        return count

    async def run(self) -> None:
        """The loop: schedule, claim, run; sleep when idle; stop on `stop()`. A database outage
        pauses it (with a growing wait and a log line) instead of ending it."""
        next_schedule = 0.0
        loop = asyncio.get_running_loop()
        self.health.state = "running"
        while not self._stop.is_set():
            try:
                if loop.time() >= next_schedule:
                    await self._schedule()
                    next_schedule = loop.time() + SCHEDULE_EVERY_S
                busy = await self.run_once()
            except Exception as err:  # the database went away; the loop must outlive it
                await self._pause_after(err)
                continue
            self._recovered()
            if not busy:
                await self._sleep(self.poll_s)
        self.health.state = "stopped"

    async def _pause_after(self, err: Exception) -> None:
        delay = self.health.failed(err, OUTAGE_RETRY)
        self.health.state = "retrying"
        self.health.log_failure(log, f"job worker {self.worker_id}: database unavailable", delay)
        await self._sleep(delay)

    def _recovered(self) -> None:
        failures = self.health.recovered()
        self.health.log_recovery(log, f"job worker {self.worker_id}: database back", failures)
        self.health.state = "running"

    async def _sleep(self, seconds: float) -> None:
        """Wait, but wake at once on `stop()`."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), seconds)

    async def _schedule(self) -> None:
        for scheduler in self.schedulers:
            try:
                await scheduler(self.db)
            except Exception:  # a scheduler's failure must not stop the runner
                log.exception("scheduler %s failed", getattr(scheduler, "__name__", scheduler))

    async def _run(self, job: Job) -> None:
        ctx = JobContext(job, self.db, self.worker_id, self.lease_s, dict(job.progress))
        beat = asyncio.create_task(self._heartbeat(job))
        try:
            result = await self.handlers[job.kind](ctx)
        except LeaseLost:
            log.warning("job %s (%s): lease lost, another runner has it", job.id, job.kind)
            return
        except RetryLater as err:
            await self._retry_after(job, str(err), err.delay_s)
            return
        except PermanentJobError as err:
            await jobs.fail(self.db.pool, job.id, self.worker_id, str(err), retry_in_s=None)
            log.error("job %s (%s) failed for good: %s", job.id, job.kind, err)
            return
        except Exception as err:
            delay = self.retry.delay_s(job.attempts)
            status = await jobs.fail(
                self.db.pool, job.id, self.worker_id, describe(err), retry_in_s=delay
            )
            log.warning("job %s (%s) failed (%s): %s", job.id, job.kind, status, describe(err))
            return
        finally:
            beat.cancel()
        await jobs.complete(self.db.pool, job.id, self.worker_id, result)
        log.info("job %s (%s) done", job.id, job.kind)

    async def _retry_after(self, job: Job, message: str, delay_s: float) -> None:
        delay = self.retry.capped(delay_s)  # a month-long Retry-After waits the cap
        await jobs.fail(self.db.pool, job.id, self.worker_id, message, retry_in_s=delay)
        log.info("job %s (%s) will retry: %s", job.id, job.kind, message)

    async def _heartbeat(self, job: Job) -> None:
        while True:
            await asyncio.sleep(min(HEARTBEAT_S, self.lease_s / 3))
            try:
                await jobs.heartbeat(self.db.pool, job.id, self.worker_id, self.lease_s)
            except Exception:  # the handler's own saves will notice a real problem
                log.debug("heartbeat for job %s failed", job.id, exc_info=True)
