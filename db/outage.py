"""Where a lost database becomes DatabaseUnavailable: in the pool's connect and in each query.

The pool (db/pool.py) is built with `connect=connect` and `connection_class=GuardedConnection`,
so every caller, through the pool or a connection it acquired, sees one error for "the
database is not there" and never has to guess from an OSError where it came from.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import asyncpg

from db.errors import CONNECTION_LOST, DatabaseUnavailable, describe

T = TypeVar("T")

# The connection's calls that talk to the server, each wrapped below by `_guard`.
GUARDED_CALLS = (
    "execute",
    "executemany",
    "fetch",
    "fetchrow",
    "fetchval",
    "fetchmany",
    "copy_records_to_table",
)


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


def _guard(name: str) -> Callable[..., Awaitable[Any]]:
    """asyncpg's connection method `name`, raising DatabaseUnavailable when the server is gone."""
    call = getattr(asyncpg.Connection, name)

    async def guarded(self: GuardedConnection, *args: Any, **kwargs: Any) -> Any:
        return await self._guarded(call(self, *args, **kwargs))

    guarded.__name__ = name
    guarded.__qualname__ = f"GuardedConnection.{name}"
    guarded.__doc__ = f"asyncpg's {name}, guarded."
    return guarded


for _name in GUARDED_CALLS:
    setattr(GuardedConnection, _name, _guard(_name))
del _name
