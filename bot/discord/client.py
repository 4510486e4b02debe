"""The discord.py bot: a small `commands.Bot` that adds one cog per feature (answers, commands),
reads only the intents MelodicLens needs, and has the one handler for what nothing else caught."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.outbox import tell_sorry
from bot.discord.publishing import with_mentions
from bot.discord.render import ActionButton
from bot.discord.translator import CatalogTranslator
from bot.lifecycle import Lifecycle
from bot.settings import Settings, env_name
from handlers.bot_service import BotService
from handlers.replies import ChatContext, Reply

log = logging.getLogger(__name__)

# discord.py's default: after READY, wait this long for the burst of GUILD_CREATEs.
GUILD_READY_TIMEOUT_S = 2.0


class DiscordStartError(Exception):
    """Discord could not be reached or refused the bot; the message says what to do."""


class MelodicLensBot(commands.Bot):
    """The bot over a BotService; its cogs reach the service, settings and lifecycle through it."""

    def __init__(
        self,
        settings: Settings,
        service: BotService,
        lifecycle: Lifecycle,
        features: Sequence[Feature],
        **options: Any,
    ) -> None:
        # No prefix commands: mentions are answered by the answers cog, so no help command
        # and no warning about the Message Content intent for prefixes.
        super().__init__(command_prefix=commands.when_mentioned, help_command=None, **options)
        self.settings = settings
        self.service = service
        self.lifecycle = lifecycle
        self.features = features
        # The published commands' ids by name, for clickable mentions in /help.
        self.command_ids: dict[str, int] = {}
        self.tree.error(self.on_app_command_error)

    async def setup_hook(self) -> None:
        """One cog per feature; the buttons of old answers keep working (dynamic items)."""
        for feature in self.features:
            await self.add_cog(feature(self))
        self.add_dynamic_items(ActionButton)
        await self.tree.set_translator(CatalogTranslator())

    async def on_message(self, message: discord.Message, /) -> None:
        """Nothing here: there are no prefix commands (the answers cog listens to messages)."""

    def help_reply(self, ctx: ChatContext | None = None) -> Reply:
        """/help, with every command name a clickable mention once the ids are known; the
        asker's `ctx` counts it against their rate limit."""
        reply = self.service.help("discord", ctx)
        return replace(reply, text=with_mentions(reply.text, self.command_ids))

    async def on_error(self, event_method: str, /, *args: Any, **kwargs: Any) -> None:
        """Anything a listener did not handle (the service promises a Reply, so a bug, or
        Discord refusing a message): logged whole, one sentence to the asker if there is one."""
        log.error("discord: unexpected error in %s", event_method, exc_info=True)
        await tell_sorry(self, args[0] if args else None)

    async def on_app_command_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        """The same for slash commands and the message command."""
        name = getattr(interaction.command, "name", "?")
        log.error("discord: /%s failed", name, exc_info=error)
        await tell_sorry(self, interaction)


class ShardedMelodicLensBot(MelodicLensBot, commands.AutoShardedBot):
    """The same bot over several gateway shards."""


# A cog for one feature, made for the bot that adds it (bot.discord.adapter lists them).
Feature = Callable[[MelodicLensBot], commands.Cog]


def build_intents(message_content: bool) -> discord.Intents:
    """Only what the bot reads: guild and DM messages (and their content when allowed)."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.dm_messages = True
    intents.message_content = message_content
    return intents


def build_bot(
    settings: Settings,
    service: BotService,
    lifecycle: Lifecycle,
    features: Sequence[Feature],
    message_content: bool,
) -> MelodicLensBot:
    """A plain bot, or a sharded one when shard settings are given."""
    options: dict[str, Any] = {
        "intents": build_intents(message_content),
        # Answers never ping anyone: they reply quietly to the photo.
        "allowed_mentions": discord.AllowedMentions.none(),
        "guild_ready_timeout": GUILD_READY_TIMEOUT_S,
    }
    if settings.discord_shard_count is None and not settings.discord_shard_ids:
        return MelodicLensBot(settings, service, lifecycle, features, **options)
    shard_ids = _shard_ids(settings)
    if shard_ids is not None:
        options["shard_ids"] = shard_ids
    count = settings.discord_shard_count
    return ShardedMelodicLensBot(
        settings, service, lifecycle, features, shard_count=count, **options
    )


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
