"""The composition root: builds settings-driven collaborators once and hands them out.

Beside it: `bot.from_settings` (settings -> plain values) and `bot.jobs` (the background jobs);
their names are re-exported here, where commands and tests have always found them."""

from __future__ import annotations

import contextlib
import gc
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

from bot.from_settings import (
    captioner,
    image_limits,
    lyrics_themes,
    service_config,
    spotify_app,
    vision_hosts,
)
from bot.jobs import HOUR_S, add_mood_jobs, build_jobs
from bot.settings import Settings
from db import migrations
from db.pool import Database, connect
from db.search import prewarm_index
from handlers.accounts import AccountHandler
from handlers.edge.worker import default_worker_id
from handlers.inbox import DurableInbox
from handlers.metrics import Metrics
from handlers.notifier import Notifier
from handlers.pipeline import Pipeline
from handlers.secrets import SecretKeyMissing, TokenCipher
from handlers.service import DefaultBotService
from handlers.spotify.linking import SpotifyLinker
from handlers.stores import DatabaseCandidates, DatabaseCaptionCache
from handlers.throttle import VisionGate
from recsys.captioner import CachedCaptioner
from recsys.embedder import Embedder
from recsys.mood_reader import MoodReader
from recsys.recommender import Recommender

__all__ = [
    "HOUR_S",
    "Runtime",
    "add_mood_jobs",
    "build_bot_service",
    "build_inbox",
    "build_jobs",
    "build_linker",
    "build_pipeline",
    "captioner",
    "image_limits",
    "lyrics_themes",
    "open_database",
    "open_runtime",
    "preload_search_index",
    "service_config",
    "spotify_app",
    "vision_hosts",
]

log = logging.getLogger(__name__)

PAGE_BYTES = 8192  # PostgreSQL's block size, for the preload's log line


@dataclass(frozen=True)
class Runtime:
    """What a running command shares: its settings, the database and the text model."""

    settings: Settings
    db: Database
    embedder: Embedder


@contextlib.asynccontextmanager
async def open_database(settings: Settings) -> AsyncIterator[Database]:
    """The database at its newest schema, closed (and the embedded server released) on exit."""
    database = await connect(
        settings.database_url,
        settings.data_dir,
        pool_size=settings.db_pool_size,
        replica_url=settings.database_replica_url,
    )
    try:
        await migrations.ensure_schema(database.url)
        yield database
    finally:
        await database.close()


async def preload_search_index(database: Database) -> None:
    """Read the catalog's search index into the database's memory (a million tracks: a 1.2 GB
    graph), so the first answers after a start do not wait on disk reads; logged either way."""
    started = time.perf_counter()
    blocks = await prewarm_index(database.pool, database.read_pool)
    if blocks is not None:
        log.info(
            "search index preloaded: %.0f MB in %.1f s",
            blocks * PAGE_BYTES / 2**20,
            time.perf_counter() - started,
        )


def freeze_startup_heap() -> int:
    """Put what start-up built (the models, the object graph: about half a million objects)
    out of the garbage collector's reach, after one full collection, and return how many.
    Otherwise every full collection walks them all, the event loop stopped for 0.4-0.5 s on
    two cores (benchmarks/gc_pause.py): several in the first minute of answers, rarer later.
    They live as long as the process; one freed only through a reference cycle never is."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


@contextlib.asynccontextmanager
async def open_runtime(settings: Settings) -> AsyncIterator[Runtime]:
    """Database plus embedder, for commands that search or import."""
    async with open_database(settings) as database:
        embedder = Embedder(settings.embedding_model, settings.embedding_batch_size)
        try:
            yield Runtime(settings, database, embedder)
        finally:
            embedder.close()


# --- the object graph ---------------------------------------------------------------------------
def build_pipeline(
    settings: Settings, db: Database, embedder: Embedder, metrics: Metrics | None = None
) -> Pipeline:
    """The photo-to-songs pipeline: mood reader, vision hosts, cached captioner, recommender,
    all reporting to one set of metrics (a new one unless given)."""
    metrics = metrics or Metrics()
    reader = MoodReader(embedder)
    gate = VisionGate(settings.vision_concurrency, settings.queue_limit)
    metrics.watch_queue(lambda: gate.waiting, lambda: gate.in_flight)
    return Pipeline(
        CachedCaptioner(
            captioner(settings, vision_hosts(settings, metrics), reader.read),
            DatabaseCaptionCache(db.pool),
        ),
        Recommender(
            DatabaseCandidates(db.read_pool),
            embedder,
            reader,
            on_timings=metrics.observe_recommendation,
        ),
        image_limits(settings),
        gate,
        metrics,
        decode_concurrency=settings.decode_concurrency,
    )


def build_inbox(settings: Settings, db: Database, platform: str) -> DurableInbox:
    """A platform's durable inbox; with a secret key its payloads (interaction tokens, signed
    attachment links) are stored encrypted."""
    try:
        cipher: TokenCipher | None = TokenCipher(settings.secret_keys)
    except SecretKeyMissing:
        cipher = None
    return DurableInbox(db, platform, default_worker_id(), cipher=cipher)


def build_linker(settings: Settings, db: Database, notifier: Notifier) -> SpotifyLinker | None:
    """The linker, or None (with a log line saying why) when linking cannot work."""
    if not settings.spotify_client_id:
        log.info("Spotify linking is off: SPOTIFY_CLIENT_ID is not set")
        return None
    try:
        cipher = TokenCipher(settings.secret_keys)
    except SecretKeyMissing as err:
        log.warning("%s", err)
        return None
    return SpotifyLinker(db, spotify_app(settings), cipher, notifier)


def build_bot_service(
    settings: Settings, db: Database, pipeline: Pipeline, notifier: Notifier | None = None
) -> DefaultBotService:
    """The BotService the chat adapters call (without a notifier: no Spotify linking)."""
    linker = build_linker(settings, db, notifier) if notifier is not None else None
    accounts = AccountHandler(db, linker) if notifier is not None else None
    return DefaultBotService(service_config(settings), db, pipeline, accounts)
