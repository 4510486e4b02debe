"""`melodiclens db upgrade|downgrade|current`: the schema by hand."""

from __future__ import annotations

import argparse
from typing import Any

from bot.settings import Settings
from db import migrations
from db.pool import connect


def register(subparsers: Any) -> None:
    """Add the `db` command."""
    parser = subparsers.add_parser("db", help="manage the database schema")
    actions = parser.add_subparsers(dest="db_action", metavar="ACTION", required=True)
    up = actions.add_parser("upgrade", help="apply schema migrations (default: to the newest)")
    up.add_argument("revision", nargs="?", default="head")
    up.set_defaults(handler=run_upgrade)
    down = actions.add_parser("downgrade", help="revert schema migrations")
    down.add_argument("revision", help='target revision, or "base" to remove every table')
    down.set_defaults(handler=run_downgrade)
    current = actions.add_parser("current", help="print the schema revision")
    current.set_defaults(handler=run_current)


async def _with_url(settings: Settings, action: Any) -> int:
    database = await connect(settings.database_url, settings.data_dir, pool_size=1)
    try:
        await action(database.url)
    finally:
        await database.close()
    return 0


async def run_upgrade(settings: Settings, args: argparse.Namespace) -> int:
    """Apply migrations up to the requested revision."""

    async def action(url: str) -> None:
        await migrations.upgrade(url, args.revision)
        print(f"schema at {await migrations.current_revision(url)}")

    return await _with_url(settings, action)


async def run_downgrade(settings: Settings, args: argparse.Namespace) -> int:
    """Revert migrations down to the requested revision."""

    async def action(url: str) -> None:
        await migrations.downgrade(url, args.revision)
        print(f"schema at {await migrations.current_revision(url) or 'base'}")

    return await _with_url(settings, action)


async def run_current(settings: Settings, args: argparse.Namespace) -> int:
    """Print the schema revision."""

    async def action(url: str) -> None:
        revision = await migrations.current_revision(url)
        print(f"{revision or 'base'} (newest: {migrations.head_revision()})")

    return await _with_url(settings, action)
