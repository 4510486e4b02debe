"""Leased rows: the claim, renew and settle statements both durable tables (jobs, inbox) share.

A row being worked on is held by one process (`locked_by`) until `locked_until`. The holder
renews the lease while it works and settles the row when it is done; a row whose lease lapsed
(its process died) is claimed by the next process that looks. Claims use FOR UPDATE SKIP
LOCKED, so two processes claiming at once never take the same row. Each table writes its
statements once, as named constants, from these templates (docs/queue.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

import asyncpg

Conn: TypeAlias = asyncpg.Connection | asyncpg.Pool


@dataclass(frozen=True)
class LeasedTable:
    """A table with `id`, `attempts`, `locked_by`, `locked_until`, `updated_at` and a state
    column whose value `held` marks a row some process is working on."""

    table: str
    state: str
    held: str

    @property
    def lapsed(self) -> str:
        """The condition of a held row whose process stopped renewing it."""
        return f"{self.state} = '{self.held}' AND locked_until < now()"

    def claim_sql(self, ready: str, order: str) -> str:
        """Hold up to $3 rows matching `ready` (which may use $4 on) for worker $1, for $2 s,
        counting the attempt; returns the rows."""
        return f"""
        WITH picked AS (
            SELECT id FROM {self.table}
            WHERE {ready}
            ORDER BY {order}
            LIMIT $3
            FOR UPDATE SKIP LOCKED
        )
        UPDATE {self.table} t SET {self.state} = '{self.held}', attempts = t.attempts + 1,
            locked_by = $1, locked_until = now() + make_interval(secs => $2), updated_at = now()
        FROM picked WHERE t.id = picked.id
        RETURNING t.*
        """

    def renew_sql(self, also: str = "") -> str:
        """Extend by $2 s the lease of the rows worker $1 holds (all, or those in $3; `also`
        may set more columns from $4 on); returns the renewed ids."""
        return f"""
        UPDATE {self.table} SET locked_until = now() + make_interval(secs => $2),
            updated_at = now(){also}
        WHERE {self.state} = '{self.held}' AND locked_by = $1
          AND ($3::bigint[] IS NULL OR id = ANY($3::bigint[]))
        RETURNING id
        """

    def settle_sql(self, outcome: str) -> str:
        """Release the rows in $1 that worker $2 holds (any worker when $2 is NULL), setting
        `outcome` (which may use $3 on); returns each settled id and its new state."""
        return f"""
        UPDATE {self.table} SET {outcome}, locked_by = NULL, locked_until = NULL,
            updated_at = now()
        WHERE id = ANY($1::bigint[]) AND {self.state} = '{self.held}'
          AND ($2::text IS NULL OR locked_by = $2)
        RETURNING id, {self.state} AS state
        """

    def release_lapsed_sql(self, outcome: str) -> str:
        """Release every held row whose lease lapsed, setting `outcome`; returns the ids."""
        return f"""
        UPDATE {self.table} SET {outcome}, locked_by = NULL, locked_until = NULL,
            updated_at = now()
        WHERE {self.lapsed}
        RETURNING id
        """


async def renew(
    conn: Conn, sql: str, worker_id: str, lease_s: float, ids: list[int] | None, *more: object
) -> list[int]:
    """Run a `renew_sql` statement; the ids whose lease was extended."""
    rows = await conn.fetch(sql, worker_id, lease_s, ids, *more)
    return [row["id"] for row in rows]


async def settle(
    conn: Conn, sql: str, ids: list[int], worker_id: str | None, *more: object
) -> dict[int, str]:
    """Run a `settle_sql` statement; each settled id with its new state (none: not held)."""
    rows = await conn.fetch(sql, ids, worker_id, *more)
    return {row["id"]: row["state"] for row in rows}
