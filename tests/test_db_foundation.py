"""The database foundation on the real embedded PostgreSQL: migrations, sharing, pgvector checks."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import numpy as np
import pytest

from db import migrations
from db.errors import PgvectorMissing
from db.pool import Database, connect

ROOT = Path(__file__).resolve().parent.parent
# Tables the schema must create (the lead's revisions may add more).
CORE_TABLES = {
    "tracks",
    "trending_entries",
    "chat_users",
    "chats",
    "chat_members",
    "spotify_links",
    "oauth_states",
    "library_entries",
    "caption_cache",
    "lyrics_cache",
    "recommendations",
    "recommendation_tracks",
    "feedback",
    "jobs",
}
# The stopping server removes postmaster.pid; on a loaded machine that can take a few seconds.
SERVER_STOP_WAIT_S = 20.0
SUBPROCESS_TIMEOUT_S = 300

FreshDatabase = Callable[[str], Awaitable[str]]


def other_database(url: str, name: str) -> str:
    """The URL of database `name` on the same server."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


@pytest.fixture
async def fresh_database(database: Database) -> AsyncIterator[FreshDatabase]:
    """Makes empty throwaway databases on the test server; drops them afterwards."""
    made: list[str] = []

    async def make(name: str) -> str:
        async with database.pool.acquire() as conn:
            await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            await conn.execute(f"CREATE DATABASE {name}")
        made.append(name)
        return other_database(database.url, name)

    yield make
    async with database.pool.acquire() as conn:
        for name in made:
            await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


async def user_tables(url: str) -> set[str]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> 'alembic_version'"
        )
    finally:
        await conn.close()
    return {row["tablename"] for row in rows}


async def test_migrations_go_up_down_to_base_and_up_again(fresh_database: FreshDatabase) -> None:
    url = await fresh_database("mlt_migrations")
    assert await migrations.current_revision(url) is None

    await migrations.upgrade(url)
    assert await migrations.current_revision(url) == migrations.head_revision()
    tables = await user_tables(url)
    assert tables >= CORE_TABLES

    await migrations.downgrade(url, "base")
    assert await migrations.current_revision(url) is None
    assert await user_tables(url) == set()

    await migrations.upgrade(url)
    assert await user_tables(url) == tables
    # the schema works again: a track with a 384-d embedding is stored and searchable
    database = await connect(url, Path("/nonexistent"), pool_size=1)
    try:
        async with database.pool.acquire() as conn:
            vector = np.ones(384, dtype=np.float32) / np.sqrt(384)
            await conn.execute(
                "INSERT INTO tracks (spotify_id, title, embedding) VALUES ($1, $2, $3)",
                "FixtureSeedTrack000001",
                "Round Trip",
                vector,
            )
            nearest = await conn.fetchval(
                "SELECT title FROM tracks ORDER BY embedding <=> $1 LIMIT 1", vector
            )
    finally:
        await database.close()
    assert nearest == "Round Trip"


async def test_server_without_pgvector_gives_the_clear_error(
    fresh_database: FreshDatabase, data_dir: Path
) -> None:
    url = await fresh_database("mlt_no_pgvector")
    admin = await asyncpg.connect(url)
    try:
        # PostgreSQL 18 looks for extensions only where this says: nowhere, for this database.
        await admin.execute(
            "ALTER DATABASE mlt_no_pgvector SET extension_control_path = '/nonexistent'"
        )
    finally:
        await admin.close()
    with pytest.raises(PgvectorMissing) as caught:
        await connect(url, data_dir, pool_size=1)
    message = str(caught.value)
    assert "no pgvector extension" in message
    assert "unset DATABASE_URL" in message  # tells the operator the way out


# Joins the embedded server in argv[1], queries, waits for a line on stdin, queries again.
SECOND_PROCESS = """
import asyncio, sys
from pathlib import Path
from db.pool import connect

async def main():
    database = await connect("", Path(sys.argv[1]), pool_size=1)
    started = await database.pool.fetchval("SELECT pg_postmaster_start_time()::text")
    print("ready", started, flush=True)
    await asyncio.to_thread(sys.stdin.readline)
    print("still", await database.pool.fetchval("SELECT 40 + 2"), flush=True)
    await database.close()

asyncio.run(main())
"""


@pytest.fixture
def own_data_dir() -> Iterator[Path]:
    """A data directory of the test's own (short: Unix socket paths are limited)."""
    path = Path(tempfile.mkdtemp(prefix="mls-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(MELODICLENS_DATA_DIR=str(data_dir), HF_HUB_OFFLINE="1")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def _server_stopped(pid_file: Path) -> bool:
    """Whether postmaster.pid disappears (the server stopped) within SERVER_STOP_WAIT_S."""
    deadline = time.monotonic() + SERVER_STOP_WAIT_S
    while pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    return not pid_file.exists()


async def test_second_process_shares_the_embedded_server(own_data_dir: Path) -> None:
    first = await connect("", own_data_dir, pool_size=1)
    started = await first.pool.fetchval("SELECT pg_postmaster_start_time()::text")
    second = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        SECOND_PROCESS,
        str(own_data_dir),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        env=_env(own_data_dir),
        cwd=own_data_dir,
    )
    assert second.stdin is not None and second.stdout is not None
    try:
        ready = await asyncio.wait_for(second.stdout.readline(), SUBPROCESS_TIMEOUT_S)
        assert ready.decode().split(" ", 1) == ["ready", f"{started}\n"]  # one server, shared

        await first.close()  # the first process lets go; the server stays for the second
        pid_file = own_data_dir / "pg" / "postmaster.pid"
        assert pid_file.exists()
        second.stdin.write(b"go\n")
        await second.stdin.drain()
        still = await asyncio.wait_for(second.stdout.readline(), SUBPROCESS_TIMEOUT_S)
        assert still == b"still 42\n"
        assert await asyncio.wait_for(second.wait(), SUBPROCESS_TIMEOUT_S) == 0
    finally:
        if second.returncode is None:
            second.kill()
            await second.wait()
        await first.close()
    stopped = await asyncio.to_thread(_server_stopped, pid_file)
    assert stopped, "the last process to leave did not stop the server"


def run_cli(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    code = "import sys; from bot.cli import main; sys.exit(main())"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=data_dir,  # no developer .env is read from here
        env=_env(data_dir),
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT_S,
    )


@pytest.mark.slow
def test_db_commands_upgrade_report_and_downgrade(own_data_dir: Path) -> None:
    head = migrations.head_revision()
    upgrade = run_cli("db", "upgrade", data_dir=own_data_dir)
    assert upgrade.returncode == 0, upgrade.stderr
    assert upgrade.stdout.strip() == f"schema at {head}"

    current = run_cli("db", "current", data_dir=own_data_dir)
    assert current.stdout.strip() == f"{head} (newest: {head})"

    downgrade = run_cli("db", "downgrade", "base", data_dir=own_data_dir)
    assert downgrade.returncode == 0, downgrade.stderr
    assert downgrade.stdout.strip() == "schema at base"

    after = run_cli("db", "current", data_dir=own_data_dir)
    assert after.stdout.strip() == f"base (newest: {head})"
    # every command released its handle: the server is not left running
    assert not (own_data_dir / "pg" / "postmaster.pid").exists()
