"""`melodiclens doctor` (not built yet)."""

from __future__ import annotations

from typing import Any


def register(subparsers: Any) -> None:
    """Placeholder until the command lands; it registers nothing."""
