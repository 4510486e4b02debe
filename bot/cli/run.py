"""`melodiclens run`: start the chat bots, the web server and the job worker."""

from __future__ import annotations

import argparse
from typing import Any

from bot.cli.errors import CommandError
from bot.settings import Settings


def register(subparsers: Any) -> None:
    """Add the `run` command."""
    parser = subparsers.add_parser(
        "run", help="run the Discord and/or Telegram bot (whichever has a token)"
    )
    parser.set_defaults(handler=run)


async def run(settings: Settings, args: argparse.Namespace) -> int:
    """Serve until SIGINT/SIGTERM."""
    from bot.cli.runner import RunError, run_bot

    try:
        await run_bot(settings)
    except RunError as err:
        raise CommandError(str(err)) from None
    return 0
