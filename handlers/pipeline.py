"""The photo-to-songs pipeline shared by the chat handlers and the terminal: intake, caption
(cache first, then the vision model behind the gate, else the pixels), recommendation."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

from handlers.captions import merge_captions
from handlers.metrics import Metrics
from handlers.takeover import TAKEN_OVER
from handlers.throttle import VisionGate
from recsys.captioner import CachedCaptioner
from recsys.image_intake import ImageLimits, PreparedImage, Rejection, prepare_image
from recsys.image_stats import caption_from_stats
from recsys.models import Caption, Recommendation
from recsys.recommender import Recommender, RecommendRequest
from recsys.text_hygiene import clean_words
from recsys.vision_hosts import VisionUnavailable

log = logging.getLogger(__name__)

# Called with the asker's place in line when their photo has to wait for the vision model.
QueueNotice = Callable[[int], Awaitable[None]]

# The decode budget for photos of an update taken over from a stopped process: that process
# may have died of the photo, so only what is surely light is tried again (a 12 MP photo as a
# PNG or a progressive JPEG still fits); the rest is refused with INTERRUPTED instead of being
# retried into the same failure by each process that takes it over.
TAKEOVER_DECODE_BYTES = 50_000_000


@dataclass(frozen=True)
class PipelineResult:
    """A Recommendation with the request that produced it and the photo's colour."""

    recommendation: Recommendation
    request: RecommendRequest
    color: int | None
    # the photos' pixel hashes (their caption cache keys), so forgetting the asker forgets them
    image_hashes: tuple[str, ...] = ()


class Pipeline:
    """Photos and/or words in, a Recommendation out; never blocks the event loop.

    The one photo path: `prepare` (intake), then `run` (caption, recommend). Chat handlers
    and the CLI both call these two."""

    def __init__(
        self,
        captioner: CachedCaptioner,
        recommender: Recommender,
        limits: ImageLimits,
        gate: VisionGate,
        metrics: Metrics | None = None,
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
        self.metrics = metrics or Metrics()

    def warm(self) -> None:
        """Load the models now (blocking) rather than on the first photo."""
        self.recommender.warm()

    async def prepare(self, images: Sequence[bytes]) -> list[PreparedImage]:
        """Check and normalise each upload off the loop; raises ImageRejected."""
        if not images:
            return []
        with self.metrics.time_stage("intake"):
            return [await self._prepare_one(data) for data in images]

    async def _prepare_one(self, data: bytes) -> PreparedImage:
        limits = self.limits
        if TAKEN_OVER.get():
            budget = min(limits.decode_bytes, TAKEOVER_DECODE_BYTES)
            limits = replace(limits, decode_bytes=budget, over_budget=Rejection.INTERRUPTED)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._decoders, prepare_image, data, limits)

    async def caption(
        self, images: Sequence[PreparedImage], words: str = "", on_queued: QueueNotice | None = None
    ) -> Caption:
        """One caption for the set of photos, read at once (the vision gate still bounds how
        many photos, from every chat together, are at the model at a time)."""
        words = clean_words(words)
        readings = await asyncio.gather(
            *(self._caption_one(image, words, on_queued) for image in images),
            return_exceptions=True,
        )
        # Every photo finished (none left running unobserved); the first failure wins.
        captions = []
        for reading in readings:
            if isinstance(reading, BaseException):
                raise reading
            captions.append(reading)
        return merge_captions(captions)

    async def _caption_one(
        self, image: PreparedImage, words: str, on_queued: QueueNotice | None
    ) -> Caption:
        # A photo seen before skips the line: its caption is in the cache (read once).
        cached = await self.captioner.cached(image, words)
        if cached is not None:
            return cached
        try:
            async with self.gate.slot(on_queued):
                with self.metrics.time_stage("vision"):
                    return await self.captioner.fresh(image, words)
        except VisionUnavailable as err:
            log.warning("vision model unavailable, answering from pixels and words: %s", err)
            return caption_from_stats(image.stats)

    async def run(
        self,
        prepared: Sequence[PreparedImage],
        request: RecommendRequest,
        on_queued: QueueNotice | None = None,
    ) -> PipelineResult:
        """The whole path for one question: the prepared photos (if any) captioned into the
        request, which carries the words, whose libraries and how many songs."""
        words = clean_words(request.words)
        caption = await self.caption(prepared, words, on_queued) if prepared else None
        request = replace(request, caption=caption, words=words)
        recommendation = await self.recommend(request)
        color = prepared[0].dominant_color if prepared else None
        hashes = tuple(image.sha256 for image in prepared)
        return PipelineResult(recommendation, request, color, hashes)

    async def recommend(self, request: RecommendRequest) -> Recommendation:
        """Songs for an already-built request (a button press re-asks a stored question)."""
        return await self.recommender.recommend(request)
