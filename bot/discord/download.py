"""Fetching Discord attachments: the bytes of a photo, within the size limit, and fresh signed
links for a stored photo (Discord's CDN links expire)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import aiohttp
import discord

from bot.discord.inbound import Fetchable
from bot.discord.inbox import Payload, stored_attachments
from handlers import texts
from handlers.replies import ImageInput

log = logging.getLogger(__name__)


async def download(
    attachments: Sequence[Fetchable], max_bytes: int, lang: str
) -> list[ImageInput] | str:
    """The attachments' bytes, or one sentence (in `lang`) saying why they could not be
    fetched."""
    wanted = [item for item in attachments if item.size <= max_bytes]
    if not wanted:
        return texts.too_big_file(lang, attachments[0].size, max_bytes)
    try:
        blobs = await asyncio.gather(*(item.read() for item in wanted))
    except (discord.HTTPException, aiohttp.ClientError, OSError, TimeoutError) as err:
        log.warning("discord: attachment download failed: %s", err)
        return texts.download_failed(lang, "discord")
    return [
        ImageInput(data, item.filename, item.content_type)
        for data, item in zip(blobs, wanted, strict=True)
    ]


async def fresh_attachments(client: discord.Client, payload: Payload) -> Sequence[Fetchable] | None:
    """The stored attachments with fresh signed URLs, re-read from their message; the
    stored ones when there is no message to re-read (a /vibe upload) or it cannot be read;
    None when the message is gone or was edited to remove the photo."""
    stored = stored_attachments(payload["attachments"], client.http)
    message_id = payload.get("message_id")
    if not message_id:
        return stored
    channel = client.get_partial_messageable(int(payload["channel_id"]))
    try:
        message = await channel.fetch_message(int(message_id))
    except discord.NotFound:
        log.info("discord: message %s was deleted before its answer; not answering", message_id)
        return None
    except (discord.HTTPException, aiohttp.ClientError, OSError) as err:
        log.warning("discord: could not re-read message %s (%s); using the stored links",
                    message_id, err)  # fmt: skip
        return stored
    wanted = {ref["id"] for ref in payload["attachments"]}
    fresh = [item for item in message.attachments if str(item.id) in wanted]
    if fresh:
        return fresh
    if client.intents.message_content or message.attachments or message.content:
        # The bot can read this message, and the photo is no longer in it: edited away.
        log.info("discord: message %s lost its photo before its answer; not answering", message_id)
        return None
    return stored  # without the Message Content intent the re-read shows no attachments
