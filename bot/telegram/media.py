"""Telegram media intake: which messages carry an image, downloading them, buffering albums."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any

from telegram import Bot, Message
from telegram.error import BadRequest, TelegramError

from handlers import texts
from handlers.replies import ImageInput

log = logging.getLogger(__name__)

# Telegram stores photos as JPEG; its PhotoSize carries no mime type.
PHOTO_MIME = "image/jpeg"


class MediaError(Exception):
    """An image could not be fetched from Telegram; the message is a sentence for the user."""


@dataclass(frozen=True)
class MediaRef:
    """Where one image (or file) of a message lives on Telegram's side."""

    file_id: str
    file_size: int | None
    filename: str | None
    mime_type: str | None

    @property
    def is_image(self) -> bool:
        """Whether Telegram says this is an image (photos always are)."""
        return bool(self.mime_type and self.mime_type.startswith("image/"))


def media_of(message: Message) -> MediaRef | None:
    """The largest photo size or the document a message carries, if any."""
    if message.photo:
        # Telegram lists a photo's sizes smallest first.
        largest = message.photo[-1]
        return MediaRef(largest.file_id, largest.file_size, None, PHOTO_MIME)
    if message.document:
        doc = message.document
        return MediaRef(doc.file_id, doc.file_size, doc.file_name, doc.mime_type)
    return None


def too_big_sentence(max_bytes: int) -> str:
    """What the user reads when a file is over the download limit."""
    return (
        f"That file is bigger than the {max_bytes // 1_000_000} MB a bot can download from "
        "Telegram; please send it as a photo or a smaller image."
    )


DOWNLOAD_FAILED = texts.DOWNLOAD_FAILED.format(platform="Telegram")


async def download(bot: Bot, ref: MediaRef, max_bytes: int) -> ImageInput:
    """The bytes of one image or file; raises MediaError with a friendly sentence."""
    if ref.file_size is not None and ref.file_size > max_bytes:
        raise MediaError(too_big_sentence(max_bytes))
    try:
        file = await bot.get_file(ref.file_id)
        data = await file.download_as_bytearray()
    except BadRequest as err:
        log.info("getFile refused %s: %s", ref.file_id, err.message)
        if "too big" in err.message.lower():
            raise MediaError(too_big_sentence(max_bytes)) from err
        raise MediaError(DOWNLOAD_FAILED) from err
    except TelegramError as err:
        log.warning("downloading %s failed: %s", ref.file_id, err)
        raise MediaError(DOWNLOAD_FAILED) from err
    if len(data) > max_bytes:
        raise MediaError(too_big_sentence(max_bytes))
    return ImageInput(bytes(data), filename=ref.filename, mime_type=ref.mime_type)


async def download_all(bot: Bot, refs: Sequence[MediaRef], max_bytes: int) -> list[ImageInput]:
    """Every image of a message or album, fetched concurrently."""
    return list(await asyncio.gather(*(download(bot, ref, max_bytes) for ref in refs)))


Spawn = Callable[[Coroutine[Any, Any, None], object], object]


@dataclass
class _Album:
    messages: list[Message] = field(default_factory=list)
    # set whenever a part arrives, restarting the wait
    arrived: asyncio.Event = field(default_factory=asyncio.Event)


class AlbumBuffer:
    """Collects the messages of one album (shared media_group_id) and hands them over together.

    Telegram sends no end marker, so an album is complete once no new part arrived for
    `wait_s` seconds.
    """

    def __init__(
        self,
        wait_s: float,
        on_album: Callable[[list[Message]], Awaitable[None]],
        spawn: Spawn,
    ) -> None:
        self._wait_s = wait_s
        self._on_album = on_album
        self._spawn = spawn
        self._albums: dict[tuple[int, str], _Album] = {}

    def __len__(self) -> int:
        """Albums still being collected."""
        return len(self._albums)

    def add(self, message: Message) -> None:
        """Buffer one part; the first part of an album starts its timer."""
        key = (message.chat_id, str(message.media_group_id))
        album = self._albums.get(key)
        if album is None:
            album = self._albums[key] = _Album()
            self._spawn(self._collect(key), message)
        album.messages.append(message)
        album.arrived.set()

    async def _collect(self, key: tuple[int, str]) -> None:
        album = self._albums[key]
        with contextlib.suppress(TimeoutError):
            while True:
                album.arrived.clear()
                await asyncio.wait_for(album.arrived.wait(), self._wait_s)
        del self._albums[key]
        await self._on_album(sorted(album.messages, key=lambda m: m.message_id))
