"""The real 28k catalog (../shared/data) imported whole, twice. Its own file, marked
`longest`, so one test worker starts it first while the other takes everything else
(tests/conftest.py orders the files)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from db import migrations, tracks
from db.pool import Database, connect
from handlers.catalog_import import ImportSummary
from recsys.catalog_csv import SKIP_MISSING_NAME
from recsys.embedder import Embedder
from tests.test_catalog_import import run_import

pytestmark = pytest.mark.longest

FULL_CATALOG_ROWS = 28_451
FULL_CATALOG_SKIPPED = {SKIP_MISSING_NAME: 10}


@dataclass(frozen=True)
class FullImport:
    first: ImportSummary
    second: ImportSummary
    stored: int
    distinct: int
    trending: int


def other_database(url: str, name: str) -> str:
    """The URL of database `name` on the same server."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


@pytest.fixture(scope="module")
async def full_import(
    shared_data: Path, database: Database, embedder: Embedder, data_dir: Path
) -> AsyncIterator[FullImport]:
    """The whole seed catalog imported twice into a database of its own (run once, ~2 min)."""
    async with database.pool.acquire() as conn:
        await conn.execute("DROP DATABASE IF EXISTS full_import WITH (FORCE)")
        await conn.execute("CREATE DATABASE full_import")
    target = await connect(other_database(database.url, "full_import"), data_dir, pool_size=4)
    try:
        await migrations.upgrade(target.url)
        path = shared_data / "trending_catalog.csv"
        first = await run_import(target, embedder, path, source="seed")
        second = await run_import(target, embedder, path, source="seed")
        async with target.pool.acquire() as conn:
            stored = await tracks.count_tracks(conn, in_catalog=True)
            distinct = await conn.fetchval("SELECT count(DISTINCT spotify_id) FROM tracks")
            trending = await conn.fetchval("SELECT count(*) FROM trending_entries")
        yield FullImport(first, second, stored, distinct, trending)
    finally:
        await target.close()
        async with database.pool.acquire() as conn:
            await conn.execute("DROP DATABASE IF EXISTS full_import WITH (FORCE)")


@pytest.mark.slow
@pytest.mark.shared_data
async def test_full_catalog_imports_every_valid_row(full_import: FullImport) -> None:
    first = full_import.first
    assert first.rows == FULL_CATALOG_ROWS
    assert first.skipped == FULL_CATALOG_SKIPPED
    valid = FULL_CATALOG_ROWS - sum(FULL_CATALOG_SKIPPED.values())
    assert (first.imported, first.updated, first.embedded) == (valid, 0, valid)
    assert full_import.stored == full_import.distinct == valid
    assert full_import.trending == valid


@pytest.mark.slow
@pytest.mark.shared_data
async def test_full_catalog_second_import_changes_nothing(full_import: FullImport) -> None:
    second = full_import.second
    assert (second.imported, second.updated, second.embedded) == (0, 0, 0)
    assert second.unchanged == full_import.first.imported
    assert second.skipped == FULL_CATALOG_SKIPPED
    # nothing to embed: the re-import is a read and a compare
    assert second.seconds < full_import.first.seconds / 5
