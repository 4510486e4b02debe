"""The `features_lookup` job: asks the audio-features service about queued tracks, 40 at a time.

One job serves every listener (one dedupe key), so each track is asked once whatever number
of libraries hold it. Found features are stored as measured (`features_service`); ids the
service does not know are asked again after MISS_REASK_S. A 429 reschedules the job after the
service's Retry-After; a 5xx, a timeout or garbage fails this run and the job worker retries
it with its backoff. Each batch is committed before the next is asked, so a job stopped at
any point loses nothing and asks nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from db import jobs
from db import moods as store
from db.pool import Database
from handlers.edge.features import (
    MAX_IDS_PER_REQUEST,
    FeaturesClient,
    FeaturesRateLimited,
)
from handlers.edge.worker import JobContext, RetryLater
from handlers.library_moods import FEATURES_KEY, FEATURES_LOOKUP, MOOD_REFRESH, REFRESH_KEY
from recsys.models import TrackFeatures

log = logging.getLogger(__name__)

# A track the service did not know is asked again after this long: services add tracks over
# weeks, and asking daily would spend the shared quota on the same misses.
MISS_REASK_S = 30 * 86400.0
# Batches per run (10,000 tracks) before the job yields the worker to other kinds; the rest
# waits for the scheduler's next round.
MAX_BATCHES_PER_RUN = 250
# Pending lookups left behind (a failed run) are picked up again this often.
RESCHEDULE_EVERY_S = 3600.0

# Re-derives mood words and the embedding of tracks whose mood became measured.
Reenrich = Callable[[Sequence[int]], Awaitable[None]]


@dataclass(eq=False)
class FeaturesLookup:
    """Runs `features_lookup` jobs."""

    db: Database
    client: FeaturesClient
    reenrich: Reenrich | None = None

    async def __call__(self, ctx: JobContext) -> dict[str, Any]:
        """Ask about every due lookup, batch by batch, on one connection pool closed when the
        run ends, however it ends (a run follows a sync or comes hourly: nothing is left open
        when the process stops)."""
        done = {"asked": 0, "found": 0, "missing": 0}
        try:
            await self._ask_due(ctx, done)
        finally:
            await self.client.close()
        if done["found"]:
            await jobs.enqueue(self.db.pool, MOOD_REFRESH, {}, dedupe_key=REFRESH_KEY)
        log.info("features lookups: %s", done)
        return done

    async def _ask_due(self, ctx: JobContext, done: dict[str, int]) -> None:
        for _ in range(MAX_BATCHES_PER_RUN):
            due = await store.due_lookups(self.db.pool, MAX_IDS_PER_REQUEST)
            if not due:
                break
            try:
                found = await self.client.fetch([row["spotify_id"] for row in due])
            except FeaturesRateLimited as err:
                raise RetryLater(str(err), err.retry_after) from None
            await self._store(due, found, done)
            await ctx.save_progress(dict(done))

    async def _store(
        self, due: Sequence[Any], found: dict[str, TrackFeatures], done: dict[str, int]
    ) -> None:
        hits = [row["track_id"] for row in due if row["spotify_id"] in found]
        misses = [row["track_id"] for row in due if row["spotify_id"] not in found]
        async with self.db.pool.acquire() as conn, conn.transaction():
            measured = [{"spotify_id": sid, **asdict(f)} for sid, f in found.items()]
            await store.save_service_features(conn, measured)
            await store.drop_lookups(conn, hits)
            await store.mark_missing(conn, misses, MISS_REASK_S)
        if hits and self.reenrich is not None:
            await self.reenrich(hits)
        done["asked"] += len(due)
        done["found"] += len(hits)
        done["missing"] += len(misses)


async def schedule_features_lookups(db: Database) -> None:
    """Queue a lookup when some are due and none was queued within RESCHEDULE_EVERY_S."""
    if await store.pending_lookups(db.pool) and not await jobs.recently_created(
        db.pool, FEATURES_KEY, RESCHEDULE_EVERY_S
    ):
        await jobs.enqueue(db.pool, FEATURES_LOOKUP, {}, dedupe_key=FEATURES_KEY)
