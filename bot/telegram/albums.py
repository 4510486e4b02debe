"""Telegram albums: the parts of one album (a shared media_group_id) arrive as separate updates
and are answered together."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from telegram import Message


@dataclass
class _Album:
    messages: list[Message] = field(default_factory=list)
    # set whenever a part arrives, restarting the wait
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    # set once the album is answered (or its answer failed)
    answered: asyncio.Event = field(default_factory=asyncio.Event)


class AlbumBuffer:
    """Collects the parts of each album and answers them as one.

    Telegram sends no end marker, so an album is complete once no new part arrived for
    `wait_s` seconds. The first part's handler waits for that and answers; the other parts'
    handlers wait for the answer, so each part's inbox row is settled only once it is out.
    """

    def __init__(self, wait_s: float, answer: Callable[[list[Message]], Awaitable[None]]) -> None:
        self._wait_s = wait_s
        self._answer = answer
        self._albums: dict[tuple[int, str], _Album] = {}

    def __len__(self) -> int:
        """Albums still being collected."""
        return len(self._albums)

    async def add(self, message: Message) -> None:
        """Add one part; return once its album is answered."""
        key = (message.chat_id, str(message.media_group_id))
        album = self._albums.get(key)
        if album is not None:
            album.messages.append(message)
            album.arrived.set()
            await album.answered.wait()
            return
        album = self._albums[key] = _Album([message])
        try:
            with contextlib.suppress(TimeoutError):
                while True:
                    album.arrived.clear()
                    await asyncio.wait_for(album.arrived.wait(), self._wait_s)
            del self._albums[key]
            await self._answer(sorted(album.messages, key=lambda m: m.message_id))
        finally:
            self._albums.pop(key, None)
            album.answered.set()
