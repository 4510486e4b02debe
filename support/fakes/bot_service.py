"""A hand-written BotService that answers like the real one, for adapter tests."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from PIL import Image

from handlers.replies import Button, ChatContext, ImageInput, Platform, Reply, VibeAsk
from handlers.service import QueueNotice
from recsys.models import AudioTraits, Notice, Recommendation, TrackPick

RAINY_COLOUR = 0x3B5B7A
AUTHORIZE_URL = "https://accounts.spotify.com/authorize?client_id=abc&state=xyz"
NOT_AN_IMAGE = (
    "That file is a PDF document, not a photo. Send a JPEG, PNG, WebP, GIF, BMP or TIFF image."
)


def rainy_recommendation(rec_id: int = 41) -> Recommendation:
    """A realistic answer for a rainy window photo."""
    picks = (
        TrackPick(
            1,
            "4uLU6hMCjMI75M1A2tKUQC",
            "Holocene",
            ("Bon Iver",),
            ("sadness", "calm"),
            "quiet and wistful, like rain on glass",
            0.91,
        ),
        TrackPick(
            2,
            "7qiZfU4dY1lWllzX7mPBI3",
            "Skinny Love",
            ("Bon Iver",),
            ("sadness",),
            "from your playlist Rainy Days",
            0.88,
            playlist_name="Rainy Days",
        ),
        TrackPick(
            3,
            "0VjIjW4GlUZAMYd2vXMi3b",
            "Night Owl [Live]",
            ("Galimatias", "Alina Baraz"),
            ("calm", "romance"),
            "slow and warm for a grey evening",
            0.80,
        ),
    )
    return Recommendation(
        mood_line="A rainy window at dusk: quiet, a little lonely",
        mood_words=("quiet", "lonely"),
        themes=("sadness", "calm"),
        traits=AudioTraits(valence=0.2, energy=0.3),
        tracks=picks,
        recommendation_id=rec_id,
    )


def answer_buttons(rec_id: int) -> tuple[Button, ...]:
    """The four buttons every answer carries."""
    return (
        Button("👍", f"up:{rec_id}"),
        Button("👎", f"down:{rec_id}"),
        Button("More like this", f"more:{rec_id}"),
        Button("Different vibe", f"diff:{rec_id}"),
    )


def answer(rec_id: int = 41, notice: str | None = None) -> Reply:
    """The Reply for an answered photo, with its four buttons."""
    rec = rainy_recommendation(rec_id)
    if notice:
        rec = Recommendation(
            **{**rec.__dict__, "vision_used": False, "notice": Notice.VISION_NOT_READ}
        )
    return Reply(
        kind="answer",
        text=rec.mood_line,
        recommendation=rec,
        buttons=answer_buttons(rec_id),
        color=RAINY_COLOUR,
        notice=notice,
    )


@dataclass
class VibeCall:
    """One vibe() call as the adapter made it."""

    ctx: ChatContext
    images: list[ImageInput]
    words: str

    @property
    def sizes(self) -> list[tuple[int, int]]:
        """Pixel sizes of the images (proves which PhotoSize was downloaded)."""
        return [Image.open(io.BytesIO(image.data)).size for image in self.images]


@dataclass
class CountedAdmissions:
    """The admission check of both fake services: records the photos counted, and refuses
    once more than `admit_limit` were (None: no limit)."""

    admissions: list[int] = field(default_factory=list)
    admit_limit: int | None = None

    def admit(self, ctx: ChatContext, photos: int = 0) -> Reply | None:
        """Records what was counted; refuses once `admit_limit` photos were counted."""
        self.admissions.append(photos)
        if self.admit_limit is not None and sum(self.admissions) > self.admit_limit:
            return Reply("error", "You're sending photos faster than I can listen.")
        return None


@dataclass
class RecordingService(CountedAdmissions):
    """What both fake services share: every vibe() and press recorded, and the knobs a test
    turns to make vibe() slow (`delay_s`), announce a place in line (`queue_position`) or raise
    (`fail_next` times: a bug the adapter must survive). Each fake writes its own answers."""

    delay_s: float = 0.0
    queue_position: int | None = None
    fail_next: int = 0
    vibes: list[VibeCall] = field(default_factory=list)
    presses: list[tuple[ChatContext, str]] = field(default_factory=list)
    finished: list[float] = field(default_factory=list)
    vibe_started: asyncio.Event = field(default_factory=asyncio.Event)

    async def vibe(
        self, ctx: ChatContext, ask: VibeAsk, on_queued: QueueNotice | None = None
    ) -> Reply:
        """Records the call, then waits, queues or fails as the knobs say, then answers."""
        self.vibes.append(VibeCall(ctx, list(ask.images), ask.words))
        self.vibe_started.set()
        if self.fail_next:
            self.fail_next -= 1
            raise RuntimeError("database exploded (simulated)")
        if self.queue_position is not None and on_queued is not None:
            await on_queued(self.queue_position)
        await asyncio.sleep(self.delay_s)
        self.finished.append(asyncio.get_running_loop().time())
        return self.vibe_answer(ask.images, ask.words)

    def vibe_answer(self, images: Sequence[ImageInput], words: str) -> Reply:
        """The answer once the knobs have had their say (each fake its own)."""
        raise NotImplementedError

    async def is_admin(self, ctx: ChatContext, check: Callable[[], Awaitable[bool]]) -> bool:
        """The platform's own check, asked every time (the real service caches it)."""
        return await check()

    def in_their_language(self, ctx: ChatContext) -> ChatContext:
        """The real service swaps in a remembered /language choice; the fakes have none."""
        return ctx


