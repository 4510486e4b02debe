"""The asyncpg pool: the embedded server or DATABASE_URL, with the vector and jsonb codecs."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
from pgvector.asyncpg import register_vector

from db.embedded import EmbeddedPostgres
from db.errors import DatabaseError, DatabaseUnavailable, PgvectorMissing
from db.outage import GuardedConnection
from db.outage import connect as guarded_connect
from db.search import QUERY_SETTINGS, SESSION_SETTINGS
from db.urls import redact_url

log = logging.getLogger(__name__)

# A query on the hot path never waits longer than this for a free connection.
ACQUIRE_TIMEOUT_S = 10.0
# The server may take a moment to come up (embedded start, container start).
CONNECT_TIMEOUT_S = 15.0


async def _init_connection(conn: asyncpg.Connection) -> None:
    """Register the codecs every pooled connection shares: vector, and jsonb as Python values."""
    await register_vector(conn)
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def ensure_pgvector(conn: asyncpg.Connection) -> str:
    """Create the vector extension if needed and return its version, or raise PgvectorMissing."""
    available = await conn.fetchval(
        "SELECT default_version FROM pg_available_extensions WHERE name = 'vector'"
    )
    if available is None:
        server = await conn.fetchval("SHOW server_version")
        raise PgvectorMissing(
            f"The PostgreSQL server (version {server}) has no pgvector extension. Install it "
            "(https://github.com/pgvector/pgvector#installation, or use the pgvector/pgvector "
            "Docker image), or unset DATABASE_URL to use the embedded server."
        )
    await conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
    version: str = await conn.fetchval(
        "SELECT extversion FROM pg_extension WHERE extname = 'vector'"
    )
    return version


@dataclass
class Database:
    """Where the data lives: the primary pool for writes, the query pool (on the replica, if
    there is one) for the answers' searches."""

    url: str
    pool: asyncpg.Pool
    read_pool: asyncpg.Pool
    embedded: EmbeddedPostgres | None = None
    pgvector_version: str = ""
    _closed: bool = field(default=False, repr=False)

    async def close(self) -> None:
        """Close the pools and release the embedded server handle."""
        if self._closed:
            return
        self._closed = True
        if self.read_pool is not self.pool:
            await self.read_pool.close()
        await self.pool.close()
        if self.embedded is not None:
            self.embedded.stop()


def resolve_url(database_url: str, data_dir: Path) -> tuple[str, EmbeddedPostgres | None]:
    """The URL to connect to, starting the embedded server when no DATABASE_URL is set."""
    if database_url:
        return database_url, None
    embedded = EmbeddedPostgres(data_dir / "pg")
    return embedded.start(), embedded


async def _nothing_to_reset(conn: asyncpg.Connection) -> None:
    """The query pool's reset, in place of asyncpg's RESET ALL, CLOSE ALL, UNLISTEN * and
    advisory unlock at every release (asyncpg still rolls back an open transaction first).
    The query pool runs db/search.py's statements and the feedback read, which leave no
    session state behind, so that round trip only delayed the answer: 0.6 ms per candidate
    search at 28k (paired, 600 searches; benchmarks/README.md, issue 20)."""


async def _create_pool(
    url: str,
    size: int,
    settings: dict[str, str],
    *,
    min_size: int = 1,
    reset: Callable[[asyncpg.Connection], Awaitable[None]] | None = None,
) -> asyncpg.Pool:
    kwargs: dict[str, Any] = {
        "min_size": min_size,
        "max_size": size,
        "timeout": CONNECT_TIMEOUT_S,
        # A restarted server leaves dead connections behind; recycle idle ones.
        "max_inactive_connection_lifetime": 60.0,
        # A lost server raises DatabaseUnavailable, from a connect or a query (db/outage.py).
        "connect": guarded_connect,
        "connection_class": GuardedConnection,
        "init": _init_connection,
        # startup parameters (db/search.py): no extra round trip, and they survive RESET ALL
        "server_settings": dict(settings),
        "reset": reset,
    }
    try:
        pool: asyncpg.Pool = await asyncpg.create_pool(url, **kwargs)
    except (DatabaseUnavailable, OSError, asyncpg.PostgresError, ValueError) as err:
        raise _cannot_connect(url, err) from None
    return pool


def _cannot_connect(url: str, err: BaseException) -> DatabaseError:
    """The error for a failed connect; it never quotes the URL's password.

    A URL that does not parse gets no detail: asyncpg's parse errors quote pieces of the
    URL, which can be pieces of the password (a '/' in it makes the rest look like a port).
    """
    if isinstance(err, ValueError):
        return DatabaseError(
            f"The database URL {redact_url(url)} cannot be read: write it as "
            "postgresql://USER:PASSWORD@HOST:PORT/DBNAME, percent-encoding special characters "
            "in the password."
        )
    return DatabaseError(f"Cannot connect to PostgreSQL at {redact_url(url)}: {err}")


async def connect(
    database_url: str, data_dir: Path, *, pool_size: int = 8, replica_url: str = ""
) -> Database:
    """Open the database: check pgvector, then build the pools with the vector codec."""
    url, embedded = resolve_url(database_url, data_dir)
    try:
        try:
            conn = await asyncpg.connect(url, timeout=CONNECT_TIMEOUT_S)
        except (OSError, asyncpg.PostgresError, TimeoutError, ValueError) as err:
            raise _cannot_connect(url, err) from None
        try:
            version = await ensure_pgvector(conn)
        finally:
            await conn.close()
        pool = await _create_pool(url, pool_size, SESSION_SETTINGS)
        # The query pool (candidates and feedback, handlers/stores.py) is its own, on the
        # replica or the primary, so its generic plans (QUERY_SETTINGS) reach no other
        # statement. On the primary it opens its first connection at its first use (the bot's
        # index prewarm at start, or a search): the worker and most commands hold none.
        read_pool = await _create_pool(
            replica_url or url,
            pool_size,
            QUERY_SETTINGS,
            min_size=1 if replica_url else 0,
            reset=_nothing_to_reset,
        )
    except BaseException:
        if embedded is not None:
            embedded.stop()
        raise
    log.info(
        "database ready (pgvector %s)%s", version, " with a read replica" if replica_url else ""
    )
    return Database(url, pool, read_pool, embedded, version)
