"""The composition root: builds settings-driven collaborators once and hands them out."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from functools import partial

from bot.settings import Settings
from db import migrations
from db import moods as mood_store
from db.pool import Database, connect
from db.search import prewarm_index
from handlers.accounts import AccountHandler
from handlers.edge.features import FeaturesClient
from handlers.edge.genius import make_genius
from handlers.edge.spotify import SpotifyApp
from handlers.edge.worker import NOOP, JobHandler, Scheduler, default_worker_id, noop
from handlers.features_lookup import FeaturesLookup, schedule_features_lookups
from handlers.inbox import DurableInbox
from handlers.library_moods import FEATURES_LOOKUP, MOOD_REFRESH, MoodPlacer
from handlers.metrics import Metrics
from handlers.mood_refresh import MoodRefresh, schedule_mood_refresh
from handlers.notifier import Notifier
from handlers.pipeline import Pipeline
from handlers.retention import RETENTION_PRUNE, RetentionPrune, schedule_retention
from handlers.secrets import SecretKeyMissing, TokenCipher
from handlers.service import DefaultBotService, ServiceConfig
from handlers.spotify.linking import LIBRARY_SYNC, SpotifyLinker
from handlers.spotify.lyrics import LyricsThemes
from handlers.spotify.sync import LibrarySync, schedule_library_refresh
from handlers.spotify.tracks import TrackStore
from handlers.spotify.trending import (
    TRENDING_SYNC,
    TrendingSync,
    playlist_sources,
    schedule_trending,
)
from handlers.stores import DatabaseCandidates, DatabaseCaptionCache
from handlers.throttle import VisionGate
from recsys.captioner import CachedCaptioner, Captioner, ProseReader
from recsys.embedder import Embedder
from recsys.enrichment import TrackEnricher
from recsys.image_intake import ImageLimits
from recsys.mood_reader import MoodReader
from recsys.recommender import Recommender
from recsys.themes import ThemeTagger
from recsys.vision_hosts import VisionHostPool

log = logging.getLogger(__name__)

# The refresh settings are in hours; the schedulers count seconds.
HOUR_S = 3600.0
PAGE_BYTES = 8192  # PostgreSQL's block size, for the preload's log line


@dataclass
class Services:
    """What commands and adapters share: the database and the models."""

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


@contextlib.asynccontextmanager
async def open_services(settings: Settings) -> AsyncIterator[Services]:
    """Database plus embedder, for commands that search or import."""
    async with open_database(settings) as database:
        embedder = Embedder(settings.embedding_model, settings.embedding_batch_size)
        try:
            yield Services(settings, database, embedder)
        finally:
            embedder.close()


# --- settings -> plain values for the inner layers --------------------------------------------
def vision_hosts(settings: Settings, metrics: Metrics | None = None) -> VisionHostPool:
    """The pool for the configured OLLAMA_HOST list (its calls counted in `metrics`)."""
    hosts = VisionHostPool(
        settings.ollama_hosts,
        timeout_s=settings.vision_timeout_s,
        rest_s=settings.vision_host_rest_s,
        on_call=metrics.count_vision_call if metrics is not None else None,
    )
    if metrics is not None:
        metrics.watch_hosts(hosts.urls)
    return hosts


def captioner(settings: Settings, hosts: VisionHostPool, prose_reader: ProseReader) -> Captioner:
    """A captioner for the configured model, timeout and context size."""
    return Captioner(
        hosts,
        settings.vision_model,
        timeout_s=settings.vision_timeout_s,
        num_ctx=settings.vision_num_ctx,
        prose_reader=prose_reader,
    )


def image_limits(settings: Settings) -> ImageLimits:
    """The intake limits configured in settings."""
    return ImageLimits(
        max_bytes=settings.max_image_bytes,
        max_pixels=settings.max_image_pixels,
        min_side=settings.min_image_side,
        vision_side=settings.vision_image_side,
    )


def spotify_app(settings: Settings) -> SpotifyApp:
    """The Spotify app as configured."""
    secret = settings.spotify_client_secret
    return SpotifyApp(
        settings.spotify_client_id,
        secret.get_secret_value() if secret else None,
        settings.spotify_redirect_uri,
        settings.spotify_accounts_url,
        settings.spotify_api_url,
    )


def lyrics_themes(settings: Settings, db: Database, embedder: Embedder) -> LyricsThemes | None:
    """Lyrics themes through Genius, or None when GENIUS_TOKEN is not set."""
    if settings.genius_token is None:
        return None
    genius = make_genius(settings.genius_token.get_secret_value())
    return LyricsThemes(db, genius, ThemeTagger(embedder), embedder)


def service_config(settings: Settings) -> ServiceConfig:
    """What the chat use cases need from the settings."""
    return ServiceConfig(top_n=settings.top_n, rate_limit_per_minute=settings.rate_limit_per_minute)


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


def add_mood_jobs(
    settings: Settings,
    db: Database,
    tracks: TrackStore,
    handlers: dict[str, JobHandler],
    schedulers: list[Scheduler],
) -> MoodPlacer:
    """The library-mood jobs (docs/library_mood.md); the features service only when set."""

    async def reenrich(track_ids: Sequence[int]) -> None:
        await tracks.reenrich(await mood_store.tracks_by_ids(db.pool, track_ids), {})

    placer = MoodPlacer(
        db, features_on=bool(settings.features_url), embedder=tracks.enricher.embedder
    )
    handlers[MOOD_REFRESH] = MoodRefresh(db, placer, reenrich)
    schedulers.append(schedule_mood_refresh)
    if settings.features_url:
        client = FeaturesClient(settings.features_url)
        handlers[FEATURES_LOOKUP] = FeaturesLookup(db, client, reenrich)
        schedulers.append(schedule_features_lookups)
    return placer


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
    moods = add_mood_jobs(settings, db, tracks, handlers, schedulers)
    try:
        cipher = TokenCipher(settings.secret_keys)
    except SecretKeyMissing as err:
        log.warning("%s", err)
    else:
        lyrics = lyrics_themes(settings, db, embedder)
        handlers[LIBRARY_SYNC] = LibrarySync(db, app, cipher, tracks, notifier, lyrics, moods)
        schedulers.append(
            partial(schedule_library_refresh, every_s=settings.library_refresh_hours * HOUR_S)
        )
    sources = playlist_sources(app, settings.spotify_trending_playlists)
    if sources:
        handlers[TRENDING_SYNC] = TrendingSync(db, sources, tracks)
        schedulers.append(
            partial(schedule_trending, every_s=settings.trending_refresh_hours * HOUR_S)
        )
    return handlers, tuple(schedulers)
