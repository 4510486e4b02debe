"""Sending to Discord: answers beside or in reply to a photo, answers to stored photos, notices,
the typing indicator, and the one sentence for something unexpected."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import discord

from bot.discord.inbound import interaction_language, message_language
from bot.discord.inbox import Kind, Payload, token_still_valid
from bot.discord.render import MESSAGE_CONTENT_LIMIT, Rendered
from handlers.i18n import negotiate
from handlers.texts import REPLAYED_AS_MESSAGE, SORRY, say

log = logging.getLogger(__name__)


async def reply_to(message: discord.Message, rendered: Rendered) -> discord.Message:
    """Send in reply to `message` (still delivered, not as a reply, if it was deleted)."""
    reference = message.to_reference(fail_if_not_exists=False)
    try:
        return await message.channel.send(reference=reference, **rendered.kwargs())
    except discord.Forbidden:
        # Replying needs Read Message History; without it, answer beside the photo.
        log.warning("discord: cannot reply in channel %s; sending plainly", message.channel.id)
        return await message.channel.send(**rendered.kwargs())


@contextlib.asynccontextmanager
async def typing(channel: discord.abc.Messageable) -> AsyncIterator[None]:
    """A typing indicator that never stops an answer (it needs a permission the bot may lack)."""
    try:
        indicator = channel.typing()
        await indicator.__aenter__()
    except discord.HTTPException as err:
        log.debug("discord: no typing indicator: %s", err)
        yield
        return
    try:
        yield
    finally:
        await indicator.__aexit__(None, None, None)


async def send_notice(client: discord.Client, chat_id: str, text: str) -> None:
    """Post a notice to a channel (or, when the id is a user's, to their DMs); best effort:
    failures are logged, never raised."""
    try:
        target = await _messageable(client, int(chat_id))
        await target.send(text[:MESSAGE_CONTENT_LIMIT])
    except (discord.HTTPException, ValueError) as err:
        log.warning("discord: could not deliver a notice to %s: %s", chat_id, err)


async def _messageable(client: discord.Client, target_id: int) -> discord.abc.Messageable:
    channel = client.get_channel(target_id)
    if isinstance(channel, discord.abc.Messageable):
        return channel
    try:
        fetched = await client.fetch_channel(target_id)
    except discord.NotFound:
        return await client.fetch_user(target_id)
    if not isinstance(fetched, discord.abc.Messageable):
        raise ValueError("that channel cannot hold messages")
    return fetched


async def deliver_stored(client: discord.Client, payload: Payload, rendered: Rendered) -> None:
    """Deliver the answer to a stored photo where it was asked: a reply to the message, the
    interaction's followup while its token is valid, else a channel message that says why."""
    channel = client.get_partial_messageable(int(payload["channel_id"]))
    kind: Kind = payload["kind"]
    if kind != "message" and token_still_valid(payload):
        stored = payload["interaction"]
        followup = discord.Webhook.partial(
            int(stored["application_id"]), stored["token"], client=client
        )
        try:
            await followup.send(wait=True, **rendered.kwargs())
            return
        except discord.HTTPException as err:
            log.info("discord: the interaction's followup was refused (%s); answering in "
                     "the channel", err)  # fmt: skip
    await _post_in_channel(channel, payload, rendered)


async def _post_in_channel(
    channel: discord.PartialMessageable, payload: Payload, rendered: Rendered
) -> None:
    kind: Kind = payload["kind"]
    parts = rendered.kwargs()
    mentions = discord.AllowedMentions.none()
    if kind != "message":  # the command's own answer window is closed: say why
        lang = negotiate(payload.get("lang"))
        note = say(lang, REPLAYED_AS_MESSAGE, mention=f"<@{payload['user_id']}>")
        parts["content"] = f"{note}\n{parts.get('content') or ''}".strip()
        parts["content"] = parts["content"][:MESSAGE_CONTENT_LIMIT]
        mentions = discord.AllowedMentions(users=[discord.Object(int(payload["user_id"]))])
    message_id = payload.get("message_id")
    try:
        if message_id:  # a reply to the photo (still delivered if it was deleted since)
            reference = discord.MessageReference(
                message_id=int(message_id), channel_id=channel.id, fail_if_not_exists=False
            )
            await channel.send(reference=reference, allowed_mentions=mentions, **parts)
            return
    except discord.Forbidden:
        log.warning("discord: cannot reply in channel %s; sending plainly", channel.id)
    await channel.send(allowed_mentions=mentions, **parts)


async def tell_sorry(client: discord.Client, asked: Any) -> None:
    """One sentence, never a traceback, to whoever asked: a message, an interaction, or a
    stored photo's payload; nothing for other events. Failing to say it is only logged."""
    text = say(_language_of(asked), SORRY["unexpected"])
    sorry = Rendered(content=text)
    try:
        if isinstance(asked, discord.Message):
            await reply_to(asked, sorry)
        elif isinstance(asked, discord.Interaction):
            if asked.response.is_done():
                await asked.followup.send(text, ephemeral=True)
            else:
                await asked.response.send_message(text, ephemeral=True)
        elif isinstance(asked, dict) and "channel_id" in asked:
            await deliver_stored(client, asked, sorry)
    except discord.HTTPException as err:
        log.warning("discord: could not tell the asker about the failure: %s", err)


def _language_of(asked: Any) -> str:
    """The language to say sorry in: the presser's, the server's, or the stored photo's."""
    if isinstance(asked, discord.Interaction):
        return interaction_language(asked)
    if isinstance(asked, discord.Message):
        return message_language(asked)
    return negotiate(asked.get("lang")) if isinstance(asked, dict) else "en"
