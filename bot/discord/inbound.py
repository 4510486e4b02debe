"""What a Discord message or interaction carries: its pictures, its words, who and where."""

from __future__ import annotations

import re
from typing import Any, Protocol

import discord

from handlers.i18n import negotiate
from handlers.replies import ChatContext

# Used only when Discord leaves an attachment's content_type empty (old uploads, some bots).
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp", ".tif", ".tiff")


class Fetchable(Protocol):
    """An attachment that can be downloaded: discord.Attachment, or one kept in the inbox."""

    @property
    def filename(self) -> str: ...

    @property
    def size(self) -> int: ...

    @property
    def content_type(self) -> str | None: ...

    async def read(self) -> bytes: ...


def is_image(attachment: discord.Attachment) -> bool:
    """Whether an attachment is a picture (by its content type, else its file name)."""
    if attachment.content_type:
        return attachment.content_type.startswith("image/")
    return attachment.filename.lower().endswith(IMAGE_SUFFIXES)


def words_of(message: discord.Message, me: discord.abc.User | None) -> str:
    """The message text without the bot's own mention."""
    text = message.content or ""
    if me is not None:
        text = re.sub(rf"<@!?{me.id}>", " ", text)
    return " ".join(text.split())


def message_context(message: discord.Message) -> ChatContext:
    """Who sent this message, and where."""
    return ChatContext(
        platform="discord",
        user_id=str(message.author.id),
        chat_id=str(message.channel.id),
        user_name=message.author.display_name,
        is_group=message.guild is not None,
        lang=message_language(message),
    )


def interaction_context(interaction: discord.Interaction[Any]) -> ChatContext:
    """Who pressed or typed this, and where."""
    return ChatContext(
        platform="discord",
        user_id=str(interaction.user.id),
        chat_id=str(interaction.channel_id or interaction.user.id),
        user_name=interaction.user.display_name,
        is_group=interaction.guild_id is not None,
        lang=interaction_language(interaction),
    )


def message_language(message: discord.Message) -> str:
    """A channel message is answered in its server's preferred locale (everyone reads it); a
    DM carries no locale, so English (a /language choice replaces either)."""
    guild = message.guild
    return negotiate(str(guild.preferred_locale)) if guild is not None else "en"


def interaction_language(interaction: discord.Interaction[Any]) -> str:
    """A command or button is answered in the presser's own client language."""
    return negotiate(str(interaction.locale))
