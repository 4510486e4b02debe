"""Shared fixtures: a real embedded PostgreSQL with pgvector, the real embedder, shared data."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from db import migrations
from db.pool import Database, connect
from handlers.stores import DatabaseCandidates
from recsys.embedder import Embedder
from recsys.mood_reader import MoodReader
from recsys.recommender import Recommender
from support.bot_process import imported_data_dir
from support.catalog_fixture import fresh_catalog
from support.fakes.fake_ollama import STRUCTURED_ANSWERS, FakeOllama
from support.fakes.fake_spotify import FakeSpotify
from support.fakes.fake_telegram import FakeTelegram
from support.fakes.telegram_bot import VisionStack, real_service_bot, vision_stack
from support.own_database import own_database

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

# Tests never read the developer's own .env or data directory.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
# Two xdist workers on two cores: a torch each with one thread (read when torch loads, and by
# the workers' child processes). Two threads each made both wait on each other: 1,500 texts
# took 47-83 s to embed on a busy machine against 29-32 s with one.
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ.setdefault("OMP_NUM_THREADS", "1")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Files holding the longest test run first, then files holding a slow test, so that two
    workers (scripts/test.sh) end together.

    The sort is stable: a file's tests stay together and in their written order.
    """
    longest = {item.path for item in items if item.get_closest_marker("longest")}
    slow_files = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: (item.path not in longest, item.path not in slow_files))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data, or a skip with the reason when it is absent."""
    if not (SHARED_DATA / "trending_catalog.csv").exists():
        pytest.skip(f"needs the real data in {SHARED_DATA}, which is absent")
    return SHARED_DATA


@pytest.fixture(scope="session")
def data_dir() -> Iterator[Path]:
    """A short-lived data directory; short because Unix socket paths are limited to ~107 bytes."""
    path = Path(tempfile.mkdtemp(prefix="mlt-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
async def database(data_dir: Path) -> AsyncIterator[Database]:
    """The real PostgreSQL (embedded, or MELODICLENS_TEST_DATABASE_URL), migrated to head."""
    url = os.environ.get("MELODICLENS_TEST_DATABASE_URL", "")
    database = await connect(url, data_dir, pool_size=6)
    await migrations.upgrade(database.url)
    yield database
    await database.close()


USER_TABLES = """
SELECT string_agg(format('%I', tablename), ', ')
FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'
"""


@pytest.fixture
async def db(database: Database) -> Database:
    """The database with every table emptied before the test."""
    async with database.pool.acquire() as conn:
        tables = await conn.fetchval(USER_TABLES)
        if tables:
            await conn.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    return database


@pytest.fixture(scope="session")
def embedder() -> Iterator[Embedder]:
    """The real all-MiniLM-L6-v2 embedder, loaded once for the whole run."""
    model = Embedder()
    model.warm()
    yield model
    model.close()


@pytest.fixture(scope="module")
async def catalog(
    database: Database, embedder: Embedder, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, int]:
    """The fictional catalog alone (title -> track id), imported once for the module."""
    return await fresh_catalog(database, embedder, tmp_path_factory.mktemp("catalog"))


@pytest.fixture(scope="module")
def recommender(database: Database, embedder: Embedder) -> Recommender:
    """The real recommender on the read pool, its mood reader warmed."""
    reader = MoodReader(embedder)
    reader.warm()
    return Recommender(DatabaseCandidates(database.read_pool), embedder, reader)


@pytest.fixture
async def own_server() -> AsyncIterator[Database]:
    """A PostgreSQL of the test's own, so stopping or restarting it disturbs no other test."""
    async with own_database("mlo-") as database:
        yield database


@pytest.fixture(scope="module")
def process_data_dir() -> Iterator[Path]:
    """A data directory of the module's own with the fictional catalog imported, for a bot run
    as its own process."""
    with imported_data_dir("mlp-") as path:
        yield path


@pytest.fixture
async def fake_ollama() -> AsyncIterator[FakeOllama]:
    """A fake Ollama with the default model pulled (it sees a misty lake unless told otherwise)."""
    async with FakeOllama() as fake:
        yield fake


@pytest.fixture
async def fake_spotify() -> AsyncIterator[FakeSpotify]:
    """A fake Spotify (accounts service and Web API) with no listener added."""
    async with FakeSpotify() as fake:
        yield fake


@pytest.fixture
async def party_fakes(
    request: pytest.FixtureRequest,
) -> AsyncIterator[tuple[FakeTelegram, FakeOllama]]:
    """A fake Bot API, and a fake Ollama that sees every photo as a party after the module's
    VISION_DELAY_S (long enough for a signal to land while an answer is in flight; none if the
    module names none)."""
    delay_s = getattr(request.module, "VISION_DELAY_S", 0.0)
    async with (
        FakeTelegram() as telegram,
        FakeOllama(reply=STRUCTURED_ANSWERS["party"], delay_s=delay_s) as ollama,
    ):
        yield telegram, ollama


@pytest.fixture(scope="module")
async def stack(
    catalog: dict[str, int], database: Database, embedder: Embedder, request: pytest.FixtureRequest
) -> AsyncIterator[VisionStack]:
    """The module's fictional catalog, a fake Ollama that sees every photo as the module's
    VISION_ANSWER (a key of STRUCTURED_ANSWERS), and the real pipeline asking it."""
    async with vision_stack(database, embedder, request.module.VISION_ANSWER) as stack:
        yield stack


@pytest.fixture
async def telegram(database: Database, stack: VisionStack) -> AsyncIterator[FakeTelegram]:
    """The real service behind the Telegram adapter (answers of three songs), on a fresh fake
    Bot API (a bare one is `fake_telegram`)."""
    env = {"OLLAMA_HOST": stack.ollama.url, "MELODICLENS_TOP_N": "3"}
    async with real_service_bot(database, stack.pipeline, **env) as server:
        yield server


@pytest.fixture
async def fake_telegram() -> AsyncIterator[FakeTelegram]:
    """A bare fake Bot API, with no bot running against it."""
    async with FakeTelegram() as fake:
        yield fake
