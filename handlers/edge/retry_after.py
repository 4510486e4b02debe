"""A service's "ask again later": HTTP 429 with a Retry-After header, as the Spotify and the
audio-features edges both meet it. Each edge subclasses `RateLimited` into its own family."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

# A 429 whose Retry-After is missing or unreadable waits this long.
DEFAULT_RETRY_AFTER_S = 1.0


class RateLimited(Exception):
    """429: ask again after `retry_after` seconds."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def parse_retry_after(value: str | None) -> float:
    """Seconds to wait from a Retry-After header: a number of seconds or an HTTP date;
    anything missing, negative, infinite or unreadable means DEFAULT_RETRY_AFTER_S."""
    if not value:
        return DEFAULT_RETRY_AFTER_S
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds()
        except (TypeError, ValueError):
            return DEFAULT_RETRY_AFTER_S
    return seconds if math.isfinite(seconds) and seconds >= 0 else DEFAULT_RETRY_AFTER_S
