"""The database layer's own exception types; adapters turn them into friendly replies."""

from __future__ import annotations

import asyncpg
from asyncpg.exceptions import AdminShutdownError, CannotConnectNowError, CrashShutdownError


class DatabaseError(Exception):
    """The database cannot be reached or is not usable; the message says what to do."""


class PgvectorMissing(DatabaseError):
    """The server has no pgvector extension available."""


class DatabaseUnavailable(DatabaseError):
    """The database is not there right now (a restart, the network, a failover): the one error
    callers catch to answer "try again in a minute". The pool (db/pool.py) raises it for a
    connect that fails and for a connection lost during a query, so an OSError from anything
    else (a file, another server) is never taken for it."""


# What asyncpg raises when the server went away (rather than a query being wrong): a lost or
# refused connection, and a server shutting down, crashing or still starting.
CONNECTION_LOST: tuple[type[Exception], ...] = (
    asyncpg.PostgresConnectionError,
    AdminShutdownError,
    CrashShutdownError,
    CannotConnectNowError,
    OSError,  # raised by the socket itself; TimeoutError (a connect timeout) is one too
)


def describe(err: BaseException) -> str:
    """The error's type and message, for logs, health and the jobs table."""
    return f"{type(err).__name__}: {err}"
