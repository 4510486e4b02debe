"""The database behind injected collaborators: recsys's caption cache and candidate search,
and the adapters' small kept state.

recsys never imports db; the composition root (bot/app.py) hands these to it instead."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg

from db import recommendations, search
from db.captions import get_cached_caption, store_caption
from db.errors import DatabaseError
from db.state import get_state, set_state
from recsys.captioner import CacheUnavailable
from recsys.models import Candidate, CandidateQuery


class DatabaseCaptionCache:
    """recsys.captioner.CaptionCache over the caption_cache table."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def get(self, image_hash: str, model: str, prompt_version: str) -> dict[str, Any] | None:
        """The stored caption, or None; CacheUnavailable when the database is not there."""
        try:
            return await get_cached_caption(self._pool, image_hash, model, prompt_version)
        except DatabaseError as err:
            raise CacheUnavailable(str(err)) from err

    async def put(
        self, image_hash: str, model: str, prompt_version: str, caption: dict[str, Any]
    ) -> None:
        """Remember a caption; CacheUnavailable when the database is not there."""
        try:
            await store_caption(self._pool, image_hash, model, prompt_version, caption)
        except DatabaseError as err:
            raise CacheUnavailable(str(err)) from err


class DatabaseCandidates:
    """recsys.recommender.CandidateSource over the catalog and the listeners' libraries."""

    def __init__(self, read_pool: asyncpg.Pool) -> None:
        self._pool = read_pool

    async def feedback(self, user_ids: tuple[int, ...]) -> tuple[set[int], set[int]]:
        """(liked, disliked) track ids of these listeners."""
        return await recommendations.feedback_tracks(self._pool, user_ids)

    async def candidates(self, query: CandidateQuery) -> Sequence[Candidate]:
        """The candidates the ranker scores."""
        return await search.fetch_candidates(self._pool, query)


class DatabaseState:
    """Small named values kept between starts (the bot_state table), for the adapters."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def load(self, key: str) -> str | None:
        """The value under `key`, or None."""
        return await get_state(self._pool, key)

    async def save(self, key: str, value: str) -> None:
        """Keep `value` under `key`."""
        await set_state(self._pool, key, value)
