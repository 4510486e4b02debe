"""The Discord adapter: filter messages, download photos, call the BotService, render its Reply."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import replace
from typing import Any, Literal

import aiohttp
import discord
from discord import app_commands

from bot.discord import commands as discord_commands
from bot.discord.client import DiscordStartError, build_client
from bot.discord.commands import UseCase
from bot.discord.inbound import (
    Fetchable,
    interaction_context,
    is_image,
    message_context,
    words_of,
)
from bot.discord.intake import (
    context_of,
    deliver_stored,
    fresh_attachments,
    interaction_entry,
    message_entry,
)
from bot.discord.render import MESSAGE_CONTENT_LIMIT, PRESS_EVENT, ActionButton, Rendered, render
from bot.discord.sync import KeptState, publish_if_changed, with_mentions
from bot.settings import Settings, env_name
from db.inbox import InboxItem
from handlers import texts
from handlers.inbox import DurableInbox
from handlers.replies import ChatContext, ImageInput, Platform, Reply
from handlers.service import BotService, QueueNotice
from handlers.texts import NO_PHOTO_THERE, QUEUED, RESTARTING, SORRY

log = logging.getLogger(__name__)

# A gateway that has not said READY by then is not coming; sharded logins identify one
# shard about every 5 s, so this leaves room for a couple of dozen shards per process.
READY_TIMEOUT_S = 150.0
# stop() waits this long for accepted photos to be answered: above the vision timeout plus a
# queue's worth of waiting, below what an operator would call a hung shutdown.
DRAIN_TIMEOUT_S = 120.0

PORTAL_STEPS = (
    "Discord Developer Portal -> your application -> Bot -> Privileged Gateway Intents -> "
    "Message Content Intent"
)
DOWNLOAD_FAILED = texts.DOWNLOAD_FAILED.format(platform="Discord")
# What _store answers for a message or interaction the inbox already holds (a redelivery).
SEEN: Literal["seen"] = "seen"


class DiscordAdapter:
    """Runs the Discord bot over a BotService; also delivers notices (the Notifier protocol)."""

    def __init__(
        self,
        settings: Settings,
        service: BotService,
        state: KeptState | None = None,
        inbox: DurableInbox | None = None,
    ) -> None:
        self.settings = settings
        self.service = service
        # With an inbox, every accepted photo is written down before work starts on it and
        # answered by whichever process runs next if this one dies (bot/discord/intake.py).
        self.inbox = inbox
        self._upkeep: asyncio.Task[None] | None = None
        # Where the hash of the published commands is kept (None: publish at every start).
        self.state = state
        # The published commands' ids by name, for clickable mentions in /help.
        self.command_ids: dict[str, int] = {}
        self.client: discord.Client | None = None
        self.message_content = False
        self._accepting = False
        self._busy: set[asyncio.Task[Any]] = set()
        self._gateway: asyncio.Task[None] | None = None
        self._tree: app_commands.CommandTree[Any] | None = None

    # --- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Log in, connect, publish the slash commands; return once Discord says READY."""
        if self.settings.discord_token is None:
            raise DiscordStartError(f"Set {env_name('discord_token')} to run the Discord bot.")
        client = await self._login(message_content=True)
        if not _portal_allows_message_content(client):
            await client.close()
            client = await self._login(message_content=False)
        try:
            await self._connect(client)
        except discord.PrivilegedIntentsRequired:
            await client.close()
            client = await self._login(message_content=False)
            await self._connect(client)
        self._accepting = True
        self._announce(client)
        await self._sync_commands(client)
        if self.inbox is not None:
            upkeep = self.inbox.maintain(self._replay)
            self._upkeep = asyncio.create_task(upkeep, name="discord-inbox")

    async def stop(self, drain_s: float = DRAIN_TIMEOUT_S) -> None:
        """Take no new work, finish the answers already accepted, then disconnect."""
        self._accepting = False
        pending = {task for task in self._busy if task is not asyncio.current_task()}
        if pending:
            log.info("discord: finishing %d answer(s) before disconnecting", len(pending))
            _done, late = await asyncio.wait(pending, timeout=drain_s)
            if late:
                log.warning("discord: %d answer(s) still running after %.0f s", len(late), drain_s)
        if self._upkeep is not None and self.inbox is not None:
            # Renewed the leases of the answers above until now; whatever is left unanswered
            # is taken over by the next process once its lease lapses.
            self.inbox.stop()
            await self._upkeep
        if self.client is not None:
            await self.client.close()
        if self._gateway is not None:
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await self._gateway

    async def _login(self, message_content: bool) -> discord.Client:
        assert self.settings.discord_token is not None
        client = build_client(self.settings, message_content)
        self._wire(client)
        try:
            await client.login(self.settings.discord_token.get_secret_value())
        except discord.LoginFailure:
            await client.close()
            raise DiscordStartError(
                f"Discord refused {env_name('discord_token')}: copy the token again from the "
                "Developer Portal (your application -> Bot -> Reset Token)."
            ) from None
        except (discord.HTTPException, aiohttp.ClientError, OSError) as err:
            await client.close()
            raise DiscordStartError(f"Could not reach Discord to log in: {err}.") from err
        self.client, self.message_content = client, message_content
        return client

    async def _connect(self, client: discord.Client) -> None:
        gateway = asyncio.create_task(client.connect(), name="discord gateway")
        ready = asyncio.create_task(client.wait_until_ready())
        done, _ = await asyncio.wait(
            {gateway, ready}, timeout=READY_TIMEOUT_S, return_when=asyncio.FIRST_COMPLETED
        )
        ready.cancel()
        if gateway in done:
            error = gateway.exception()
            if isinstance(error, discord.PrivilegedIntentsRequired):
                raise error
            await client.close()
            raise DiscordStartError(f"Discord's gateway closed during start-up: {error}.")
        if not done:
            gateway.cancel()
            await client.close()
            raise DiscordStartError(
                f"Discord's gateway sent no READY within {READY_TIMEOUT_S:g} s."
            )
        gateway.add_done_callback(_log_gateway_end)
        self._gateway = gateway

    async def _sync_commands(self, client: discord.Client) -> None:
        shard_ids = getattr(client, "shard_ids", None)
        if shard_ids is not None and 0 not in shard_ids:
            return  # one process (the one holding shard 0) publishes the commands
        assert self._tree is not None
        try:
            self.command_ids = await publish_if_changed(self._tree, self.state)
        except discord.HTTPException as err:
            log.warning("discord: could not publish slash commands (%s); messages still work", err)
        except Exception as err:  # the kept state (database) failing must not stop the bot
            log.warning("discord: could not check the published commands: %s", err)
            self.command_ids = await publish_if_changed(self._tree, None)

    def _wire(self, client: discord.Client) -> None:
        client.event(self.on_message)
        client.event(self.on_error)
        setattr(client, "on_" + PRESS_EVENT, self.on_press)
        client.add_dynamic_items(ActionButton)
        self._tree = discord_commands.build_tree(client, self)

    def _announce(self, client: discord.Client) -> None:
        user = client.user
        log.info("discord: logged in as %s (%s)", user, getattr(user, "id", "?"))
        if self.message_content:
            log.info("discord: Message Content intent on: every photo in a channel is answered")
        else:
            log.warning(
                "discord: the Message Content intent is off, so photos in server channels are "
                "answered only when they mention the bot (DMs and /vibe work as usual). To "
                "answer every photo, enable it: %s, then restart.",
                PORTAL_STEPS,
            )

    # --- events ----------------------------------------------------------------------------

    async def on_message(self, message: discord.Message) -> None:
        """Answer photos (and words addressed to the bot) with songs."""
        if message.author.bot or self.client is None:
            return
        me = self.client.user
        direct = message.guild is None or (me is not None and me in message.mentions)
        images = [item for item in message.attachments if is_image(item)]
        words = words_of(message, me)
        if not images and not direct:
            return  # an ordinary chat message (or, without the intent, one we cannot read)
        if not direct and not await self.service.auto_enabled("discord", str(message.channel.id)):
            return  # /auto off in this channel: only photos that mention the bot
        if not self._accepting:
            await self._send_to_message(message, Rendered(content=RESTARTING))
            return
        with self._track():
            if images or message.attachments or words:
                # A lone non-image file goes through so the service can say what it is.
                attachments = images or message.attachments[:1]
                row = await self._store(*message_entry(message, attachments, words))
                if row != SEEN:
                    await self._settle(row, self._answer_photo(message, attachments, words))
            else:
                await self._send_to_message(message, render(self.help()))

    async def on_press(self, interaction: discord.Interaction[Any], action: str) -> None:
        """A button press: feedback gets a private nod, more/different a new public answer."""
        if not self._accepting:
            await interaction.response.send_message(RESTARTING, ephemeral=True)
            return
        with self._track():
            await interaction.response.defer()
            reply = await self._safely(self.service.press(interaction_context(interaction), action))
            rendered = render(reply)
            private = rendered.ephemeral or reply.kind != "answer"
            await interaction.followup.send(ephemeral=private, **rendered.kwargs())

    async def on_error(self, event: str, /, *args: Any, **kwargs: Any) -> None:
        """Anything unexpected in an event: log it whole; the bot keeps serving others."""
        log.error("discord: unexpected error in %s", event, exc_info=True)

    # --- the photo path --------------------------------------------------------------------

    async def _answer_photo(
        self, message: discord.Message, attachments: Sequence[Fetchable], words: str
    ) -> None:
        notices: list[discord.Message] = []

        async def on_queued(position: int) -> None:
            text = QUEUED.format(position=position)
            if notices:
                await notices[0].edit(content=text)
            else:
                notices.append(await self._send_to_message(message, Rendered(content=text)))

        async with _typing(message.channel):
            work = self._vibe(message_context(message), attachments, words, on_queued)
            reply = await self._safely(work)
        await self._send_to_message(message, render(reply))
        for notice in notices:  # the place in line is old news once the answer is there
            with contextlib.suppress(discord.HTTPException):
                await notice.delete()

    async def _vibe(
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
        refusal = None if admitted else self.service.admit(ctx, len(attachments))
        if refusal is not None:
            return refusal
        images = await self.download(attachments) if attachments else []
        if isinstance(images, str):
            return Reply(kind="error", text=images)
        return await self.service.vibe(ctx, images, words, on_queued, admitted=True)

    async def download(self, attachments: Sequence[Fetchable]) -> list[ImageInput] | str:
        """The attachments' bytes, or one sentence saying why they could not be fetched."""
        limit = self.settings.max_image_bytes
        wanted = [item for item in attachments if item.size <= limit]
        if not wanted:
            return (
                f"That file is {_megabytes(attachments[0].size)}; the limit is "
                f"{_megabytes(limit)}. Send a smaller photo."
            )
        try:
            blobs = await asyncio.gather(*(item.read() for item in wanted))
        except (discord.HTTPException, aiohttp.ClientError, OSError, TimeoutError) as err:
            log.warning("discord: attachment download failed: %s", err)
            return DOWNLOAD_FAILED
        return [
            ImageInput(data, item.filename, item.content_type)
            for data, item in zip(blobs, wanted, strict=True)
        ]

    async def _send_to_message(
        self, message: discord.Message, rendered: Rendered
    ) -> discord.Message:
        # Still delivered (not as a reply) if the photo was deleted in the meantime.
        reference = message.to_reference(fail_if_not_exists=False)
        try:
            return await message.channel.send(reference=reference, **rendered.kwargs())
        except discord.Forbidden:
            # Replying needs Read Message History; without it, answer beside the photo.
            log.warning("discord: cannot reply in channel %s; sending plainly", message.channel.id)
            return await message.channel.send(**rendered.kwargs())

    async def _safely(self, call: Awaitable[Reply]) -> Reply:
        """The service's Reply; anything it raises becomes one short sentence and a log entry."""
        try:
            reply = await call
        except Exception:
            log.exception("discord: the service failed")
            return Reply(kind="error", text=SORRY["unexpected"])
        return reply

    @contextlib.contextmanager
    def _track(self) -> Iterator[None]:
        """Count the current task as an answer in flight, so that stop() waits for it."""
        task = asyncio.current_task()
        assert task is not None
        self._busy.add(task)
        try:
            yield
        finally:
            self._busy.discard(task)

    # --- durable intake (bot/discord/intake.py) -------------------------------------------

    async def _store(self, key: str, payload: dict[str, Any]) -> int | Literal["seen"] | None:
        """Write an accepted photo to the inbox before any work on it: its row, None when there
        is no inbox or the database is away (answered all the same, without the safety net),
        SEEN when it was stored before (the gateway delivered it twice)."""
        if self.inbox is None:
            return None
        try:
            row = await self.inbox.accept(
                key, payload, chat_id=payload["channel_id"], user_id=payload["user_id"]
            )
        except Exception as err:
            log.warning("discord: could not store %s in the inbox (%s); answering it anyway, "
                        "but a crash now would lose it", key, err)  # fmt: skip
            return None
        if row is None:
            log.info("discord: %s was delivered before; skipped", key)
            return SEEN
        return row

    async def _settle(self, row: int | None, answer: Awaitable[None]) -> None:
        """Run an answer; its inbox row is done afterwards, also when the answer failed (a
        second try would fail alike), but not when it is cancelled (a stop past its grace:
        the next process answers it)."""
        try:
            await answer
        finally:
            task = asyncio.current_task()
            cancelled = task is not None and task.cancelling() > 0
            if row is not None and self.inbox is not None and not cancelled:
                await self.inbox.done([row])

    async def _replay(self, item: InboxItem) -> None:
        """A photo a stopped process had accepted but not answered: answer it in a task of its
        own, so the upkeep goes on renewing leases meanwhile."""
        if not self._accepting or self.client is None:
            return  # stopping: its lease lapses after the exit, and the next process takes it
        task = asyncio.create_task(self._settle(item.id, self._answer_stored(item.payload)))
        self._busy.add(task)
        task.add_done_callback(self._busy.discard)

    async def _answer_stored(self, payload: dict[str, Any]) -> None:
        """Answer a photo a stopped process had accepted, from what the inbox kept of it."""
        assert self.client is not None
        channel = self.client.get_partial_messageable(int(payload["channel_id"]))
        try:
            attachments = await fresh_attachments(self.client, payload)
            if attachments is None:
                return  # the photo was deleted: nobody waits for its songs any more
            async with _typing(channel):
                work = self._vibe(
                    context_of(payload), attachments, payload["words"], _no_notice, admitted=True
                )
                reply = await self._safely(work)
            await deliver_stored(self.client, payload, render(reply))
        except Exception:
            log.exception("discord: could not answer stored %s %s in channel %s",
                          payload.get("kind"), payload.get("message_id"),
                          payload.get("channel_id"))  # fmt: skip

    # --- slash commands (called by bot.discord.commands) -----------------------------------

    async def answer_interaction(
        self,
        interaction: discord.Interaction[Any],
        work: UseCase,
        private: bool = False,
        entry: tuple[str, dict[str, Any]] | None = None,
    ) -> None:
        """Defer at once (Discord allows 3 s), run the use case, answer when it is ready. With
        an inbox `entry` (a photo), it is stored right after the deferral, before any work."""
        if not self._accepting:
            await interaction.response.send_message(RESTARTING, ephemeral=True)
            return
        with self._track():
            await interaction.response.defer(thinking=True, ephemeral=private)
            row = await self._store(*entry) if entry is not None else None
            if row != SEEN:
                await self._settle(row, self._answer_deferred(interaction, work, private))

    async def _answer_deferred(
        self, interaction: discord.Interaction[Any], work: UseCase, private: bool
    ) -> None:
        queued: list[int] = []

        async def on_queued(position: int) -> None:
            queued.append(position)
            await interaction.edit_original_response(content=QUEUED.format(position=position))

        reply = await self._safely(work(interaction_context(interaction), on_queued))
        parts = render(reply).kwargs()
        if queued:  # the "in line" note becomes the answer
            await interaction.edit_original_response(**{"content": None, **parts})
        else:
            await interaction.followup.send(ephemeral=private, **parts)

    def help(self) -> Reply:
        """/help, with every command name a clickable mention once the ids are known."""
        reply = self.service.help("discord")
        return replace(reply, text=with_mentions(reply.text, self.command_ids))

    async def photo_interaction(
        self, interaction: discord.Interaction[Any], message: discord.Message
    ) -> None:
        """ "Songs for this photo" on a message: its pictures, and its words as the mood."""
        images = [item for item in message.attachments if is_image(item)]
        if not images:
            await interaction.response.send_message(NO_PHOTO_THERE, ephemeral=True)
            return
        words = words_of(message, self.client.user if self.client else None)

        async def work(ctx: ChatContext, on_queued: QueueNotice) -> Reply:
            return await self._vibe(ctx, images, words, on_queued)

        entry = interaction_entry(interaction, "photo_menu", images, words, message)
        await self.answer_interaction(interaction, work, entry=entry)

    async def vibe_interaction(
        self, interaction: discord.Interaction[Any], image: discord.Attachment | None, words: str
    ) -> None:
        """/vibe: songs for the attached photo and/or the words."""

        attachments = [image] if image else []

        async def work(ctx: ChatContext, on_queued: QueueNotice) -> Reply:
            return await self._vibe(ctx, attachments, words, on_queued)

        entry = interaction_entry(interaction, "vibe", attachments, words)
        await self.answer_interaction(interaction, work, entry=entry)

    def held(self) -> dict[str, Callable[[], int]]:
        """The sizes of what this adapter and discord.py keep in memory per user or message
        (for the metrics: discord.py bounds its message cache, and users live only as long as
        a cached message refers to them)."""
        return {
            "discord_answers_running": lambda: len(self._busy),
            "discord_cached_messages": lambda: (
                len(self.client.cached_messages) if self.client else 0
            ),
            "discord_cached_users": lambda: len(self.client.users) if self.client else 0,
        }

    # --- the Notifier protocol -------------------------------------------------------------

    async def send(self, platform: Platform, chat_id: str, text: str) -> None:
        """Post a notice to a channel (or, when the id is a user's, to their DMs); best effort:
        failures are logged, never raised."""
        if platform != "discord" or self.client is None:
            log.warning(
                "discord: notice for %s chat %s dropped: not a connected Discord chat",
                platform,
                chat_id,
            )
            return
        content = text[:MESSAGE_CONTENT_LIMIT]
        try:
            target = await self._messageable(int(chat_id))
            await target.send(content)
        except (discord.HTTPException, ValueError) as err:
            log.warning("discord: could not deliver a notice to %s: %s", chat_id, err)

    async def _messageable(self, target_id: int) -> discord.abc.Messageable:
        assert self.client is not None
        channel = self.client.get_channel(target_id)
        if isinstance(channel, discord.abc.Messageable):
            return channel
        try:
            fetched = await self.client.fetch_channel(target_id)
        except discord.NotFound:
            return await self.client.fetch_user(target_id)
        if not isinstance(fetched, discord.abc.Messageable):
            raise ValueError("that channel cannot hold messages")
        return fetched


def _portal_allows_message_content(client: discord.Client) -> bool:
    """Whether the Developer Portal switch is on (verified bots get the unlimited flag)."""
    flags = client.application_flags
    return bool(flags.gateway_message_content or flags.gateway_message_content_limited)


def _log_gateway_end(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("discord: the gateway connection ended", exc_info=task.exception())


async def _no_notice(position: int) -> None:
    """A replayed photo shows no place in line (nobody is watching a deferred command)."""


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB".replace(".0 MB", " MB")


@contextlib.asynccontextmanager
async def _typing(channel: discord.abc.Messageable) -> AsyncIterator[None]:
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
