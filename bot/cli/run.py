"""`melodiclens run`: start the chat bots, the web server and the job worker."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from bot.cli.arguments import add_command
from bot.cli.errors import CommandError

if TYPE_CHECKING:
    from bot.settings import Settings


def register(subparsers: Any) -> None:
    """Add the `run` command."""
    add_command(
        subparsers,
        "run",
        run,
        help="run the Discord and/or Telegram bot (whichever has a token)",
        description=(
            "Run the chat bots (Telegram when TELEGRAM_TOKEN is set, Discord when DISCORD_TOKEN "
            "is), the web server (health check /healthz, metrics /metrics, the Spotify callback) "
            "on MELODICLENS_HTTP_HOST:MELODICLENS_HTTP_PORT, and a background-job worker, until "
            "SIGINT/SIGTERM; on SIGTERM every photo already accepted is answered first. The "
            "schema is brought up to date at start. Check the set-up first with `melodiclens "
            "doctor`."
        ),
    )


async def run(settings: Settings, args: argparse.Namespace) -> int:
    """Serve until SIGINT/SIGTERM."""
    from bot.cli.runner import RunError, run_bot

    try:
        await run_bot(settings)
    except RunError as err:
        raise CommandError(str(err)) from None
    return 0
