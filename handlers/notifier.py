"""How background work (linking, library sync) speaks to a user in their chat."""

from __future__ import annotations

import logging
from collections import deque
from typing import Protocol

from handlers.replies import Platform

log = logging.getLogger(__name__)

KEEP_SENT = 100


class Notifier(Protocol):
    """Sends a plain-text message to a chat; each chat adapter implements it for its platform."""

    async def send(self, platform: Platform, chat_id: str, text: str) -> None:
        """Deliver `text` to the chat (best effort: failures are logged, never raised)."""
        ...


class LogNotifier:
    """The fallback when no chat adapter runs in this process (e.g. a lone worker): logs it."""

    def __init__(self) -> None:
        # the latest messages only: a long-running worker must not grow without bound
        self.sent: deque[tuple[str, str, str]] = deque(maxlen=KEEP_SENT)

    async def send(self, platform: Platform, chat_id: str, text: str) -> None:
        """Write the message to the log (and keep it, so tests can read it)."""
        self.sent.append((platform, chat_id, text))
        log.info("message for %s chat %s: %s", platform, chat_id, text)


class MultiNotifier:
    """Routes each message to the notifier registered for its platform, else to a fallback."""

    def __init__(self, fallback: Notifier | None = None) -> None:
        self._by_platform: dict[str, Notifier] = {}
        self._fallback: Notifier = fallback or LogNotifier()

    def register(self, platform: Platform, notifier: Notifier) -> None:
        """Let a chat adapter deliver messages for its platform."""
        self._by_platform[platform] = notifier

    async def send(self, platform: Platform, chat_id: str, text: str) -> None:
        """Deliver through the platform's notifier; log, never raise, on failure."""
        target = self._by_platform.get(platform, self._fallback)
        try:
            await target.send(platform, chat_id, text)
        except Exception:  # a chat being down must not fail a sync or a callback
            log.warning("could not notify %s chat %s", platform, chat_id, exc_info=True)
