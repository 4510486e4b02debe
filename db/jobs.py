"""The durable job table: enqueue with a dedupe key, claim with SKIP LOCKED and a lease, retry.

Any number of worker processes may call `claim` at once: `FOR UPDATE SKIP LOCKED` hands each
queued job to exactly one of them, and the lease (`locked_until`) lets another worker take over
a job whose worker died. The lease statements are db/lease.py's, shared with the chat inbox;
how long to wait before a retry is the caller's (handlers/backoff.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import asyncpg

from db import lease
from db.lease import Conn, LeasedTable


@dataclass(frozen=True)
class Job:
    """One claimed job, as the worker sees it."""

    id: int
    kind: str
    payload: dict[str, Any]
    dedupe_key: str | None
    attempts: int
    max_attempts: int
    progress: dict[str, Any] = field(default_factory=dict)


def _as_dict(value: dict[str, Any] | None) -> dict[str, Any]:
    """A jsonb object column as a dict (the pool's codec decodes it); NULL as empty."""
    return {} if value is None else dict(value)


def _job(row: asyncpg.Record) -> Job:
    return Job(
        id=row["id"],
        kind=row["kind"],
        payload=_as_dict(row["payload"]),
        dedupe_key=row["dedupe_key"],
        attempts=row["attempts"],
        max_attempts=row["max_attempts"],
        progress=_as_dict(row["progress"]),
    )


async def enqueue(
    conn: Conn,
    kind: str,
    payload: dict[str, Any] | None = None,
    *,
    dedupe_key: str | None = None,
    delay_s: float = 0.0,
    max_attempts: int = 5,
    user_id: int | None = None,
) -> tuple[int, bool]:
    """Queue a job; with a dedupe key already queued or running, (that job's id, False).

    `user_id` names the chat user the job works for, so that forgetting them finds it.
    """
    job_id: int | None = await conn.fetchval(
        """
        INSERT INTO jobs (kind, payload, dedupe_key, run_after, max_attempts, user_id)
        VALUES ($1, $2::jsonb, $3, now() + make_interval(secs => $4), $5, $6)
        ON CONFLICT (dedupe_key) WHERE status IN ('queued', 'running') DO NOTHING
        RETURNING id
        """,
        kind,
        payload or {},
        dedupe_key,
        delay_s,
        max_attempts,
        user_id,
    )
    if job_id is not None:
        return job_id, True
    existing: int | None = await conn.fetchval(
        "SELECT id FROM jobs WHERE dedupe_key = $1 AND status IN ('queued', 'running')",
        dedupe_key,
    )
    if existing is None:  # the other job finished in between: queue ours after all
        return await enqueue(
            conn,
            kind,
            payload,
            dedupe_key=dedupe_key,
            delay_s=delay_s,
            max_attempts=max_attempts,
            user_id=user_id,
        )
    return existing, False


JOBS = LeasedTable("jobs", state="status", held="running")

CLAIM_SQL = JOBS.claim_sql(
    # $4: the kinds this worker runs (NULL: every kind)
    ready="status = 'queued' AND run_after <= now() "
    "AND ($4::text[] IS NULL OR kind = ANY($4::text[]))",
    order="run_after, id",
)
# $4: the progress to save (NULL keeps the stored one)
HEARTBEAT_SQL = JOBS.renew_sql(also=", progress = COALESCE($4::jsonb, progress)")
# $3: the result
COMPLETE_SQL = JOBS.settle_sql(
    "status = 'done', result = $3::jsonb, finished_at = now(), last_error = NULL"
)
# $3: the error; $4: seconds until the next try (NULL: never, the job failed for good)
_RETRIES = "$4::float8 IS NOT NULL AND attempts < max_attempts"
FAIL_SQL = JOBS.settle_sql(
    f"""status = CASE WHEN {_RETRIES} THEN 'queued' ELSE 'failed' END,
    run_after = now() + make_interval(secs => coalesce($4::float8, 0)),
    last_error = left($3, 2000),
    finished_at = CASE WHEN {_RETRIES} THEN NULL ELSE now() END"""
)
REQUEUE_ABANDONED_SQL = JOBS.release_lapsed_sql(
    """status = CASE WHEN attempts < max_attempts THEN 'queued' ELSE 'failed' END,
    finished_at = CASE WHEN attempts < max_attempts THEN NULL ELSE now() END,
    last_error = 'lease expired: the worker stopped before finishing'"""
)


async def claim(
    conn: Conn, worker_id: str, lease_s: float, kinds: list[str] | None = None
) -> Job | None:
    """Take the oldest due job (or None): it becomes running, leased to this worker."""
    rows = await conn.fetch(CLAIM_SQL, worker_id, lease_s, 1, kinds)
    return _job(rows[0]) if rows else None


async def heartbeat(
    conn: Conn,
    job_id: int,
    worker_id: str,
    lease_s: float,
    progress: dict[str, Any] | None = None,
) -> bool:
    """Extend the lease (and save progress); False when this worker no longer holds the job."""
    return bool(await lease.renew(conn, HEARTBEAT_SQL, worker_id, lease_s, [job_id], progress))


async def complete(
    conn: Conn, job_id: int, worker_id: str, result: dict[str, Any] | None = None
) -> bool:
    """Mark a job done with its result; False when the lease was lost to another worker."""
    done = await lease.settle(conn, COMPLETE_SQL, [job_id], worker_id, result or {})
    return bool(done)


async def fail(
    conn: Conn, job_id: int, worker_id: str, error: str, *, retry_in_s: float | None
) -> str:
    """Record a failure: queued again in `retry_in_s` seconds while attempts are left, else
    (or with None) 'failed' for good. Returns the status, 'lost' when the lease was lost."""
    settled = await lease.settle(conn, FAIL_SQL, [job_id], worker_id, error, retry_in_s)
    return settled.get(job_id, "lost")


async def requeue_abandoned(conn: Conn) -> int:
    """Give running jobs whose lease expired (their worker died) back to the queue."""
    return len(await conn.fetch(REQUEUE_ABANDONED_SQL))


async def get(conn: Conn, job_id: int) -> asyncpg.Record | None:
    """The job's row as stored (for status pages and tests)."""
    row: asyncpg.Record | None = await conn.fetchrow("SELECT * FROM jobs WHERE id = $1", job_id)
    return row


async def recently_created(conn: Conn, dedupe_key: str, within_s: float) -> bool:
    """Whether a job with this key was queued within the last `within_s` seconds."""
    found = await conn.fetchval(
        """SELECT 1 FROM jobs WHERE dedupe_key = $1
        AND created_at > now() - make_interval(secs => $2) LIMIT 1""",
        dedupe_key,
        within_s,
    )
    return found is not None


JOB_STATES = ("queued", "running", "done", "failed")
# `jobs list` shows the newest this many unless told otherwise: enough to spot a pattern.
LIST_LIMIT = 50


async def list_jobs(
    conn: Conn, states: tuple[str, ...] = ("failed", "queued", "running"), limit: int = LIST_LIMIT
) -> list[asyncpg.Record]:
    """Jobs in these states, newest first: id, kind, status, attempts, times and last error."""
    rows: list[asyncpg.Record] = await conn.fetch(
        """
        SELECT id, kind, status, attempts, max_attempts, dedupe_key, run_after, updated_at,
            last_error
        FROM jobs WHERE status = ANY($1::text[])
        ORDER BY updated_at DESC, id DESC
        LIMIT $2
        """,
        list(states),
        limit,
    )
    return rows


async def count_by_state(conn: Conn) -> dict[str, int]:
    """How many jobs are in each state (every state present, zero when none)."""
    rows = await conn.fetch("SELECT status, count(*) AS n FROM jobs GROUP BY status")
    counts = dict.fromkeys(JOB_STATES, 0)
    counts.update({row["status"]: int(row["n"]) for row in rows})
    return counts


async def retry_failed(conn: Conn, job_id: int | None = None) -> list[int]:
    """Queue failed jobs again now, with a fresh attempt budget: one by id, or every one.

    A failed job whose dedupe key already has a queued or running job is left alone (that job
    does the same work), and of several failed jobs sharing a key only the newest is retried.
    """
    rows = await conn.fetch(
        """
        WITH chosen AS (
            SELECT DISTINCT ON (coalesce(j.dedupe_key, j.id::text)) j.id
            FROM jobs j
            WHERE j.status = 'failed' AND ($1::bigint IS NULL OR j.id = $1)
              AND (j.dedupe_key IS NULL OR NOT EXISTS (
                  SELECT 1 FROM jobs active
                  WHERE active.dedupe_key = j.dedupe_key
                    AND active.status IN ('queued', 'running')))
            ORDER BY coalesce(j.dedupe_key, j.id::text), j.id DESC
        )
        UPDATE jobs SET status = 'queued', attempts = 0, run_after = now(), finished_at = NULL,
            locked_by = NULL, locked_until = NULL, updated_at = now()
        FROM chosen WHERE jobs.id = chosen.id
        RETURNING jobs.id
        """,
        job_id,
    )
    return sorted(row["id"] for row in rows)
