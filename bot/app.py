"""The composition root: builds settings-driven collaborators once and hands them out."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

from bot.settings import Settings
from db import migrations
from db.pool import Database, connect
from recsys.embedder import Embedder

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
