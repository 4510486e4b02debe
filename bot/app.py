"""The composition root: builds settings-driven collaborators once and hands them out."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

from bot.settings import Settings
from db import migrations
from db.pool import Database, connect
from handlers.accounts import AccountHandler
from handlers.bot_service import Handlers
from handlers.load import VisionGate
from handlers.notifier import Notifier
from handlers.pipeline import Pipeline
from recsys.captioner import CachedCaptioner, Captioner
from recsys.embedder import Embedder
from recsys.image_intake import ImageLimits
from recsys.mood_reader import MoodReader
from recsys.recommender import Recommender
from recsys.vision_hosts import VisionHostPool

log = logging.getLogger(__name__)


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


@contextlib.asynccontextmanager
async def open_services(settings: Settings) -> AsyncIterator[Services]:
    """Database plus embedder, for commands that search or import."""
    async with open_database(settings) as database:
        embedder = Embedder(settings.embedding_model, settings.embedding_batch_size)
        try:
            yield Services(settings, database, embedder)
        finally:
            embedder.close()


def build_pipeline(settings: Settings, db: Database, embedder: Embedder) -> Pipeline:
    """The photo-to-songs pipeline: mood reader, vision hosts, cached captioner, recommender."""
    reader = MoodReader(embedder)
    hosts = VisionHostPool.from_settings(settings)
    captioner = Captioner.from_settings(settings, hosts, reader.read)
    return Pipeline(
        db,
        CachedCaptioner(captioner, db.pool),
        Recommender(db.read_pool, embedder, reader),
        ImageLimits.from_settings(settings),
        VisionGate(settings.vision_concurrency, settings.queue_limit),
        decode_concurrency=settings.decode_concurrency,
    )


def build_handlers(
    settings: Settings, db: Database, pipeline: Pipeline, notifier: Notifier
) -> Handlers:
    """The BotService the chat adapters call."""
    return Handlers(settings, db, pipeline, AccountHandler(db, settings, notifier))
