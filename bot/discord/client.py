"""Building the discord.py client: the intents MelodicLens reads, plain or sharded."""

from __future__ import annotations

from typing import Any

import discord

from bot.settings import Settings, env_name

# discord.py's default: after READY, wait this long for the burst of GUILD_CREATEs.
GUILD_READY_TIMEOUT_S = 2.0


class DiscordStartError(Exception):
    """Discord could not be reached or refused the bot; the message says what to do."""


def build_intents(message_content: bool) -> discord.Intents:
    """Only what the bot reads: guild and DM messages (and their content when allowed)."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.dm_messages = True
    intents.message_content = message_content
    return intents


def build_client(settings: Settings, message_content: bool) -> discord.Client:
    """A plain client, or a sharded one when shard settings are given."""
    options: dict[str, Any] = {
        "intents": build_intents(message_content),
        # Answers never ping anyone: they reply quietly to the photo.
        "allowed_mentions": discord.AllowedMentions.none(),
        "guild_ready_timeout": GUILD_READY_TIMEOUT_S,
    }
    if settings.discord_shard_count is None and not settings.discord_shard_ids:
        return discord.Client(**options)
    shard_ids = _shard_ids(settings)
    if shard_ids is not None:
        options["shard_ids"] = shard_ids
    return discord.AutoShardedClient(shard_count=settings.discord_shard_count, **options)


def _shard_ids(settings: Settings) -> list[int] | None:
    if not settings.discord_shard_ids:
        return None
    count, ids_var = settings.discord_shard_count, env_name("discord_shard_ids")
    if count is None:
        raise DiscordStartError(f"{ids_var} needs {env_name('discord_shard_count')} as well.")
    try:
        ids = [int(shard) for shard in settings.discord_shard_ids]
    except ValueError:
        raise DiscordStartError(f"{ids_var} must be whole numbers, such as 0,1,2.") from None
    if any(not 0 <= shard < count for shard in ids):
        raise DiscordStartError(f"{ids_var} must each be between 0 and {count - 1}.")
    return ids
