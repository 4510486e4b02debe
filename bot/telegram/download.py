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
    """An image could not be fetched from Telegram; the message is a sentence for the user."""


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
