"""Fetching Telegram images: the bytes of a photo or file, within the size limit, with one
sentence for the user when that is not possible."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from telegram import Bot
from telegram.error import BadRequest, TelegramError

from bot.telegram.inbound import MediaRef
from handlers import texts
from handlers.replies import ImageInput

log = logging.getLogger(__name__)


class MediaError(Exception):
    """An image could not be fetched from Telegram: too big (over `max_bytes`), or refused."""

    def __init__(self, too_big: bool, max_bytes: int) -> None:
        super().__init__("too big" if too_big else "download failed")
        self.too_big = too_big
        self.max_bytes = max_bytes

    def sentence(self, lang: str) -> str:
        """What the user reads, in `lang`."""
        if self.too_big:
            return texts.too_big_on_telegram(lang, self.max_bytes)
        return texts.download_failed(lang, "telegram")


async def download(bot: Bot, ref: MediaRef, max_bytes: int) -> ImageInput:
    """The bytes of one image or file; raises MediaError with a friendly sentence."""
    if ref.file_size is not None and ref.file_size > max_bytes:
        raise MediaError(True, max_bytes)
    try:
        file = await bot.get_file(ref.file_id)
        data = await file.download_as_bytearray()
    except BadRequest as err:
        log.info("getFile refused %s: %s", ref.file_id, err.message)
        if "too big" in err.message.lower():
            raise MediaError(True, max_bytes) from err
        raise MediaError(False, max_bytes) from err
    except TelegramError as err:
        log.warning("downloading %s failed: %s", ref.file_id, err)
        raise MediaError(False, max_bytes) from err
    if len(data) > max_bytes:
        raise MediaError(True, max_bytes)
    return ImageInput(bytes(data), filename=ref.filename, mime_type=ref.mime_type)


async def download_all(bot: Bot, refs: Sequence[MediaRef], max_bytes: int) -> list[ImageInput]:
    """Every image of a message or album, fetched concurrently."""
    return list(await asyncio.gather(*(download(bot, ref, max_bytes) for ref in refs)))
