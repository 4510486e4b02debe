"""Throttling: a bounded number of vision calls, a place in line, and a per-user rate limit."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable

# The rate limit looks back this far.
RATE_WINDOW_S = 60.0


class Busy(Exception):
    """The line for the vision model is full; the asker should try again later."""


class VisionGate:
    """At most `concurrency` photos at the vision model at once; the rest wait in line (FIFO)."""

    def __init__(self, concurrency: int, queue_limit: int) -> None:
        self._slots = asyncio.Semaphore(concurrency)
        self._queue_limit = queue_limit
        self.waiting = 0
        self.in_flight = 0

    @contextlib.asynccontextmanager
    async def slot(
        self, on_queued: Callable[[int], Awaitable[None]] | None = None
    ) -> AsyncIterator[None]:
        """Hold one vision slot; tells `on_queued` the place in line when it has to wait."""
        if self._slots.locked():
            if self.waiting >= self._queue_limit:
                raise Busy(f"{self.waiting} photos are already waiting")
            self.waiting += 1
            try:
                if on_queued is not None:
                    await _quietly(on_queued(self.waiting))
                await self._slots.acquire()
            finally:
                self.waiting -= 1
        else:
            await self._slots.acquire()
        self.in_flight += 1
        try:
            yield
        finally:
            self.in_flight -= 1
            self._slots.release()


async def _quietly(notice: Awaitable[None]) -> None:
    # A failed "you're #N in line" message must not cost the asker their place.
    with contextlib.suppress(Exception):
        await notice


class RateLimiter:
    """At most `per_minute` requests per key in any 60-second window.

    A key whose last request left the window is forgotten (swept at most once a window), so
    the memory held follows the users active in the last minute, not every user ever seen.
    """

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._swept_at = clock()

    def __len__(self) -> int:
        """How many keys are held (for tests and health reports)."""
        return len(self._hits)

    def _sweep(self, now: float) -> None:
        if now - self._swept_at < RATE_WINDOW_S:
            return
        self._swept_at = now
        idle = [
            key for key, hits in self._hits.items() if not hits or now - hits[-1] >= RATE_WINDOW_S
        ]
        for key in idle:
            del self._hits[key]

    def retry_after(self, key: str, cost: int = 1) -> float:
        """0 if the request may go ahead (and counts it `cost` times: one per photo of an
        album, at most a whole window's worth), else seconds until it may."""
        now = self._clock()
        self._sweep(now)
        hits = self._hits.setdefault(key, deque())
        while hits and now - hits[0] >= RATE_WINDOW_S:
            hits.popleft()
        cost = min(max(cost, 1), self.per_minute)
        over = len(hits) + cost - self.per_minute
        if over > 0:  # the oldest `over` hits must leave the window first
            return RATE_WINDOW_S - (now - hits[over - 1])
        hits.extend([now] * cost)
        return 0.0
