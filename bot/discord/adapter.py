"""The Discord adapter's lifecycle: log in (without the Message Content intent when the portal
refuses it), connect, publish the commands, run the inbox upkeep; stop after a bounded drain. Also
delivers notices (the Notifier protocol)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence

import aiohttp
import discord

from bot.discord.answers import Answers
from bot.discord.client import DiscordStartError, Feature, MelodicLensBot, build_bot
from bot.discord.commands import Commands
from bot.discord.outbox import send_notice
from bot.discord.publishing import KeptState, publish_if_changed
from bot.lifecycle import DRAIN_TIMEOUT_S, Lifecycle
from bot.settings import Settings, env_name
from handlers.bot_service import BotService
from handlers.inbox import DurableInbox
from handlers.replies import Platform

log = logging.getLogger(__name__)

# A gateway that has not said READY by then is not coming; sharded logins identify one
# shard about every 5 s, so this leaves room for a couple of dozen shards per process.
READY_TIMEOUT_S = 150.0

PORTAL_STEPS = (
    "Discord Developer Portal -> your application -> Bot -> Privileged Gateway Intents -> "
    "Message Content Intent"
)
# One cog per feature (RoboDanny's layout): songs for photos and words, and the other commands.
FEATURES: Sequence[Feature] = (Answers, Commands)

__all__ = ["PORTAL_STEPS", "DiscordAdapter", "DiscordStartError"]


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
        # Where the hash of the published commands is kept (None: publish at every start).
        self.state = state
        # With an inbox, every accepted photo is written down before work starts on it and
        # answered by whichever process runs next if this one dies (bot/discord/inbox.py).
        self.lifecycle = Lifecycle("discord", inbox)
        self.client: MelodicLensBot | None = None
        self.message_content = False
        self._gateway: asyncio.Task[None] | None = None

    @property
    def command_ids(self) -> dict[str, int]:
        """The published commands' ids by name (empty until they are published)."""
        return self.client.command_ids if self.client is not None else {}

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
        self.lifecycle.accepting = True
        self._announce(client)
        await self._publish_commands(client)
        answers = client.get_cog(Answers.__cog_name__)
        assert isinstance(answers, Answers)
        self.lifecycle.start_upkeep(answers.replay)

    async def stop(self, drain_s: float = DRAIN_TIMEOUT_S) -> None:
        """Take no new work, finish the answers already accepted, then disconnect."""
        self.lifecycle.accepting = False
        await self.lifecycle.drain(drain_s)
        await self.lifecycle.stop_upkeep()
        if self.client is not None:
            await self.client.close()
        if self._gateway is not None:
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await self._gateway

    async def _login(self, message_content: bool) -> MelodicLensBot:
        assert self.settings.discord_token is not None
        client = build_bot(self.settings, self.service, self.lifecycle, FEATURES, message_content)
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

    async def _publish_commands(self, client: MelodicLensBot) -> None:
        shard_ids = getattr(client, "shard_ids", None)
        if shard_ids is not None and 0 not in shard_ids:
            return  # one process (the one holding shard 0) publishes the commands
        try:
            client.command_ids = await publish_if_changed(client.tree, self.state)
        except discord.HTTPException as err:
            log.warning("discord: could not publish slash commands (%s); messages still work", err)
        except Exception as err:  # the kept state (database) failing must not stop the bot
            log.warning("discord: could not check the published commands: %s", err)
            client.command_ids = await publish_if_changed(client.tree, None)

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

    def held(self) -> dict[str, Callable[[], int]]:
        """The sizes of what this adapter and discord.py keep in memory per user or message
        (discord.py bounds its message cache, and users live only as long as a cached message
        refers to them)."""
        return self.lifecycle.held(
            cached_messages=lambda: len(self.client.cached_messages) if self.client else 0,
            cached_users=lambda: len(self.client.users) if self.client else 0,
        )

    async def send(self, platform: Platform, chat_id: str, text: str) -> None:
        """Post a notice to a channel (or, when the id is a user's, to their DMs); best effort:
        failures are logged, never raised."""
        if self.lifecycle.is_ours(platform, chat_id) and self.client is not None:
            await send_notice(self.client, chat_id, text)


def _portal_allows_message_content(client: discord.Client) -> bool:
    """Whether the Developer Portal switch is on (verified bots get the unlimited flag)."""
    flags = client.application_flags
    return bool(flags.gateway_message_content or flags.gateway_message_content_limited)


def _log_gateway_end(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("discord: the gateway connection ended", exc_info=task.exception())
