"""The inbox: chat updates stored before they are acknowledged, leased while they are being
answered, and handed to another process (FOR UPDATE SKIP LOCKED) when the lease lapses."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, TypeAlias

import asyncpg

Conn: TypeAlias = asyncpg.Connection | asyncpg.Pool


@dataclass(frozen=True)
class InboxItem:
    """One stored update, as a process that claimed it sees it."""

    id: int
    platform: str
    update_key: str
    payload: dict[str, Any]
    attempts: int


async def accept(
    conn: Conn,
    platform: str,
    update_key: str,
    payload: dict[str, Any],
    *,
    worker_id: str,
    lease_s: float,
    chat_id: str | None = None,
    user_id: str | None = None,
) -> int | None:
    """Store an update leased to this process; None when it was stored before (a redelivery)."""
    row_id: int | None = await conn.fetchval(
        """
        INSERT INTO inbox (platform, update_key, payload, chat_id, user_id, locked_by,
                           locked_until)
        VALUES ($1, $2, $3::jsonb, $4, $5, $6, now() + make_interval(secs => $7))
        ON CONFLICT (platform, update_key) DO NOTHING
        RETURNING id
        """,
        platform,
        update_key,
        json.dumps(payload),
        chat_id,
        user_id,
        worker_id,
        lease_s,
    )
    return row_id


async def finish(conn: Conn, ids: list[int], *, failed: str | None = None) -> None:
    """Mark updates answered (or given up on): their payload and ids are wiped at once."""
    await conn.execute(
        """
        UPDATE inbox SET state = CASE WHEN $2::text IS NULL THEN 'done' ELSE 'failed' END,
            last_error = $2, payload = '{}', chat_id = NULL, user_id = NULL,
            locked_by = NULL, locked_until = NULL, updated_at = now()
        WHERE id = ANY($1::bigint[]) AND state = 'working'
        """,
        ids,
        failed,
    )


async def renew(conn: Conn, worker_id: str, lease_s: float) -> int:
    """Extend the lease of every update this process is still answering; how many."""
    result: str = await conn.execute(
        """
        UPDATE inbox SET locked_until = now() + make_interval(secs => $2), updated_at = now()
        WHERE state = 'working' AND locked_by = $1
        """,
        worker_id,
        lease_s,
    )
    return int(result.split()[-1])


async def claim_lapsed(
    conn: Conn, platform: str, worker_id: str, lease_s: float, limit: int
) -> list[InboxItem]:
    """Take over updates whose process died (lease passed), oldest first, counting the try."""
    rows = await conn.fetch(
        """
        WITH lapsed AS (
            SELECT id FROM inbox
            WHERE platform = $1 AND state = 'working' AND locked_until < now()
            ORDER BY id
            LIMIT $4
            FOR UPDATE SKIP LOCKED
        )
        UPDATE inbox i SET locked_by = $2, attempts = i.attempts + 1,
            locked_until = now() + make_interval(secs => $3), updated_at = now()
        FROM lapsed WHERE i.id = lapsed.id
        RETURNING i.id, i.platform, i.update_key, i.payload, i.attempts
        """,
        platform,
        worker_id,
        lease_s,
        limit,
    )
    return [
        InboxItem(r["id"], r["platform"], r["update_key"], json.loads(r["payload"]), r["attempts"])
        for r in sorted(rows, key=lambda r: r["id"])
    ]


async def prune(conn: Conn, keep_s: float) -> int:
    """Delete answered or failed rows older than `keep_s` (kept that long to drop redeliveries)."""
    result: str = await conn.execute(
        """DELETE FROM inbox WHERE state <> 'working'
        AND updated_at < now() - make_interval(secs => $1)""",
        keep_s,
    )
    return int(result.split()[-1])


async def forget(conn: Conn, platform: str, user_id: str) -> int:
    """Delete every stored update of one sender (for /forget_me); how many."""
    result: str = await conn.execute(
        "DELETE FROM inbox WHERE platform = $1 AND user_id = $2", platform, user_id
    )
    return int(result.split()[-1])


async def working_count(conn: Conn, platform: str) -> int:
    """Updates stored and not yet answered (for health and tests)."""
    count: int = await conn.fetchval(
        "SELECT count(*) FROM inbox WHERE platform = $1 AND state = 'working'", platform
    )
    return count