@dataclass
class FakeBotService(RecordingService):
    """The Discord adapter tests' service: one rainy answer, strings in `calls`."""

    help_fails: bool = False
    calls: list[str] = field(default_factory=list)
    link_contexts: list[ChatContext] = field(default_factory=list)
    auto_off: set[str] = field(default_factory=set)

    def vibe_answer(self, images: Sequence[ImageInput], words: str) -> Reply:
        """The rainy answer, or the refusal of a PDF."""
        if images and images[0].data.startswith(b"%PDF"):
            return Reply(kind="error", text=NOT_AN_IMAGE)
        return answer(41 + len(self.vibes))

    async def press(self, ctx: ChatContext, action: str) -> Reply:
        self.presses.append((ctx, action))
        verb, rec_id = action.split(":")
        if verb in ("up", "down"):
            return Reply(kind="info", text="Thanks, noted.")
        return answer(int(rec_id) + 100)

    async def link_spotify(self, ctx: ChatContext) -> Reply:
        self.calls.append("link_spotify")
        self.link_contexts.append(ctx)
        return Reply(
            kind="link",
            text="Open this link to connect Spotify (valid 10 minutes).",
            url=AUTHORIZE_URL,
            private=True,
        )

    async def unlink_spotify(self, ctx: ChatContext) -> Reply:
        self.calls.append("unlink_spotify")
        return Reply(kind="info", text="Spotify unlinked; your imported library is gone.")

    async def forget_me(self, ctx: ChatContext) -> Reply:
        self.calls.append("forget_me")
        return Reply(kind="info", text="Deleted: your link, 913 library songs, 4 answers.")

    async def set_auto(self, ctx: ChatContext, enabled: bool) -> Reply:
        self.calls.append(f"set_auto:{enabled}")
        (self.auto_off.discard if enabled else self.auto_off.add)(ctx.chat_id)
        return Reply(kind="info", text="OK.")

    async def auto_enabled(self, platform: Platform, chat_id: str) -> bool:
        # As the real service: Discord channels answer every photo until switched off.
        return chat_id not in self.auto_off

    async def set_blend(self, ctx: ChatContext, enabled: bool) -> Reply:
        self.calls.append(f"set_blend:{enabled}")
        return Reply(kind="info", text="Your library now blends into this chat's answers.")

    async def language(self, ctx: ChatContext, argument: str) -> Reply:
        self.calls.append("language")
        self.link_contexts.append(ctx)
        return Reply(kind="info", text=f"language {argument or '?'} for {ctx.lang}", private=True)

    def help(self, platform: Platform, ctx: ChatContext | None = None) -> Reply:
        self.calls.append("help")
        if self.help_fails:
            raise RuntimeError("help text missing")
        return Reply(
            kind="info", text="Send me a photo and I'll answer with songs. /vibe, /link-spotify"
        )
