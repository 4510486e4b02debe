"""Songs on Discord: photos in messages, /vibe, "Songs for this photo", the buttons under
answers, and photos a stopped process had accepted (the answers cog)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.client import MelodicLensBot
from bot.discord.download import download, fresh_attachments
from bot.discord.inbound import Fetchable, interaction_context, is_image, message_context, words_of
from bot.discord.inbox import Entry, context_of, interaction_entry, message_entry, store
from bot.discord.line_notices import waiting
from bot.discord.outbox import deliver_stored, reply_to, typing
from bot.discord.render import PRESS_EVENT, Rendered, render
from bot.lifecycle import NOT_STORED, Accepted
from db.inbox import InboxItem
from handlers.bot_service import QueueNotice
from handlers.replies import ChatContext, Reply, VibeAsk
from handlers.texts import (
    COMMAND_DESCRIPTIONS,
    NO_PHOTO_THERE,
    OPTION_DESCRIPTIONS,
    QUEUED,
    RESTARTING,
    SONGS_FOR_PHOTO,
    say,
)

log = logging.getLogger(__name__)

# Enough for "rainy, but make it upbeat and instrumental"; longer text is not a mood.
WORDS_MAX_CHARS = 300

# One use case as an interaction runs it: the asker's context, the "in line" callback.
UseCase = Callable[[ChatContext, QueueNotice], Awaitable[Reply]]


class Answers(commands.Cog):
    """Photos and words in, songs out."""

    def __init__(self, bot: MelodicLensBot) -> None:
        self.bot = bot
        # Context menus cannot be cog methods (discord.py), so the cog adds this one itself.
        self.photo_menu = app_commands.ContextMenu(
            name=SONGS_FOR_PHOTO, callback=self.songs_for_photo
        )

    async def cog_load(self) -> None:
        """Put "Songs for this photo" on the command tree."""
        self.bot.tree.add_command(self.photo_menu)

    async def cog_unload(self) -> None:
        """Take it off again."""
        self.bot.tree.remove_command(self.photo_menu.name, type=self.photo_menu.type)

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """Answer photos (and words addressed to the bot) with songs."""
        me = self.bot.user
        direct = message.guild is None or (me is not None and me in message.mentions)
        images = [item for item in message.attachments if is_image(item)]
        if message.author.bot or (not images and not direct):
            return  # an ordinary chat message (or, without the intent, one we cannot read)
        if not direct and not await self.bot.service.auto_enabled(
            "discord", str(message.channel.id)
        ):
            return  # /auto off in this channel: only photos that mention the bot
        words = words_of(message, me)
        if not self.bot.lifecycle.accepting:
            lang = self.bot.service.in_their_language(message_context(message)).lang
            await reply_to(message, Rendered(content=say(lang, RESTARTING)))
        elif not (images or message.attachments or words):
            await reply_to(message, render(self.bot.help_reply(message_context(message))))
        else:  # a lone non-image file goes through so the service can say what it is
            await self.answer_message(message, images or message.attachments[:1], words)

    @commands.Cog.listener(name="on_" + PRESS_EVENT)
    async def on_press(self, interaction: discord.Interaction[Any], action: str) -> None:
        """A button press: feedback gets a private nod, more/different a new public answer."""
        if not self.bot.lifecycle.accepting:
            await interaction.response.send_message(
                _said(self.bot, interaction, RESTARTING), ephemeral=True
            )
            return
        with self.bot.lifecycle.answering():
            await interaction.response.defer()
            reply = await self.bot.service.press(interaction_context(interaction), action)
            rendered = render(reply)
            private = rendered.ephemeral or reply.kind != "answer"
            await interaction.followup.send(ephemeral=private, **rendered.kwargs())

    @app_commands.command(name="vibe", description=COMMAND_DESCRIPTIONS["discord"]["vibe"])
    @app_commands.describe(
        image=OPTION_DESCRIPTIONS["vibe", "image"], words=OPTION_DESCRIPTIONS["vibe", "words"]
    )
    async def vibe(
        self,
        interaction: discord.Interaction[Any],
        image: discord.Attachment | None = None,
        words: app_commands.Range[str, 1, WORDS_MAX_CHARS] | None = None,
    ) -> None:
        """Songs for the photo and/or the words."""
        attachments = [image] if image else []
        entry = interaction_entry(interaction, "vibe", attachments, words or "")
        work = self._songs_for(attachments, words or "")
        await answer_interaction(self.bot, interaction, work, entry=entry)

    async def songs_for_photo(
        self, interaction: discord.Interaction[Any], message: discord.Message
    ) -> None:
        """Right-click a message -> Apps: songs for its pictures, its words as the mood."""
        images = [item for item in message.attachments if is_image(item)]
        if not images:
            text = _said(self.bot, interaction, NO_PHOTO_THERE)
            await interaction.response.send_message(text, ephemeral=True)
            return
        words = words_of(message, self.bot.user)
        entry = interaction_entry(interaction, "photo_menu", images, words, message)
        await answer_interaction(self.bot, interaction, self._songs_for(images, words), entry=entry)

    async def answer_message(
        self, message: discord.Message, attachments: Sequence[discord.Attachment], words: str
    ) -> None:
        """Count the request (one per attachment; a refusal is answered, never stored), store
        the photo in the inbox, then answer it in reply, showing its place in line."""
        refusal = self.bot.service.admit(message_context(message), len(attachments))
        if refusal is not None:
            if not refusal.silent:  # a flood is refused once per window, not once a message
                await reply_to(message, render(refusal))
            return
        lifecycle = self.bot.lifecycle
        with lifecycle.answering():
            accepted = await store(lifecycle, message_entry(message, list(attachments), words))
            if accepted is not None:  # None: delivered twice, answered the first time
                await lifecycle.settle(accepted, self._reply(message, attachments, words))

    async def _reply(
        self, message: discord.Message, attachments: Sequence[Fetchable], words: str
    ) -> None:
        ctx = message_context(message)
        lang = self.bot.service.in_their_language(ctx).lang
        async with waiting(message, lang) as on_queued:
            async with typing(message.channel):
                reply = await self.songs(ctx, attachments, words, on_queued, admitted=True)
            if not reply.silent:
                await reply_to(message, render(reply))

    async def songs(
        self,
        ctx: ChatContext,
        attachments: Sequence[Fetchable],
        words: str,
        on_queued: QueueNotice,
        *,
        admitted: bool = False,
    ) -> Reply:
        """Count the request (one per attachment) before fetching anything, fetch the
        attachments, then ask the service; a failed fetch is its own reply. A replayed photo
        was counted when it first arrived (`admitted`)."""
        service = self.bot.service
        refusal = None if admitted else service.admit(ctx, len(attachments))
        if refusal is not None:
            return refusal
        limit = self.bot.settings.max_image_bytes
        lang = service.in_their_language(ctx).lang
        images = await download(attachments, limit, lang) if attachments else []
        if isinstance(images, str):
            return Reply(kind="error", text=images)
        return await service.vibe(ctx, VibeAsk(tuple(images), words, admitted=True), on_queued)

    def _songs_for(self, attachments: Sequence[Fetchable], words: str) -> UseCase:
        async def work(ctx: ChatContext, on_queued: QueueNotice) -> Reply:
            return await self.songs(ctx, attachments, words, on_queued)

        return work

    async def replay(self, item: InboxItem) -> None:
        """A photo a stopped process had accepted but not answered: answered in a task of its
        own, so the inbox upkeep goes on renewing leases meanwhile."""
        lifecycle = self.bot.lifecycle
        if lifecycle.accepting:  # else stopping: the next process takes it once its lease lapses
            answer = lifecycle.settle(Accepted((item.id,)), self._answer_stored(item.payload))
            lifecycle.spawn(answer, name=f"discord-replay-{item.id}")

    async def _answer_stored(self, payload: dict[str, Any]) -> None:
        """Answer a photo a stopped process had accepted, from what the inbox kept of it."""
        try:
            attachments = await fresh_attachments(self.bot, payload)
            if attachments is None:
                return  # the photo was deleted: nobody waits for its songs any more
            ctx, words = context_of(payload), payload["words"]
            async with typing(self.bot.get_partial_messageable(int(payload["channel_id"]))):
                reply = await self.songs(ctx, attachments, words, _no_notice, admitted=True)
            await deliver_stored(self.bot, payload, render(reply))
        except Exception:
            # No discord.py event runs this (the inbox upkeep does): the bot's handler takes it.
            await self.bot.on_error("inbox replay", payload)


async def answer_interaction(
    bot: MelodicLensBot,
    interaction: discord.Interaction[Any],
    work: UseCase,
    *,
    private: bool = False,
    entry: Entry | None = None,
) -> None:
    """Defer at once (Discord allows 3 s), run the use case, answer when it is ready. With
    an inbox `entry` (a photo), it is stored right after the deferral, before any work."""
    if not bot.lifecycle.accepting:
        await interaction.response.send_message(_said(bot, interaction, RESTARTING), ephemeral=True)
        return
    with bot.lifecycle.answering():
        await interaction.response.defer(thinking=True, ephemeral=private)
        accepted = await store(bot.lifecycle, entry) if entry is not None else NOT_STORED
        if accepted is not None:
            answer = _answer_deferred(bot, interaction, work, private)
            await bot.lifecycle.settle(accepted, answer)


async def _answer_deferred(
    bot: MelodicLensBot, interaction: discord.Interaction[Any], work: UseCase, private: bool
) -> None:
    queued: list[int] = []
    ctx = interaction_context(interaction)
    lang = bot.service.in_their_language(ctx).lang

    async def on_queued(position: int) -> None:
        queued.append(position)
        text = say(lang, QUEUED, position=position)
        await interaction.edit_original_response(content=text)

    reply = await work(ctx, on_queued)
    parts = render(reply).kwargs()
    if queued:  # the "in line" note becomes the answer
        await interaction.edit_original_response(**{"content": None, **parts})
    else:
        await interaction.followup.send(ephemeral=private, **parts)


def _said(bot: MelodicLensBot, interaction: discord.Interaction[Any], sentence: str) -> str:
    """One of the adapter's own sentences in the presser's language."""
    return say(bot.service.in_their_language(interaction_context(interaction)).lang, sentence)


async def _no_notice(position: int) -> None:
    """A replayed photo shows no place in line (nobody is watching a deferred command)."""
