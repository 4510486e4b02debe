"""`melodiclens worker`: runs background jobs (library syncs, trending refreshes) until stopped.

Start as many as you like, on one machine or several: they share the job table safely.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
from functools import partial
from typing import Any

from bot.app import lyrics_themes, open_services, spotify_app
from bot.settings import Settings
from db.pool import Database
from handlers.edge.worker import JobContext, JobHandler, Scheduler, Worker
from handlers.notifier import LogNotifier, Notifier
from handlers.retention import RETENTION_PRUNE, RetentionPrune, schedule_retention
from handlers.secrets import SecretKeyMissing, TokenCipher
from handlers.spotify.linking import LIBRARY_SYNC
from handlers.spotify.sync import LibrarySync, schedule_library_refresh
from handlers.spotify.tracks import TrackStore
from handlers.spotify.trending import (
    TRENDING_SYNC,
    TrendingSync,
    schedule_trending,
    sources_from_settings,
)
from recsys.embedder import Embedder
from recsys.enrichment import TrackEnricher

log = logging.getLogger(__name__)

NOOP = "noop"
HOUR_S = 3600.0


def register(subparsers: Any) -> None:
    """Add the `worker` subcommand."""
    parser = subparsers.add_parser("worker", help="run background jobs (library sync, trending)")
    parser.add_argument(
        "--once", action="store_true", help="run the jobs that are due now, then exit"
    )
    parser.set_defaults(handler=run_worker)


async def noop(ctx: JobContext) -> dict[str, Any]:
    """A job that only says who ran it: checks that workers are alive and claim fairly."""
    delay = float(ctx.job.payload.get("sleep_s", 0))
    if delay:
        await asyncio.sleep(delay)
    log.info("noop job %s ran in pid %s", ctx.job.id, os.getpid())
    return {"pid": os.getpid(), "worker": ctx.worker_id}


def build_jobs(
    settings: Settings, db: Database, embedder: Embedder, notifier: Notifier
) -> tuple[dict[str, JobHandler], tuple[Scheduler, ...]]:
    """The job handlers and schedulers this configuration supports."""
    handlers: dict[str, JobHandler] = {
        NOOP: noop,
        RETENTION_PRUNE: RetentionPrune(settings.retention_days),
    }
    schedulers: list[Scheduler] = [schedule_retention]
    if not settings.spotify_client_id:
        log.info("no SPOTIFY_CLIENT_ID: Spotify jobs are off")
        return handlers, tuple(schedulers)
    app = spotify_app(settings)
    tracks = TrackStore(db, TrackEnricher(embedder))
    try:
        cipher = TokenCipher(settings.secret_keys)
    except SecretKeyMissing as err:
        log.warning("%s", err)
    else:
        lyrics = lyrics_themes(settings, db, embedder)
        handlers[LIBRARY_SYNC] = LibrarySync(db, app, cipher, tracks, notifier, lyrics)
        schedulers.append(
            partial(schedule_library_refresh, every_s=settings.library_refresh_hours * HOUR_S)
        )
    sources = sources_from_settings(app, settings.spotify_trending_playlists)
    if sources:
        handlers[TRENDING_SYNC] = TrendingSync(db, sources, tracks)
        schedulers.append(
            partial(schedule_trending, every_s=settings.trending_refresh_hours * HOUR_S)
        )
    return handlers, tuple(schedulers)


async def run_worker(settings: Settings, args: argparse.Namespace) -> int:
    """Run jobs until SIGINT/SIGTERM (or, with --once, until none is due)."""
    async with open_services(settings) as services:
        handlers, schedulers = build_jobs(settings, services.db, services.embedder, LogNotifier())
        worker = Worker(services.db, handlers, schedulers=schedulers)
        if args.once:
            count = await worker.drain()
            log.info("worker %s ran %d jobs", worker.worker_id, count)
            return 0
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, worker.stop)
        log.info("worker %s running: %s", worker.worker_id, ", ".join(sorted(handlers)))
        await worker.run()
    return 0
