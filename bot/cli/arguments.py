"""Argument types that check a file when the command line is parsed, before settings load."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

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
