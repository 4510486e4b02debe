"""What both chat adapters share between start and stop: whether new work is accepted, the
answers in flight, their bounded drain, the inbox rows an answer settles, and the sizes held."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from dataclasses import dataclass
from typing import Any

from handlers.inbox import DurableInbox, Replay
from handlers.replies import Platform

log = logging.getLogger(__name__)

# stop() waits this long for accepted answers: above the vision timeout plus a queue's worth
# of waiting, below what an operator would call a hung shutdown. Answers still running then
# are cancelled; their inbox rows stay, so the next process answers them.
DRAIN_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class Accepted:
    """The inbox rows one answer settles once it is out: none without an inbox (or when the
    database could not store the message), several for a Telegram album."""

    rows: tuple[int, ...] = ()


NOT_STORED = Accepted()


class Lifecycle:
    """One adapter's answers between start and stop."""

    def __init__(self, platform: Platform, inbox: DurableInbox | None = None) -> None:
        self.platform = platform
        self.inbox = inbox
        # False before start and while stopping: new messages are told to come back later.
        self.accepting = False
        self.in_flight: set[asyncio.Task[Any]] = set()
        self._upkeep: asyncio.Task[None] | None = None

    def start_upkeep(self, replay: Replay) -> None:
        """Renew the leases of our inbox rows and answer rows a stopped process left (with an
        inbox), until stop_upkeep()."""
        if self.inbox is not None:
            upkeep = self.inbox.maintain(replay)
            self._upkeep = asyncio.create_task(upkeep, name=f"{self.platform}-inbox")

    async def stop_upkeep(self) -> None:
        """End the upkeep (after the drain: it renewed the leases of the answers until now;
        whatever is left unanswered is taken over by the next process once its lease lapses)."""
        if self._upkeep is not None and self.inbox is not None:
            self.inbox.stop()
            await self._upkeep
            self._upkeep = None

    @contextlib.contextmanager
    def answering(self) -> Iterator[None]:
        """Count the current task as an answer in flight, so that drain() waits for it."""
        task = asyncio.current_task()
        assert task is not None
        self.in_flight.add(task)
        try:
            yield
        finally:
            self.in_flight.discard(task)

    def spawn(self, work: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        """Run an answer in a task of its own, counted as in flight until it ends."""
        task = asyncio.create_task(work, name=name)
        self.in_flight.add(task)
        task.add_done_callback(self.in_flight.discard)
        return task

    async def settle(self, accepted: Accepted, answer: Awaitable[None]) -> None:
        """Run an answer; its inbox rows are done afterwards, also when it failed (a second
        try would fail alike), but not when it was cancelled (a stop past its drain: the next
        process answers it)."""
        try:
            await answer
        finally:
            task = asyncio.current_task()
            cancelled = task is not None and task.cancelling() > 0
            if self.inbox is not None and accepted.rows and not cancelled:
                await self.inbox.done(list(accepted.rows))

    async def drain(self, timeout_s: float = DRAIN_TIMEOUT_S) -> None:
        """Wait for the answers in flight (not the caller), at most `timeout_s`; cancel the
        rest."""
        pending = {t for t in self.in_flight if t is not asyncio.current_task() and not t.done()}
        if not pending:
            return
        log.info("%s: finishing %d answer(s) before stopping", self.platform, len(pending))
        _done, late = await asyncio.wait(pending, timeout=timeout_s)
        if late:
            log.warning("%s: giving up on %d answer(s) after %.0f s",
                        self.platform, len(late), timeout_s)  # fmt: skip
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)

    def held(self, **sizes: Callable[[], int]) -> dict[str, Callable[[], int]]:
        """The sizes of what the adapter keeps in memory per user, chat or message, by metric
        name (each must follow the answers in flight, never the users ever seen)."""
        named = {f"{self.platform}_{name}": size for name, size in sizes.items()}
        return {f"{self.platform}_answers_running": lambda: len(self.in_flight), **named}

    def is_ours(self, platform: Platform, chat_id: str) -> bool:
        """Whether a notice is for this adapter's platform (one for another is logged)."""
        if platform != self.platform:
            log.warning("%s: notice for %s chat %s dropped: not a %s chat",
                        self.platform, platform, chat_id, self.platform)  # fmt: skip
        return platform == self.platform
