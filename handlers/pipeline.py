"""The photo-to-songs pipeline shared by the chat handlers and the terminal: intake, caption
(cache first, then the vision model behind the gate, else the pixels), recommendation."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from handlers.captions import merge_captions
from handlers.service import QueueNotice
from handlers.throttle import VisionGate
from recsys.captioner import CachedCaptioner
from recsys.image_intake import ImageLimits, PreparedImage, prepare_image
from recsys.image_stats import caption_from_stats
from recsys.models import Caption, Recommendation
from recsys.recommender import Recommender, RecommendRequest
from recsys.text_hygiene import clean_words
from recsys.vision_hosts import VisionUnavailable

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Answer:
    """A recommendation with what was asked for it."""

    recommendation: Recommendation
    request: RecommendRequest
    color: int | None
    # the photos' pixel hashes (their caption cache keys), so forgetting the asker forgets them
    image_hashes: tuple[str, ...] = ()


class Pipeline:
    """Photos and/or words in, a Recommendation out; never blocks the event loop.

    The one photo path: `prepare` (intake), then `answer` (caption, recommend). Chat handlers
    and the CLI both call these two."""

    def __init__(
        self,
        captioner: CachedCaptioner,
        recommender: Recommender,
        limits: ImageLimits,
        gate: VisionGate,
        *,
        decode_concurrency: int = 2,
    ) -> None:
        self.captioner = captioner
        self.recommender = recommender
        self.limits = limits
        self.gate = gate
        # Decodes run on their own few threads: each may briefly hold a full-size frame, and a
        # thread's malloc arena keeps what it freed for its next decode, so memory stays bounded
        # by the number of decode threads instead of by every thread that ever decoded.
        self._decoders = ThreadPoolExecutor(decode_concurrency, thread_name_prefix="decode")

    def warm(self) -> None:
        """Load the models now (blocking) rather than on the first photo."""
        self.recommender.warm()

    async def prepare(self, images: Sequence[bytes]) -> list[PreparedImage]:
        """Check and normalise each upload off the loop; raises ImageRejected."""
        return [await self._prepare_one(data) for data in images]

    async def _prepare_one(self, data: bytes) -> PreparedImage:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._decoders, prepare_image, data, self.limits)

    async def caption(
        self, images: Sequence[PreparedImage], words: str = "", on_queued: QueueNotice | None = None
    ) -> Caption:
        """One caption for the set of photos."""
        words = clean_words(words)
        return merge_captions([await self._caption_one(i, words, on_queued) for i in images])

    async def _caption_one(
        self, image: PreparedImage, words: str, on_queued: QueueNotice | None
    ) -> Caption:
        # A photo seen before skips the line: its caption is in the cache (read once).
        cached = await self.captioner.cached(image, words)
        if cached is not None:
            return cached
        try:
            async with self.gate.slot(on_queued):
                return await self.captioner.fresh(image, words)
        except VisionUnavailable as err:
            log.warning("vision model unavailable, answering from pixels and words: %s", err)
            return caption_from_stats(image.stats)

    async def answer(
        self,
        prepared: Sequence[PreparedImage],
        words: str = "",
        *,
        user_ids: tuple[int, ...] = (),
        feedback_user_id: int | None = None,
        top: int = 5,
        on_queued: QueueNotice | None = None,
    ) -> Answer:
        """The whole path for one question, from prepared photos and/or words."""
        words = clean_words(words)
        caption = await self.caption(prepared, words, on_queued) if prepared else None
        request = RecommendRequest(
            caption=caption,
            words=words,
            user_ids=user_ids,
            feedback_user_id=feedback_user_id,
            top=top,
        )
        recommendation = await self.recommend(request)
        color = prepared[0].dominant_color if prepared else None
        return Answer(recommendation, request, color, tuple(image.sha256 for image in prepared))

    async def recommend(self, request: RecommendRequest) -> Recommendation:
        """Songs for an already-built request (a button press re-asks a stored question)."""
        return await self.recommender.recommend(request)
