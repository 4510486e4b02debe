"""How a command module adds itself to the parser, and argument types that check a file when
the command line is parsed, before settings load."""

from __future__ import annotations

import argparse
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

if TYPE_CHECKING:
    from bot.settings import Settings

# What a command runs: main.py awaits it with the settings and the parsed arguments, and exits
# with the number it returns.
Handler: TypeAlias = "Callable[[Settings, argparse.Namespace], Awaitable[int]]"

STDIN = "-"


def readable_file(value: str) -> Path:
    """A path to a file this process can read; refused with the reason otherwise."""
    path = Path(value)
    if not path.is_file():
        reason = "it is a folder" if path.is_dir() else "no such file"
        raise argparse.ArgumentTypeError(f"cannot read {value}: {reason}")
    if not os.access(path, os.R_OK):
        raise argparse.ArgumentTypeError(f"cannot read {value}: permission denied")
    return path


def readable_file_or_stdin(value: str) -> str:
    """A readable file, or "-" for standard input."""
    if value != STDIN:
        readable_file(value)
    return value


def add_command(
    subparsers: Any, name: str, handler: Handler, help: str, description: str | None = None
) -> argparse.ArgumentParser:
    """Add the command (or a group's action) `name`, run by `handler`; its parser, for options."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        name, help=help, description=description
    )
    parser.set_defaults(handler=handler)
    return parser


def add_command_group(subparsers: Any, name: str, help: str) -> Any:
    """Add the command `name` made of actions (`melodiclens NAME ACTION`); add each action to
    what this returns with `add_command`."""
    parser = subparsers.add_parser(name, help=help)
    return parser.add_subparsers(dest=f"{name}_action", metavar="ACTION", required=True)
