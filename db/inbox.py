"""The inbox: chat updates stored before they are acknowledged, leased while they are being
answered, and handed to another process (FOR UPDATE SKIP LOCKED) when the lease lapses. The
lease statements are db/lease.py's, shared with the job table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from db import lease
from db.lease import Conn, LeasedTable


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
        payload,
        chat_id,
        user_id,
        worker_id,
        lease_s,
    )
    return row_id


INBOX = LeasedTable("inbox", state="state", held="working")

# $3: why it was given up on (NULL: answered)
FINISH_SQL = INBOX.settle_sql(
    """state = CASE WHEN $3::text IS NULL THEN 'done' ELSE 'failed' END, last_error = $3,
    payload = '{}', chat_id = NULL, user_id = NULL"""
)
RENEW_SQL = INBOX.renew_sql()
# $4: the platform
CLAIM_LAPSED_SQL = INBOX.claim_sql(ready=f"platform = $4 AND {INBOX.lapsed}", order="id")


async def finish(conn: Conn, ids: list[int], *, failed: str | None = None) -> None:
    """Mark updates answered (or given up on): their payload and ids are wiped at once."""
    await lease.settle(conn, FINISH_SQL, ids, None, failed)


async def renew(conn: Conn, worker_id: str, lease_s: float) -> int:
    """Extend the lease of every update this process is still answering; how many."""
    return len(await lease.renew(conn, RENEW_SQL, worker_id, lease_s, None))


async def claim_lapsed(
    conn: Conn, platform: str, worker_id: str, lease_s: float, limit: int
) -> list[InboxItem]:
    """Take over updates whose process died (lease passed), oldest first, counting the try."""
    rows = await conn.fetch(CLAIM_LAPSED_SQL, worker_id, lease_s, limit, platform)
    return [
        InboxItem(r["id"], r["platform"], r["update_key"], r["payload"], r["attempts"])
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
