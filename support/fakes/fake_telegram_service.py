"""A hand-written BotService for the Telegram adapter tests: realistic Replies, recorded calls."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from handlers.replies import ChatContext, ImageInput, Platform, Reply
from recsys.models import AudioTraits, Recommendation, TrackPick
from support.fakes.bot_service import RecordingService, answer_buttons

# Real-looking tracks; the first title and reason carry HTML-special characters on purpose.
TRACKS = (
    TrackPick(
        1,
        "4uLU6hMCjMI75M1A2tKUQC",
        "Rock & Roll <Live>",
        ("AC/DC",),
        ("energy", "party"),
        'Loud & bright, like the "crowd" in your photo',
        0.91,
    ),
    TrackPick(
        2,
        "7ouMYWpwJ422jRcDASZB7P",
        "Holocene",
        ("Bon Iver",),
        ("calm", "nature"),
        "Quiet and wide, from your playlist Night Drives",
        0.88,
        "Night Drives",
    ),
    TrackPick(
        3,
        "0VjIjW4GlUZAMYd2vXMi3b",
        "Blinding Lights",
        ("The Weeknd",),
        ("energy",),
        "City lights at night",
        0.85,
    ),
    TrackPick(
        4,
        "3n3Ppam7vgaVa1iaRUc9Lp",
        "Mr. Brightside",
        ("The Killers",),
        ("nostalgia",),
        "Restless and nostalgic",
        0.80,
    ),
    TrackPick(
        5,
        "2Fxmhks0bxGSBdJ92vM42m",
        "bad guy",
        ("Billie Eilish", "Finneas"),
        ("party",),
        "Dark and playful",
        0.78,
    ),
    TrackPick(
        6, "6DCZcSspjsKoFjzjrWoCdn", "God's Plan", ("Drake",), ("empowerment",), "Confident", 0.70
    ),
)
SHOWN = 3


def buttons(rec_id: int) -> list[tuple[str, str]]:
    """The inline keyboard (label, callback_data) every rendered answer must carry."""
    return [(b.label, b.action) for b in answer_buttons(rec_id)]


@dataclass
class FakeService(RecordingService):
    """Answers like the real service would; knobs let tests make it slow, queue or fail."""

    calls: list[tuple[str, Any]] = field(default_factory=list)
    auto_chats: set[str] = field(default_factory=set)
    disliked: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._rec_ids = itertools.count(41)

    def vibe_answer(self, images: Sequence[ImageInput], words: str) -> Reply:
        """Songs, or the friendly refusal for something that is not an image."""
        for image in images:
            if not (image.mime_type or "").startswith("image/"):
                return Reply(kind="error", text="That file isn't an image I can read.")
        if not images and not words:
            return Reply(kind="info", text="Send me a photo, or /vibe with a few words.")
        mood = f"Neon night, {len(images)} photo(s) <wild & free>"
        return self._answer(mood, skip=0)

    def _answer(self, mood: str, skip: int) -> Reply:
        rec_id = next(self._rec_ids)
        tracks = tuple(t for t in TRACKS if t.spotify_id not in self.disliked)[skip:][:SHOWN]
        rec = Recommendation(
            mood_line=mood,
            mood_words=("neon", "night"),
            themes=("energy",),
            traits=AudioTraits(energy=0.8),
            tracks=tracks,
            recommendation_id=rec_id,
        )
        return Reply(kind="answer", text=mood, recommendation=rec, buttons=answer_buttons(rec_id))

    async def press(self, ctx: ChatContext, action: str) -> Reply:
        """Feedback gets a toast; more/diff get a new answer."""
        self.presses.append((ctx, action))
        verb, _, _ = action.partition(":")
        if verb == "down":
            self.disliked.add(TRACKS[0].spotify_id)
            return Reply(kind="info", text="Got it, fewer songs like these for you.")
        if verb == "up":
            return Reply(kind="info", text="Thanks! More like these for you.")
        await asyncio.sleep(self.delay_s)
        return self._answer("More of that neon night", skip=SHOWN if verb == "diff" else 1)

    async def link_spotify(self, ctx: ChatContext) -> Reply:
        """The authorize URL."""
        self.calls.append(("link_spotify", ctx))
        return Reply(
            kind="link",
            text="Open this link to connect your Spotify account (valid for 10 minutes).",
            url="https://accounts.spotify.com/authorize?client_id=abc&state=s1&code_challenge=x",
            private=True,
        )

    async def unlink_spotify(self, ctx: ChatContext) -> Reply:
        """Unlinked."""
        self.calls.append(("unlink_spotify", ctx))
        return Reply(kind="info", text="Spotify unlinked; your imported library is deleted.")

    async def forget_me(self, ctx: ChatContext) -> Reply:
        """Forgotten."""
        self.calls.append(("forget_me", ctx))
        return Reply(kind="info", text="Deleted: your Spotify link, 3 answers and 2 ratings.")

    async def set_auto(self, ctx: ChatContext, enabled: bool) -> Reply:
        """Turn auto on or off."""
        self.calls.append(("set_auto", (ctx, enabled)))
        if not ctx.is_group:
            return Reply(kind="info", text="/auto works in groups; here I answer every photo.")
        (self.auto_chats.add if enabled else self.auto_chats.discard)(ctx.chat_id)
        state = "every photo" if enabled else "only photos that mention me"
        return Reply(kind="info", text=f"OK, I'll answer {state} here.")

    async def auto_enabled(self, platform: Platform, chat_id: str) -> bool:
        """Whether auto is on."""
        return chat_id in self.auto_chats

    async def set_blend(self, ctx: ChatContext, enabled: bool) -> Reply:
        """Blend on or off."""
        self.calls.append(("set_blend", (ctx, enabled)))
        word = "now blends into" if enabled else "no longer blends into"
        return Reply(kind="info", text=f"Your library {word} this group's answers.")

    async def language(self, ctx: ChatContext, argument: str) -> Reply:
        """/language: says what it was asked, in whose app language."""
        self.calls.append(("language", argument))
        return Reply(kind="info", text=f"language {argument or '?'} for {ctx.lang}")

    def help(self, platform: Platform, ctx: ChatContext | None = None) -> Reply:
        """Help text."""
        self.calls.append(("help", platform))
        return Reply(kind="info", text="Send me a photo and I'll answer with songs <3")
