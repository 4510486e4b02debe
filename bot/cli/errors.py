"""Errors the `melodiclens` command shows as one line, without a traceback."""

from __future__ import annotations


class CommandError(Exception):
    """A command could not do its work; the message is for the person at the terminal."""
