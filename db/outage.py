"""Where a lost database becomes DatabaseUnavailable: in the pool's connect and in each query.

The pool (db/pool.py) is built with `connect=connect` and `connection_class=GuardedConnection`,
so every caller, through the pool or a connection it acquired, sees one error for "the
database is not there" and never has to guess from an OSError where it came from.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, TypeVar

import asyncpg

from db.errors import CONNECTION_LOST, DatabaseUnavailable, describe

T = TypeVar("T")


async def connect(*args: Any, **kwargs: Any) -> asyncpg.Connection:
    """asyncpg.connect for the pool; a server that cannot be reached is DatabaseUnavailable."""
    try:
        return await asyncpg.connect(*args, **kwargs)
    except CONNECTION_LOST as err:
        raise DatabaseUnavailable(f"cannot reach the database: {describe(err)}") from err


class GuardedConnection(asyncpg.Connection):
    """An asyncpg connection whose queries raise DatabaseUnavailable when the server is gone
    (and every other error unchanged: a bad query stays a PostgresError)."""

    async def _guarded(self, call: Awaitable[T]) -> T:
        try:
            return await call
        except CONNECTION_LOST as err:
            raise DatabaseUnavailable(f"lost the database: {describe(err)}") from err
        except asyncpg.InterfaceError as err:
            if not self.is_closed():
                raise  # a misuse of the connection, not an outage
            raise DatabaseUnavailable(f"lost the database: {describe(err)}") from err

    async def execute(self, *args: Any, **kwargs: Any) -> Any:
        """asyncpg's execute, guarded."""
        return await self._guarded(super().execute(*args, **kwargs))

    async def executemany(self, *args: Any, **kwargs: Any) -> Any:
        """asyncpg's executemany, guarded."""
        return await self._guarded(super().executemany(*args, **kwargs))

    async def fetch(self, *args: Any, **kwargs: Any) -> Any:
        """asyncpg's fetch, guarded."""
        return await self._guarded(super().fetch(*args, **kwargs))

    async def fetchrow(self, *args: Any, **kwargs: Any) -> Any:
        """asyncpg's fetchrow, guarded."""
        return await self._guarded(super().fetchrow(*args, **kwargs))

    async def fetchval(self, *args: Any, **kwargs: Any) -> Any:
        """asyncpg's fetchval, guarded."""
        return await self._guarded(super().fetchval(*args, **kwargs))

    async def fetchmany(self, *args: Any, **kwargs: Any) -> Any:
        """asyncpg's fetchmany, guarded."""
        return await self._guarded(super().fetchmany(*args, **kwargs))

    async def copy_records_to_table(self, *args: Any, **kwargs: Any) -> Any:
        """asyncpg's copy_records_to_table, guarded."""
        return await self._guarded(super().copy_records_to_table(*args, **kwargs))
