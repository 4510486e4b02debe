"""The recommender: a caption and/or words in, a ranked, varied, explained set of tracks out."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from recsys.embedder import Embedder
from recsys.language import LanguageDetector
from recsys.models import Candidate, CandidateQuery, Caption, Notice, Recommendation, TrackPick
from recsys.mood_reader import MoodReader
from recsys.query import MoodQuery, build_query
from recsys.ranking import pick_diverse, score_candidates, to_pick
from recsys.text_hygiene import clean_words

log = logging.getLogger(__name__)


class NothingToMatch(Exception):
    """Neither a photo nor words were given."""


class NoTracks(Exception):
    """The catalog is empty: nothing can be recommended until one is imported."""


@dataclass(frozen=True)
class RecommendRequest:
    """One question to the recommender."""

    caption: Caption | None = None
    words: str = ""
    # chat_users ids whose Spotify libraries are searched (requester first, then blended members)
    user_ids: tuple[int, ...] = ()
    # whose thumbs count (the requester)
    feedback_user_id: int | None = None
    top: int = 5
    exclude_track_ids: frozenset[int] = field(default_factory=frozenset)
    # >0: a fresh take on the same vibe ("different vibe"), seeded for reproducibility
    variation: int = 0
    # steps to neighbouring moods, in order (recsys.mood_shift.SHIFT_NAMES)
    shifts: tuple[str, ...] = ()
    # the requester's own playlist names may appear in reasons (only they read the answer:
    # a private chat); other members' names never do
    name_playlists: bool = False


class CandidateSource(Protocol):
    """Where candidates and feedback come from (injected: the database's search in production)."""

    async def feedback(self, user_ids: tuple[int, ...]) -> tuple[set[int], set[int]]:
        """(liked, disliked) track ids of these listeners."""
        ...

    async def candidates(self, query: CandidateQuery) -> Sequence[Candidate]:
        """The candidate tracks, with what the ranker reads of each."""
        ...


@dataclass(frozen=True)
class Timings:
    """Where the time of one recommendation went, in milliseconds."""

    query_ms: float
    search_ms: float
    rank_ms: float


class Recommender:
    """Turns a caption and/or words into tracks from the catalog and the listeners' libraries."""

    def __init__(
        self,
        source: CandidateSource,
        embedder: Embedder,
        mood_reader: MoodReader,
        *,
        on_timings: Callable[[Timings], None] | None = None,
        language: LanguageDetector | None = None,
    ) -> None:
        self.source = source
        self.embedder = embedder
        self.mood_reader = mood_reader
        # tells when the words are not English, so the answer can say it read them loosely
        self.language = language or LanguageDetector()
        # where the time of the last answer went (read by benchmarks/search_scale.py)
        self.last_timings: Timings | None = None
        # Told where the time of every recommendation went (e.g. for metrics).
        self._on_timings = on_timings

    def warm(self) -> None:
        """Load the mood reader's models now (blocking) rather than on the first photo."""
        self.mood_reader.warm()

    async def recommend(self, request: RecommendRequest) -> Recommendation:
        """The answer for one request; raises NothingToMatch or NoTracks."""
        request = replace(request, words=clean_words(request.words))
        if request.caption is None and not request.words.strip():
            raise NothingToMatch("neither a photo nor words were given")
        started = time.perf_counter()
        # The listener's thumbs and the words' language do not depend on the query: read them
        # while the text embeds.
        query, foreign, (liked, disliked) = await asyncio.gather(
            asyncio.to_thread(self._build_query_blocking, request),
            asyncio.to_thread(self.language.is_foreign, request.words),
            self.source.feedback((request.feedback_user_id,) if request.feedback_user_id else ()),
        )
        built = time.perf_counter()
        found = await self.source.candidates(
            CandidateQuery(
                query.embedding,
                _or_mid(query.plan.target.valence),
                _or_mid(query.plan.target.energy),
                user_ids=request.user_ids,
                exclude_ids=tuple(request.exclude_track_ids | disliked),
                liked_ids=tuple(liked),
            )
        )
        searched = time.perf_counter()
        if not found:
            raise NoTracks("no tracks yet: import a catalog with `melodiclens catalog import`")
        picks = pick_diverse(score_candidates(found, query.plan), request.top)
        done = time.perf_counter()
        self.last_timings = Timings(
            (built - started) * 1000, (searched - built) * 1000, (done - searched) * 1000
        )
        if self._on_timings is not None:
            self._on_timings(self.last_timings)
        return self._recommendation(
            request,
            query,
            [to_pick(p, query.plan, request.name_playlists) for p in picks],
            foreign_words=foreign,
        )

    def _build_query_blocking(self, request: RecommendRequest) -> MoodQuery:
        return build_query(
            request.caption,
            request.words,
            self.mood_reader,
            self.embedder,
            request.variation,
            request.shifts,
        )

    def _recommendation(
        self,
        request: RecommendRequest,
        query: MoodQuery,
        picks: list[TrackPick],
        *,
        foreign_words: bool = False,
    ) -> Recommendation:
        caption = request.caption
        vision_used = caption is None or caption.source in ("vision", "prose")
        return Recommendation(
            mood_line="",
            mood_words=query.mood_words,
            themes=query.plan.themes,
            traits=query.plan.target,
            tracks=tuple(picks),
            vision_used=vision_used,
            notice=_notice(vision_used, foreign_words, has_photo=caption is not None),
            line=query.mood_line,
        )


def _notice(vision_used: bool, foreign_words: bool, *, has_photo: bool) -> Notice | None:
    """What the listener should know about how the answer was made (the unread photo first)."""
    if not vision_used:
        return Notice.VISION_NOT_READ
    if foreign_words:
        return Notice.FOREIGN_WORDS if has_photo else Notice.FOREIGN_WORDS_ONLY
    return None


def _or_mid(value: float | None) -> float:
    return 0.5 if value is None else value
