"""`melodiclens doctor`: checks every part MelodicLens needs and prints the fix for each problem.

The checks live in bot/cli/doctor_checks.py, loaded only when the command runs.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from bot.cli.arguments import add_command

if TYPE_CHECKING:
    from bot.settings import Settings


def register(subparsers: Any) -> None:
    """Add the `doctor` command."""
    parser = add_command(
        subparsers,
        "doctor",
        run_doctor,
        help="check the database, Ollama, models, catalog, tokens and the web port",
        description=(
            "Check every part MelodicLens uses and print the fix for each problem: the database "
            "and its schema, the catalog, the text model, the vision model on each OLLAMA_HOST, "
            "the chat and Spotify tokens (each asked of its service) and the web port. Parts "
            "marked 'optional' (the vision model, Genius) make answers better but are not "
            "needed. The text model is checked from its files; --load-models loads it and "
            "embeds a sentence too (some seconds more). Exit status: 0 when nothing needs "
            "fixing, 1 otherwise."
        ),
    )
    parser.add_argument(
        "--load-models",
        action="store_true",
        help="load the text model and embed a sentence, not only check its files",
    )


async def run_doctor(settings: Settings, args: argparse.Namespace) -> int:
    """Run every check, print the report; exit 1 if anything that is needed needs fixing."""
    from bot.cli.doctor_checks import run_checks

    return await run_checks(settings, load_models=getattr(args, "load_models", False))
