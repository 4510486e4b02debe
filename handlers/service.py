"""The use cases the chat adapters call; adapters depend on this protocol only."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from handlers.replies import ChatContext, ImageInput, Platform, Reply

# Called with the asker's place in line when their photo has to wait for the vision model.
QueueNotice = Callable[[int], Awaitable[None]]


class BotService(Protocol):
    """Everything a chat adapter can ask for. Each call returns a Reply and never raises for
    anything a user can cause (bad image, model down, database down): those become a Reply
    of kind "error" with one short, friendly sentence."""

    def admit(self, ctx: ChatContext, photos: int = 0) -> Reply | None:
        """Count a request against the rate limit before downloading (each photo counts);
        a refusal Reply when over it, else None (then call `vibe` with admitted=True)."""
        ...

    async def vibe(
        self,
        ctx: ChatContext,
        images: Sequence[ImageInput],
        words: str = "",
        on_queued: QueueNotice | None = None,
        *,
        admitted: bool = False,
    ) -> Reply:
        """Songs for these photos (one soundtrack for several) and/or these words; counted
        against the rate limit here unless `admit` already did."""
        ...

    async def press(self, ctx: ChatContext, action: str) -> Reply:
        """A button press: "<verb>:<answer id>-<token>", the verb one of up, down, more, diff,
        calm, lively, save (handlers/press.py)."""
        ...

    async def link_spotify(self, ctx: ChatContext) -> Reply:
        """Start linking: a Reply of kind "link" carrying the Spotify authorize URL."""
        ...

    async def unlink_spotify(self, ctx: ChatContext) -> Reply:
        """Delete the link's tokens and the imported library."""
        ...

    async def forget_me(self, ctx: ChatContext) -> Reply:
        """Delete everything about this user and say what was deleted."""
        ...

    async def set_auto(self, ctx: ChatContext, enabled: bool) -> Reply:
        """Turn answering every photo in this group chat on or off."""
        ...

    async def auto_enabled(self, platform: Platform, chat_id: str) -> bool:
        """Whether this group chat answers every photo."""
        ...

    async def set_blend(self, ctx: ChatContext, enabled: bool) -> Reply:
        """Let (or stop) this member's linked library blend into this group's answers."""
        ...

    def help(self, platform: Platform) -> Reply:
        """What the bot does and its commands, in the platform's command spelling."""
        ...
