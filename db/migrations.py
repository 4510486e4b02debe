"""Apply the alembic schema: `melodiclens db upgrade`, and before anything touches the data."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import asyncpg
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from db.errors import DatabaseError

log = logging.getLogger(__name__)

ALEMBIC_DIR = Path(__file__).resolve().parent.parent / "alembic"
# Serialises concurrent upgrades from several processes (any constant unique to this app).
MIGRATION_LOCK_KEY = 0x6D656C6F


def alembic_config() -> Config:
    """The alembic configuration, pointing at the repository's alembic/ directory."""
    if not (ALEMBIC_DIR / "env.py").exists():
        raise DatabaseError(
            f"The schema scripts are missing ({ALEMBIC_DIR}); install MelodicLens from its "
            "source tree (pip install -e .)."
        )
    config = Config()
    config.set_main_option("script_location", str(ALEMBIC_DIR))
    return config


def head_revision() -> str:
    """The newest schema revision shipped with this code."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    return head or ""


async def _run(url: str, action: Any) -> Any:
    engine = create_async_engine(
        "postgresql+asyncpg://",
        async_creator=lambda: asyncpg.connect(url),
        poolclass=NullPool,
    )
    try:
        async with engine.begin() as conn:
            await conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})")
            return await conn.run_sync(action)
    finally:
        await engine.dispose()


async def upgrade(url: str, revision: str = "head") -> None:
    """Bring the schema up to `revision` (default: the newest)."""

    def action(sync_conn: Any) -> None:
        config = alembic_config()
        config.attributes["connection"] = sync_conn
        command.upgrade(config, revision)

    await _run(url, action)


async def downgrade(url: str, revision: str) -> None:
    """Take the schema down to `revision` ("base" removes every table)."""

    def action(sync_conn: Any) -> None:
        config = alembic_config()
        config.attributes["connection"] = sync_conn
        command.downgrade(config, revision)

    await _run(url, action)


async def current_revision(url: str) -> str | None:
    """The revision the database is at, or None before the first upgrade."""

    def action(sync_conn: Any) -> str | None:
        return MigrationContext.configure(sync_conn).get_current_revision()

    result: str | None = await _run(url, action)
    return result


async def ensure_schema(url: str) -> None:
    """Upgrade to head unless the database is already there."""
    if await current_revision(url) != head_revision():
        log.info("applying database schema migrations")
        await upgrade(url)
