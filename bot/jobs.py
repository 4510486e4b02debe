"""The background jobs a configuration supports: their handlers and schedulers, for the worker."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import partial

from bot.from_settings import lyrics_themes, spotify_app
from bot.settings import Settings
from db import moods as mood_store
from db.pool import Database
from handlers.edge.features import FeaturesClient
from handlers.edge.worker import NOOP, JobHandler, Scheduler, noop
from handlers.features_lookup import FeaturesLookup, schedule_features_lookups
from handlers.library_moods import FEATURES_LOOKUP, MOOD_REFRESH, MoodPlacer
from handlers.mood_refresh import MoodRefresh, schedule_mood_refresh
from handlers.notifier import Notifier
from handlers.retention import RETENTION_PRUNE, RetentionPrune, schedule_retention
from handlers.secrets import SecretKeyMissing, TokenCipher
from handlers.spotify.linking import LIBRARY_SYNC
from handlers.spotify.sync import LibrarySync, schedule_library_refresh
from handlers.spotify.tracks import TrackStore
from handlers.spotify.trending import (
    TRENDING_SYNC,
    TrendingSync,
    playlist_sources,
    schedule_trending,
)
from recsys.embedder import Embedder
from recsys.enrichment import TrackEnricher

log = logging.getLogger(__name__)

# The refresh settings are in hours; the schedulers count seconds.
HOUR_S = 3600.0


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
        handlers[LIBRARY_SYNC] = LibrarySync(db, app, cipher, tracks, notifier, moods, lyrics)
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
