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
from handlers.replies import ChatContext, Reply
from handlers.service import QueueNotice
from handlers.texts import SAID

log = logging.getLogger(__name__)

OnOff = Literal["on", "off"]


class Commands(commands.Cog):
    """/link-spotify, /unlink-spotify, /forget-me, /help, /auto and /blend."""

    def __init__(self, bot: MelodicLensBot) -> None:
        self.bot = bot

    @app_commands.command(
        name="link-spotify", description="Connect your Spotify library (private link)"
    )
    async def link_spotify(self, interaction: discord.Interaction[Any]) -> None:
        """The Spotify authorize link, shown only to the asker."""
        await answer_interaction(self.bot, interaction, self._link, private=True)

    async def _link(self, ctx: ChatContext, _on_queued: QueueNotice) -> Reply:
        # "Linked as NAME" and later library notices go to the asker's DMs (the user id
        # reaches them there), never to a server channel.
        return await self.bot.service.link_spotify(
            replace(ctx, chat_id=ctx.user_id, is_group=False)
        )

    @app_commands.command(
        name="unlink-spotify", description="Disconnect Spotify and drop your library"
    )
    async def unlink_spotify(self, interaction: discord.Interaction[Any]) -> None:
        """Delete the link's tokens and imported library."""
        work = _plain(self.bot.service.unlink_spotify)
        await answer_interaction(self.bot, interaction, work, private=True)

    @app_commands.command(
        name="forget-me", description="Delete everything MelodicLens knows about you"
    )
    async def forget_me(self, interaction: discord.Interaction[Any]) -> None:
        """Delete everything about the asker and say what went."""
        work = _plain(self.bot.service.forget_me)
        await answer_interaction(self.bot, interaction, work, private=True)

    @app_commands.command(name="help", description="What MelodicLens does and how to use it")
    async def help(self, interaction: discord.Interaction[Any]) -> None:
        """What the bot does; instant, so no deferral."""
        rendered = render(self.bot.help_reply(interaction_context(interaction)))
        await interaction.response.send_message(ephemeral=True, **rendered.kwargs())

    @app_commands.command(
        name="auto", description="Answer every photo in this channel, or only mentions"
    )
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_channels=True)
    @app_commands.describe(
        state="on: every photo here gets songs; off: only photos that mention me"
    )
    async def auto(self, interaction: discord.Interaction[Any], state: OnOff) -> None:
        """The channel's auto-reply switch, for members who can manage the channel."""
        # Discord hides the command from others; a server can override that, so check too.
        if not interaction.permissions.manage_channels:
            refusal = SAID["auto_needs_manage_channels"]
            await interaction.response.send_message(refusal, ephemeral=True)
            return
        work = _switch(self.bot.service.set_auto, state)
        await answer_interaction(self.bot, interaction, work, private=True)

    @app_commands.command(
        name="blend", description="Blend your linked library into this server's answers"
    )
    @app_commands.guild_only()
    @app_commands.describe(state="on: your songs join this channel's answers; off: they don't")
    async def blend(self, interaction: discord.Interaction[Any], state: OnOff) -> None:
        """Opt in or out of this channel's blended answers."""
        work = _switch(self.bot.service.set_blend, state)
        await answer_interaction(self.bot, interaction, work, private=True)


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
