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
from recsys.models import Candidate, CandidateQuery, MoodEstimate, TrackFeatures, assemble


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
    """A row of db.search's candidate statements as a Candidate. The row is unpacked in
    CANDIDATE_COLUMNS' order (a test holds the statements to it) and built with `assemble`:
    ~300 of them per answer, where reading by name and the dataclasses' own __init__ cost
    about twice as much."""
    # fmt: off
    (id_, spotify_id, title, artists, album, popularity, release_year, genres,
     valence, energy, danceability, acousticness, instrumentalness, tempo,
     mood_words, theme_tags, lyrics_themes,
     similarity, trending_rank, playlist_name, own_playlist, liked_similarity,
     est_valence, est_energy, est_error, est_basis) = row
    # fmt: on
    # the features the ranker reads; the search does not fetch the others
    features = assemble(
        TrackFeatures,
        danceability=danceability,
        energy=energy,
        acousticness=acousticness,
        instrumentalness=instrumentalness,
        valence=valence,
        tempo=tempo,
    )
    return assemble(
        Candidate,
        id=id_,
        spotify_id=spotify_id,
        title=title,
        artists=tuple(artists),
        album=album,
        popularity=popularity,
        release_year=release_year,
        genres=tuple(genres),
        features=features,
        mood_words=tuple(mood_words),
        theme_tags=tuple(theme_tags),
        lyrics_themes=tuple(lyrics_themes),
        similarity=float(similarity),
        trending_rank=trending_rank,
        playlist_name=playlist_name,
        own_playlist=bool(own_playlist),
        liked_similarity=liked_similarity,
        estimate=_estimate(est_valence, est_energy, est_error, est_basis),
    )


def _estimate(
    valence: float | None, energy: float | None, error: float | None, basis: str | None
) -> MoodEstimate | None:
    """A row's estimated mood, if it has a whole one."""
    if valence is None or energy is None or error is None or basis is None:
        return None
    return MoodEstimate(float(valence), float(energy), float(error), str(basis))


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
