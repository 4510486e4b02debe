"""Platform-neutral inputs and answers: what adapters hand to use cases and render back."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from recsys.models import Recommendation

Platform = Literal["discord", "telegram", "cli"]


@dataclass(frozen=True)
class ChatContext:
    """Who asked, and where."""

    platform: Platform
    user_id: str
    chat_id: str
    user_name: str | None = None
    is_group: bool = False
    # the language to answer in (handlers/i18n.py SUPPORTED): the platform's locale for the
    # asker, replaced by their /language choice where they made one
    lang: str = "en"


@dataclass(frozen=True)
class ImageInput:
    """One image as downloaded by an adapter."""

    data: bytes
    filename: str | None = None
    mime_type: str | None = None


@dataclass(frozen=True)
class VibeAsk:
    """What one chat message asks songs for: its photos (one soundtrack for several) and/or
    its words."""

    images: tuple[ImageInput, ...] = ()
    words: str = ""
    # already counted against the rate limit by `BotService.admit`, before the download
    admitted: bool = False


# "answer": the Reply that carries a Recommendation (songs); the others carry one sentence.
ReplyKind = Literal["answer", "error", "info", "queued", "link"]


@dataclass(frozen=True)
class Button:
    """An action button; `action` round-trips through the platform as callback data.

    An action is `<verb>:<rec id>-<token>` (handlers/press.py), the verb one of up, down,
    more, diff, calm, lively, save; at most 48 characters, inside Telegram's 64-byte
    callback_data and Discord's custom_id limits.
    """

    label: str
    action: str


@dataclass(frozen=True)
class Reply:
    """What a use case answers; adapters render it as an embed or an HTML message."""

    kind: ReplyKind
    text: str
    recommendation: Recommendation | None = None
    buttons: tuple[Button, ...] = ()
    # the photo's dominant colour as 0xRRGGBB, for a Discord embed
    color: int | None = None
    # a link the user should open (the Spotify authorize URL, a saved playlist)
    url: str | None = None
    # the link button's label; None: the platform's label for connecting Spotify
    url_label: str | None = None
    # shown only to the asker where the platform can (Discord ephemeral answers)
    private: bool = False
    extra_lines: tuple[str, ...] = field(default=())
    # said under the songs when they were made differently from usual (texts.NOTICES)
    notice: str | None = None
    # a refusal already said once in this rate-limit window: adapters may send nothing
    # (a flood of messages then gets one bot message, not one each)
    silent: bool = False
