"""The database behind injected collaborators: recsys's caption cache and candidate search,
and the adapters' small kept state.

recsys never imports db; the composition root (bot/app.py) hands these to it instead."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypedDict

import asyncpg

from db import search
from db.captions import get_cached_caption, store_caption
from db.errors import DatabaseError
from db.state import get_state, set_state
from recsys.captioner import CacheUnavailable
from recsys.models import Candidate, CandidateQuery, MoodEstimate, TrackFeatures


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
        return await search.feedback_tracks(self._pool, user_ids)

    async def candidates(self, query: CandidateQuery) -> Sequence[Candidate]:
        """The candidates the ranker scores."""
        # the same fields, in db's own type (recsys never imports db)
        asked = search.CandidateQuery(
            query.embedding, query.valence, query.energy,
            query.user_ids, query.exclude_ids, query.liked_ids,
        )  # fmt: skip
        return [candidate(row) for row in await search.fetch_candidates(self._pool, asked)]


class IdentityColumns(TypedDict):
    """A row's recsys.models.TrackIdentity fields, as both the enricher's input and a candidate
    take them."""

    spotify_id: str
    title: str
    artists: tuple[str, ...]
    album: str | None
    popularity: int | None
    release_year: int | None
    genres: tuple[str, ...]


def track_identity(row: asyncpg.Record) -> IdentityColumns:
    """A `tracks` row's identity columns (the one place that reads them by name)."""
    return IdentityColumns(
        spotify_id=row["spotify_id"],
        title=row["title"],
        artists=tuple(row["artists"]),
        album=row["album"],
        popularity=row["popularity"],
        release_year=row["release_year"],
        genres=tuple(row["genres"]),
    )


def candidate(row: asyncpg.Record) -> Candidate:
    """A row of db.search's candidate statements (columns: CANDIDATE_COLUMNS) as a Candidate."""
    return Candidate(
        id=row["id"],
        **track_identity(row),
        # the features the ranker reads; the search does not fetch the others
        features=TrackFeatures(
            danceability=row["danceability"],
            energy=row["energy"],
            acousticness=row["acousticness"],
            instrumentalness=row["instrumentalness"],
            valence=row["valence"],
            tempo=row["tempo"],
        ),
        mood_words=tuple(row["mood_words"]),
        theme_tags=tuple(row["theme_tags"]),
        lyrics_themes=tuple(row["lyrics_themes"]),
        similarity=float(row["similarity"]),
        trending_rank=row["trending_rank"],
        playlist_name=row["playlist_name"],
        own_playlist=bool(row["own_playlist"]),
        liked_similarity=row["liked_similarity"],
        estimate=_estimate(row),
    )


def _estimate(row: asyncpg.Record) -> MoodEstimate | None:
    """The row's estimated mood, if it has a whole one."""
    values = (row["est_valence"], row["est_energy"], row["est_error"], row["est_basis"])
    if any(value is None for value in values):
        return None
    return MoodEstimate(float(values[0]), float(values[1]), float(values[2]), str(values[3]))


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
