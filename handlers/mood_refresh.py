"""The `mood_refresh` job: when real features arrive, estimated tracks are placed again.

A catalog import or an answer of the features service can measure the same song under
another id, or give an artist or a playlist more measured songs. This job keys tracks that
have no song key, copies measured twins onto unmeasured tracks (re-embedding them, since their
mood words change) and estimates every listener's blind tracks again. It only ever changes
unmeasured tracks and an estimate depends only on what is measured, so running it twice
changes nothing the second time; its progress (last track id, last listener) is saved after
each batch, so a run taken over by another worker resumes where it stopped.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from db import jobs
from db import moods as store
from db.pool import Database
from db.state import get_state, set_state
from handlers.edge.worker import JobContext
from handlers.features_lookup import Reenrich
from handlers.library_moods import MOOD_REFRESH, REFRESH_KEY, MoodPlacer

log = logging.getLogger(__name__)

# Unmeasured tracks matched per batch (one progress save each).
MATCH_BATCH = 1000
# bot_state key: when the last refresh started; measured tracks written since call for another.
REFRESHED_AT = "mood_refresh_at"


class MoodRefresh:
    """Runs `mood_refresh` jobs."""

    def __init__(self, db: Database, placer: MoodPlacer, reenrich: Reenrich | None = None) -> None:
        self.db = db
        self.placer = placer
        self.reenrich = reenrich

    async def __call__(self, ctx: JobContext) -> dict[str, Any]:
        """Key, match and estimate again, resuming from saved progress."""
        progress = dict(ctx.progress)
        if "started_at" not in progress:
            progress["started_at"] = datetime.now(UTC).isoformat()
            progress["keyed"] = await self.placer.key_tracks()
            await ctx.save_progress(progress)
        await self._match(ctx, progress)
        await self._estimate(ctx, progress)
        await set_state(self.db.pool, REFRESHED_AT, progress["started_at"])
        log.info("mood refresh: %s", progress)
        return progress

    async def _match(self, ctx: JobContext, progress: dict[str, Any]) -> None:
        after = int(progress.get("after_id", 0))
        while ids := await store.unmeasured_after(self.db.pool, after, MATCH_BATCH):
            matched = await self.placer.match(ids)
            if matched and self.reenrich is not None:
                await self.reenrich(matched)
            after = ids[-1]
            progress["after_id"] = after
            progress["matched"] = int(progress.get("matched", 0)) + len(matched)
            await ctx.save_progress(progress)

    async def _estimate(self, ctx: JobContext, progress: dict[str, Any]) -> None:
        last = int(progress.get("user_id", 0))
        for user_id in await store.estimated_users(self.db.pool):
            if user_id <= last:
                continue
            estimated = await self.placer.estimate_library(user_id)
            progress["user_id"] = user_id
            progress["estimated"] = int(progress.get("estimated", 0)) + estimated
            await ctx.save_progress(progress)


async def schedule_mood_refresh(db: Database) -> None:
    """Queue a refresh when tracks lack keys or measured tracks changed since the last one."""
    since = await get_state(db.pool, REFRESHED_AT)
    changed = await store.measured_changed_since(
        db.pool, datetime.fromisoformat(since) if since else None
    )
    if changed:
        await jobs.enqueue(db.pool, MOOD_REFRESH, {}, dedupe_key=REFRESH_KEY)
