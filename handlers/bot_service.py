"""`BotService`: everything a chat adapter can ask of the use cases (the adapters depend on
this protocol only; handlers/service.py's `DefaultBotService` implements it)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from handlers.pipeline import QueueNotice
from handlers.replies import ChatContext, Platform, Reply, VibeAsk

# QueueNotice is part of vibe's signature: an adapter takes both from here.
__all__ = ["BotService", "QueueNotice"]


class BotService(Protocol):
    """Everything a chat adapter can ask for. Each call returns a Reply and never raises for
    anything a user can cause (bad image, model down, database down): those become a Reply
    of kind "error" with one short, friendly sentence."""

    def admit(self, ctx: ChatContext, photos: int = 0) -> Reply | None:
        """Count a request against the rate limit before downloading (each photo counts);
        a refusal Reply when over it, else None (then pass `vibe` an ask with `admitted=True`)."""
        ...

    async def vibe(
        self, ctx: ChatContext, ask: VibeAsk, on_queued: QueueNotice | None = None
    ) -> Reply:
        """Songs for what the message asks: photos (one soundtrack for several) and/or words;
        counted against the rate limit here unless `admit` already did (`ask.admitted`)."""
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

    def help(self, platform: Platform, ctx: ChatContext | None = None) -> Reply:
        """What the bot does and its commands, in the platform's command spelling; pass the
        asker's `ctx` (/help, /start) to count it against their rate limit."""
        ...

    async def language(self, ctx: ChatContext, argument: str) -> Reply:
        """/language: with no argument, the language in use and the choices; with a code,
        answer this listener in it from now on; "auto" follows their app again."""
        ...

    def in_their_language(self, ctx: ChatContext) -> ChatContext:
        """`ctx` in the asker's chosen language when it is known without asking the database
        (for what an adapter says itself: in line, restarting, a failed download)."""
        ...

    async def is_admin(self, ctx: ChatContext, check: Callable[[], Awaitable[bool]]) -> bool:
        """Whether the asker administers this group: the platform's `check`, remembered for
        a minute (so /auto does not ask the platform every time)."""
        ...
