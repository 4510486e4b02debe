"""The slash commands; each one hands its interaction to the adapter, which defers and answers."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any, Literal, Protocol

import discord
from discord import app_commands

from bot.discord.render import render
from handlers.replies import ChatContext, Reply
from handlers.service import BotService, QueueNotice
from handlers.texts import SAID, SONGS_FOR_PHOTO, SORRY

log = logging.getLogger(__name__)

# Enough for "rainy, but make it upbeat and instrumental"; longer text is not a mood.
WORDS_MAX_CHARS = 300

OnOff = Literal["on", "off"]
# One use case as a slash command runs it: the asker's context, the "in line" callback.
UseCase = Callable[[ChatContext, QueueNotice], Awaitable[Reply]]


class CommandHost(Protocol):
    """What the slash commands need from the adapter (bot.discord.adapter.DiscordAdapter)."""

    service: BotService

    def help(self) -> Reply: ...

    async def photo_interaction(
        self, interaction: discord.Interaction[Any], message: discord.Message
    ) -> None: ...

    async def answer_interaction(
        self, interaction: discord.Interaction[Any], work: UseCase, private: bool = False
    ) -> None: ...

    async def vibe_interaction(
        self, interaction: discord.Interaction[Any], image: discord.Attachment | None, words: str
    ) -> None: ...


def build_tree(client: discord.Client, adapter: CommandHost) -> app_commands.CommandTree[Any]:
    """The command tree for this client: /vibe, /link-spotify, /unlink-spotify, /forget-me,
    /help, /blend, /auto, and the message command "Songs for this photo"."""
    tree: app_commands.CommandTree[Any] = app_commands.CommandTree(client)
    service = adapter.service

    @tree.command(name="vibe", description="Songs that fit a photo (and/or a few words)")
    @app_commands.describe(
        image="The photo to find songs for", words="A mood or a wish, e.g. 'more upbeat'"
    )
    async def vibe(
        interaction: discord.Interaction[Any],
        image: discord.Attachment | None = None,
        words: app_commands.Range[str, 1, WORDS_MAX_CHARS] | None = None,
    ) -> None:
        """Songs for the photo and/or the words."""
        await adapter.vibe_interaction(interaction, image, words or "")

    @tree.command(name="link-spotify", description="Connect your Spotify library (private link)")
    async def link_spotify(interaction: discord.Interaction[Any]) -> None:
        """The Spotify authorize link, shown only to the asker."""

        async def work(ctx: ChatContext, _on_queued: QueueNotice) -> Reply:
            # "Linked as NAME" and later library notices go to the asker's DMs (the user id
            # reaches them there), never to a server channel.
            return await service.link_spotify(replace(ctx, chat_id=ctx.user_id, is_group=False))

        await adapter.answer_interaction(interaction, work, private=True)

    @tree.command(name="unlink-spotify", description="Disconnect Spotify and drop your library")
    async def unlink_spotify(interaction: discord.Interaction[Any]) -> None:
        """Delete the link's tokens and imported library."""
        await adapter.answer_interaction(interaction, _plain(service.unlink_spotify), private=True)

    @tree.command(name="forget-me", description="Delete everything MelodicLens knows about you")
    async def forget_me(interaction: discord.Interaction[Any]) -> None:
        """Delete everything about the asker and say what went."""
        await adapter.answer_interaction(interaction, _plain(service.forget_me), private=True)

    @tree.command(name="help", description="What MelodicLens does and how to use it")
    async def help_command(interaction: discord.Interaction[Any]) -> None:
        """What the bot does; instant, so no deferral."""
        await interaction.response.send_message(ephemeral=True, **render(adapter.help()).kwargs())

    @tree.command(name="auto", description="Answer every photo in this channel, or only mentions")
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_channels=True)
    @app_commands.describe(
        state="on: every photo here gets songs; off: only photos that mention me"
    )
    async def auto(interaction: discord.Interaction[Any], state: OnOff) -> None:
        """The channel's auto-reply switch, for members who can manage the channel."""
        # Discord hides the command from others; a server can override that, so check too.
        if not interaction.permissions.manage_channels:
            refusal = SAID["auto_needs_manage_channels"]
            await interaction.response.send_message(refusal, ephemeral=True)
            return

        async def work(ctx: ChatContext, _on_queued: QueueNotice) -> Reply:
            return await service.set_auto(ctx, state == "on")

        await adapter.answer_interaction(interaction, work, private=True)

    @tree.context_menu(name=SONGS_FOR_PHOTO)
    async def songs_for_photo(
        interaction: discord.Interaction[Any], message: discord.Message
    ) -> None:
        """Right-click a message -> Apps: songs for its photo."""
        await adapter.photo_interaction(interaction, message)

    @tree.command(name="blend", description="Blend your linked library into this server's answers")
    @app_commands.guild_only()
    @app_commands.describe(state="on: your songs join this channel's answers; off: they don't")
    async def blend(interaction: discord.Interaction[Any], state: OnOff) -> None:
        """Opt in or out of this channel's blended answers."""

        async def work(ctx: ChatContext, _on_queued: QueueNotice) -> Reply:
            return await service.set_blend(ctx, state == "on")

        await adapter.answer_interaction(interaction, work, private=True)

    tree.error(_on_tree_error)
    return tree


def _plain(use_case: Any) -> Any:
    """A ChatContext-only use case in the shape answer_interaction expects."""

    async def work(ctx: ChatContext, _on_queued: QueueNotice) -> Reply:
        reply: Reply = await use_case(ctx)
        return reply

    return work


async def _on_tree_error(
    interaction: discord.Interaction[Any], error: app_commands.AppCommandError
) -> None:
    """Log the whole error; the user sees one sentence, never a traceback."""
    log.error("discord: /%s failed", getattr(interaction.command, "name", "?"), exc_info=error)
    try:
        if interaction.response.is_done():
            await interaction.followup.send(SORRY["unexpected"], ephemeral=True)
        else:
            await interaction.response.send_message(SORRY["unexpected"], ephemeral=True)
    except discord.HTTPException:
        log.warning("discord: could not tell the user about the failure")
