"""Retention: answers, photo captions and finished jobs older than MELODICLENS_RETENTION_DAYS go.

A scheduler queues one `retention_prune` job at most every PRUNE_EVERY_S (the job table's
dedupe key keeps it to one across workers); the job deletes in one transaction.
"""

from __future__ import annotations

import logging
from typing import Any

from db import jobs, privacy
from db.pool import Database
from handlers.edge.worker import JobContext

log = logging.getLogger(__name__)

RETENTION_PRUNE = "retention_prune"
PRUNE_KEY = "retention"
# Pruning is cheap but need not run often: hourly keeps data at most an hour past its age.
PRUNE_EVERY_S = 3600.0
DAY_S = 86400.0


class RetentionPrune:
    """Runs `retention_prune` jobs: deletes what is older than the retention period."""

    def __init__(self, retention_days: float) -> None:
        self.older_than_s = retention_days * DAY_S

    async def __call__(self, ctx: JobContext) -> dict[str, Any]:
        """Prune once; the counts of what went are the job's result."""
        async with ctx.db.pool.acquire() as conn:
            counts = await privacy.prune_expired(conn, self.older_than_s)
        log.info("retention: deleted %s", counts)
        return counts


async def schedule_retention(db: Database) -> None:
    """Queue a prune unless one was queued within the last PRUNE_EVERY_S."""
    if not await jobs.recently_created(db.pool, PRUNE_KEY, PRUNE_EVERY_S):
        await jobs.enqueue(db.pool, RETENTION_PRUNE, dedupe_key=PRUNE_KEY)
