"""Throttling: a bounded number of vision calls, a place in line, and a per-user rate limit."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Generic, TypeVar

# The rate limit looks back this far.
RATE_WINDOW_S = 60.0

K = TypeVar("K")
V = TypeVar("V")


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
        # when each key was last told it is over the limit (one refusal said per window)
        self._refused: dict[str, float] = {}
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
        for key in [key for key, said in self._refused.items() if now - said >= RATE_WINDOW_S]:
            del self._refused[key]

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

    def first_refusal(self, key: str) -> bool:
        """Whether refusing `key` now is the first refusal in its window; later ones in the
        same window go unsaid, so a flood of messages gets one bot message, not one each."""
        now = self._clock()
        said = self._refused.get(key)
        if said is not None and now - said < RATE_WINDOW_S:
            return False
        self._refused[key] = now
        return True


class TtlCache(Generic[K, V]):
    """Values remembered for `ttl_s` seconds, at most `max_entries` of them (oldest dropped)."""

    def __init__(
        self, ttl_s: float, max_entries: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self._clock = clock
        self._values: OrderedDict[K, tuple[float, V]] = OrderedDict()

    def get(self, key: K) -> V | None:
        """The value stored under `key` if it is still fresh, else None."""
        found = self._values.get(key)
        if found is None or self._clock() - found[0] >= self.ttl_s:
            self._values.pop(key, None)
            return None
        return found[1]

    def put(self, key: K, value: V) -> None:
        """Remember `value` under `key` from now on."""
        self._values[key] = (self._clock(), value)
        self._values.move_to_end(key)
        while len(self._values) > self.max_entries:
            self._values.popitem(last=False)
