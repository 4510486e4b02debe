"""The slash commands about the listener and the channel: Spotify, privacy, help, and the
channel's switches (the commands cog). /vibe and "Songs for this photo" are answers."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.answers import UseCase, answer_interaction
from bot.discord.client import MelodicLensBot
from bot.discord.inbound import interaction_context
from bot.discord.render import render
from handlers.bot_service import QueueNotice
from handlers.replies import ChatContext, Reply
from handlers.texts import COMMAND_DESCRIPTIONS, OPTION_DESCRIPTIONS, SAID, say

log = logging.getLogger(__name__)

OnOff = Literal["on", "off"]
# The commands' descriptions (English here; bot/discord/translator.py gives Discord the rest).
ABOUT = COMMAND_DESCRIPTIONS["discord"]
# A /language argument is a code ("pt-BR") or "auto"; anything longer is not one.
LANGUAGE_ARGUMENT_MAX_CHARS = 35


class Commands(commands.Cog):
    """/link-spotify, /unlink-spotify, /forget-me, /help, /auto, /blend and /language."""

    def __init__(self, bot: MelodicLensBot) -> None:
        self.bot = bot

    @app_commands.command(name="link-spotify", description=ABOUT["link-spotify"])
    async def link_spotify(self, interaction: discord.Interaction[Any]) -> None:
        """The Spotify authorize link, shown only to the asker."""
        await answer_interaction(self.bot, interaction, self._link, private=True)

    async def _link(self, ctx: ChatContext, _on_queued: QueueNotice) -> Reply:
        # "Linked as NAME" and later library notices go to the asker's DMs (the user id
        # reaches them there), never to a server channel.
        return await self.bot.service.link_spotify(
            replace(ctx, chat_id=ctx.user_id, is_group=False)
        )

    @app_commands.command(name="unlink-spotify", description=ABOUT["unlink-spotify"])
    async def unlink_spotify(self, interaction: discord.Interaction[Any]) -> None:
        """Delete the link's tokens and imported library."""
        work = _plain(self.bot.service.unlink_spotify)
        await answer_interaction(self.bot, interaction, work, private=True)

    @app_commands.command(name="forget-me", description=ABOUT["forget-me"])
    async def forget_me(self, interaction: discord.Interaction[Any]) -> None:
        """Delete everything about the asker and say what went."""
        work = _plain(self.bot.service.forget_me)
        await answer_interaction(self.bot, interaction, work, private=True)

    @app_commands.command(name="help", description=ABOUT["help"])
    async def help(self, interaction: discord.Interaction[Any]) -> None:
        """What the bot does; instant, so no deferral."""
        rendered = render(self.bot.help_reply(interaction_context(interaction)))
        await interaction.response.send_message(ephemeral=True, **rendered.kwargs())

    @app_commands.command(name="auto", description=ABOUT["auto"])
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_channels=True)
    @app_commands.describe(state=OPTION_DESCRIPTIONS["auto", "state"])
    async def auto(self, interaction: discord.Interaction[Any], state: OnOff) -> None:
        """The channel's auto-reply switch, for members who can manage the channel."""
        # Discord hides the command from others; a server can override that, so check too.
        if not interaction.permissions.manage_channels:
            ctx = self.bot.service.in_their_language(interaction_context(interaction))
            refusal = say(ctx.lang, SAID["auto_needs_manage_channels"])
            await interaction.response.send_message(refusal, ephemeral=True)
            return
        work = _switch(self.bot.service.set_auto, state)
        await answer_interaction(self.bot, interaction, work, private=True)

    @app_commands.command(name="blend", description=ABOUT["blend"])
    @app_commands.guild_only()
    @app_commands.describe(state=OPTION_DESCRIPTIONS["blend", "state"])
    async def blend(self, interaction: discord.Interaction[Any], state: OnOff) -> None:
        """Opt in or out of this channel's blended answers."""
        work = _switch(self.bot.service.set_blend, state)
        await answer_interaction(self.bot, interaction, work, private=True)

    @app_commands.command(name="language", description=ABOUT["language"])
    @app_commands.describe(code=OPTION_DESCRIPTIONS["language", "code"])
    async def language(
        self,
        interaction: discord.Interaction[Any],
        code: app_commands.Range[str, 1, LANGUAGE_ARGUMENT_MAX_CHARS] | None = None,
    ) -> None:
        """The language the bot answers this member in: say it, choose one, or "auto"."""
        work = _language(self.bot.service.language, code or "")
        await answer_interaction(self.bot, interaction, work, private=True)


def _language(
    service_language: Callable[[ChatContext, str], Awaitable[Reply]], code: str
) -> UseCase:
    """/language as a use case."""

    async def work(ctx: ChatContext, _on_queued: QueueNotice) -> Reply:
        return await service_language(ctx, code)

    return work


def _plain(use_case: Callable[[ChatContext], Awaitable[Reply]]) -> UseCase:
    """A ChatContext-only use case in the shape answer_interaction expects."""

    async def work(ctx: ChatContext, _on_queued: QueueNotice) -> Reply:
        return await use_case(ctx)

    return work


def _switch(setter: Callable[[ChatContext, bool], Awaitable[Reply]], state: OnOff) -> UseCase:
    """A channel switch (/auto, /blend) turned on or off, as a use case."""

    async def work(ctx: ChatContext, _on_queued: QueueNotice) -> Reply:
        return await setter(ctx, state == "on")

    return work
