"""The database layer's own exception types; adapters turn them into friendly replies."""

from __future__ import annotations

import asyncpg


class DatabaseError(Exception):
    """The database cannot be reached or is not usable; the message says what to do."""


class PgvectorMissing(DatabaseError):
    """The server has no pgvector extension available."""


# Errors that mean "the database is not there right now" (restart, network, full pool); the one
# tuple callers catch to answer "try again in a minute". TimeoutError is an OSError.
DB_UNAVAILABLE: tuple[type[Exception], ...] = (
    DatabaseError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    OSError,
)
