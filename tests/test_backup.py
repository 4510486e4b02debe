"""`melodiclens db backup`: a real pg_dump of the real embedded PostgreSQL that pg_restore reads."""

from __future__ import annotations

import stat
import subprocess
from pathlib import Path

import asyncpg
import pytest

from bot.cli.errors import CommandError
from bot.cli.main import build_parser
from bot.settings import load_settings
from db import jobs
from db.backup import pg_tool, without_password
from db.errors import DatabaseError
from db.pool import Database


def read_archive(archive: Path, *options: str) -> str:
    """What pg_restore prints about (or from) an archive."""
    command = [pg_tool("pg_restore"), *options, str(archive)]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


async def test_backup_holds_the_schema_and_the_rows(
    db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await jobs.enqueue(db.pool, "noop", {"kept": "in the backup"})
    target = tmp_path / "melodiclens.dump"
    args = build_parser().parse_args(["db", "backup", str(target)])
    assert await args.handler(load_settings(None, DATABASE_URL=db.url), args) == 0
    assert f"wrote {target}" in capsys.readouterr().out
    listing = read_archive(target, "--list")
    assert "TABLE public jobs" in listing and "TABLE public tracks" in listing
    assert "in the backup" in read_archive(target, "--data-only", "--table=jobs", "--file=-")


async def test_backup_failure_is_one_sentence(db: Database, tmp_path: Path) -> None:
    # A folder where the archive should go: pg_dump itself cannot write it.
    args = build_parser().parse_args(["db", "backup", str(tmp_path)])
    with pytest.raises(DatabaseError, match="pg_dump failed"):
        await args.handler(load_settings(None, DATABASE_URL=db.url), args)


async def test_a_backup_into_a_missing_folder_is_refused_before_the_database(
    tmp_path: Path,
) -> None:
    args = build_parser().parse_args(["db", "backup", str(tmp_path / "missing-dir" / "x.dump")])
    settings = load_settings(None, DATABASE_URL="postgresql://nobody@127.0.0.1:1/none")
    with pytest.raises(CommandError, match="there is no folder"):
        await args.handler(settings, args)


SOCKET_URL = "postgresql://postgres@/postgres?host=/tmp/x/pg"


@pytest.mark.parametrize(
    ("given", "url", "env"),
    [
        (
            "postgresql://bot:s%40cret@db.internal:5433/melodiclens?sslmode=require",
            "postgresql://bot@db.internal:5433/melodiclens?sslmode=require",
            {"PGPASSWORD": "s@cret"},
        ),
        (
            "postgresql://bot@db.internal/melodiclens?sslmode=require&password=hunter2&host=/tmp/x",
            "postgresql://bot@db.internal/melodiclens?sslmode=require&host=/tmp/x",
            {"PGPASSWORD": "hunter2"},
        ),
        ("postgresql://postgres:@/postgres?host=/tmp/x/pg", SOCKET_URL, {"PGPASSWORD": ""}),
        (SOCKET_URL, SOCKET_URL, {}),
    ],
    ids=["in the user part", "in the query", "empty", "none"],
)
def test_a_password_never_reaches_the_command_line(
    given: str, url: str, env: dict[str, str]
) -> None:
    assert without_password(given) == (url, env)


async def test_restore_puts_the_backup_back(
    db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kept, _ = await jobs.enqueue(db.pool, "noop", {"n": 1})
    target = tmp_path / "before.dump"
    settings = load_settings(None, DATABASE_URL=db.url)
    args = build_parser().parse_args(["db", "backup", str(target)])
    await args.handler(settings, args)
    # The way back is named with the project's own command.
    assert f"restore with `melodiclens db restore {target} --yes`" in capsys.readouterr().out
    later, _ = await jobs.enqueue(db.pool, "noop", {"n": 2})

    refused = build_parser().parse_args(["db", "restore", str(target)])
    with pytest.raises(CommandError, match="--yes"):
        await refused.handler(settings, refused)
    assert await db.pool.fetchval("SELECT count(*) FROM jobs") == 2

    # As with the bot stopped: no other session (and none of its temp tables) is left. A
    # fresh connection ends every pooled one, waiting (up to 5 s each) until each is gone.
    closer = await asyncpg.connect(db.url)
    try:
        await closer.execute(
            """SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid()"""
        )
    finally:
        await closer.close()
    await db.pool.expire_connections()
    await db.read_pool.expire_connections()
    restore = build_parser().parse_args(["db", "restore", str(target), "--yes"])
    assert await restore.handler(settings, restore) == 0
    # The extension was made anew: connections must register pgvector's new type ids.
    await db.pool.expire_connections()
    await db.read_pool.expire_connections()
    assert [r["id"] for r in await db.pool.fetch("SELECT id FROM jobs")] == [kept]
    assert later != kept
    missing = build_parser().parse_args(["db", "restore", str(tmp_path / "nope.dump"), "--yes"])
    # Refused before the database is touched.
    with pytest.raises(CommandError, match=r"nope\.dump: no such file"):
        await missing.handler(settings, missing)


async def test_a_backup_is_readable_by_its_owner_only(db: Database, tmp_path: Path) -> None:
    # The embedded server trusts local connections, so the password is carried and ignored.
    url = db.url + ("&" if "?" in db.url else "?") + "password=hunter2"
    target = tmp_path / "melodiclens.dump"
    target.write_bytes(b"an older backup, world-readable")
    target.chmod(0o644)
    args = build_parser().parse_args(["db", "backup", str(target)])
    assert await args.handler(load_settings(None, DATABASE_URL=url), args) == 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert "TABLE public jobs" in read_archive(target, "--list")
