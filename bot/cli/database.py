"""`melodiclens db upgrade|downgrade|current|backup|restore`: the schema by hand, and backups."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.cli.arguments import add_command, add_command_group
from bot.cli.errors import CommandError

if TYPE_CHECKING:  # the database modules load only once a command runs
    from bot.settings import Settings


def register(subparsers: Any) -> None:
    """Add the `db` command."""
    actions = add_command_group(subparsers, "db", help="manage the database schema")
    up = add_command(
        actions, "upgrade", run_upgrade, help="apply schema migrations (default: to the newest)"
    )
    up.add_argument("revision", nargs="?", default="head")
    down = add_command(actions, "downgrade", run_downgrade, help="revert schema migrations")
    down.add_argument("revision", help='target revision, or "base" to remove every table')
    add_command(actions, "current", run_current, help="print the schema revision")
    dump = add_command(
        actions,
        "backup",
        run_backup,
        help="write a pg_dump archive of the database (restore with `melodiclens db restore`)",
    )
    dump.add_argument("file", type=Path, help="where to write it, e.g. melodiclens.dump")
    load = add_command(
        actions,
        "restore",
        run_restore,
        help="replace the database's contents with a `db backup` archive",
    )
    load.add_argument("file", type=Path, help="the archive `db backup` wrote")
    load.add_argument("--yes", action="store_true", help="needed: every current row is replaced")


async def _with_url(settings: Settings, action: Any) -> int:
    from db.pool import connect

    database = await connect(settings.database_url, settings.data_dir, pool_size=1)
    try:
        await action(database.url)
    finally:
        await database.close()
    return 0


async def run_upgrade(settings: Settings, args: argparse.Namespace) -> int:
    """Apply migrations up to the requested revision."""
    from db import migrations

    async def action(url: str) -> None:
        await migrations.upgrade(url, args.revision)
        print(f"schema at {await migrations.current_revision(url)}")

    return await _with_url(settings, action)


async def run_downgrade(settings: Settings, args: argparse.Namespace) -> int:
    """Revert migrations down to the requested revision."""
    from db import migrations

    async def action(url: str) -> None:
        await migrations.downgrade(url, args.revision)
        print(f"schema at {await migrations.current_revision(url) or 'base'}")

    return await _with_url(settings, action)


async def run_current(settings: Settings, args: argparse.Namespace) -> int:
    """Print the schema revision."""
    from db import migrations

    async def action(url: str) -> None:
        revision = await migrations.current_revision(url)
        print(f"{revision or 'base'} (newest: {migrations.head_revision()})")

    return await _with_url(settings, action)


async def run_backup(settings: Settings, args: argparse.Namespace) -> int:
    """pg_dump the database (the embedded server is started for it if nothing runs)."""
    folder = args.file.parent
    if not folder.is_dir():
        raise CommandError(f"cannot write {args.file}: there is no folder {folder}")
    from db import backup

    async def action(url: str) -> None:
        size = await backup.dump(url, args.file)
        print(
            f"wrote {args.file} ({size / 1e6:.1f} MB); "
            f"restore with `melodiclens db restore {args.file} --yes`"
        )

    return await _with_url(settings, action)


async def run_restore(settings: Settings, args: argparse.Namespace) -> int:
    """Put a backup back (stop the bot first), then bring its schema up to date."""
    if not args.yes:
        raise CommandError(
            "restore replaces every table and row with the backup's: stop the bot and workers, "
            "then run it again with --yes"
        )
    if not args.file.is_file():
        raise CommandError(f"cannot read {args.file}: no such file")
    from db import backup, migrations

    async def action(url: str) -> None:
        await backup.restore(url, args.file)
        await migrations.upgrade(url)
        print(f"restored {args.file}; schema at {await migrations.current_revision(url)}")

    return await _with_url(settings, action)
