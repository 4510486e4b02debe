"""The database layer's own exception types; adapters turn them into friendly replies."""

from __future__ import annotations


class DatabaseError(Exception):
    """The database cannot be reached or is not usable; the message says what to do."""


class PgvectorMissing(DatabaseError):
    """The server has no pgvector extension available."""
