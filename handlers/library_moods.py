"""Placing tracks by mood at sync time: song keys, measured twins, the service queue, estimates.

After a library sync every track of the listener has a mood with a source (alembic 0009):
measured when the catalog has its id or the same song under another id, queued for the
optional features service when that is on, and estimated from the artist's other songs and
the known songs of its playlists and its own title and artist words otherwise (the text model
runs here, at sync time, never when answering). Nothing here waits on the network.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import asyncpg

from db import jobs
from db import moods as store
from db.pool import Database
from recsys.embedder import Embedder
from recsys.mood_estimate import CATALOG_PRIOR, MoodSum, Prior, estimate_mood, pooled
from recsys.same_song import SongRef, fold, match_songs, song_key
from recsys.text_mood import TextGuess, TextMoodModel, shipped_model, track_text

log = logging.getLogger(__name__)

FEATURES_LOOKUP = "features_lookup"
MOOD_REFRESH = "mood_refresh"
# One lookup job and one refresh job for all listeners: the service is asked once per track.
FEATURES_KEY = "features_lookup"
REFRESH_KEY = "mood_refresh"
# Tracks keyed per statement when old rows (a catalog written before 0009) get song keys.
KEY_BATCH = 2000


@dataclass(frozen=True)
class Placement:
    """How a listener's tracks can be placed by mood, by source."""

    total: int
    catalog: int
    same_song: int
    features_service: int
    estimated: int
    queued: int
    # Of the estimated, those guessed from their title and artist words alone.
    by_words: int = 0

    @property
    def measured(self) -> int:
        """Tracks whose valence and energy were measured."""
        return self.catalog + self.same_song + self.features_service

    @property
    def placed(self) -> int:
        """Tracks the ranker can place by mood (measured or estimated)."""
        return self.measured + self.estimated

    def as_dict(self) -> dict[str, int]:
        """The counts for a job's result."""
        return {**asdict(self), "placed": self.placed}


def keys_of(row: asyncpg.Record) -> tuple[str | None, str | None]:
    """A stored track's song key and artist key."""
    artists = list(row["artists"] or ())
    return song_key(row["title"], artists), (fold(artists[0]) or None) if artists else None


@dataclass(eq=False)
class MoodPlacer:
    """Gives tracks a mood source: keys, twins, the service queue and estimates."""

    db: Database
    features_on: bool = False
    # The track's own words are read only with an embedder and shipped weights (arrays over
    # 384-d embeddings, left out of the repr).
    embedder: Embedder | None = None
    text_model: TextMoodModel | None = field(default_factory=shipped_model, repr=False)

    async def key_tracks(self) -> int:
        """Song and artist keys for every track that has none yet; how many were keyed."""
        done = 0
        while rows := await store.tracks_without_keys(self.db.pool, KEY_BATCH):
            await store.save_keys(self.db.pool, [(r["id"], *keys_of(r)) for r in rows])
            done += len(rows)
        return done

    async def match(self, track_ids: Sequence[int]) -> list[int]:
        """Copy measured twins' moods onto these unmeasured tracks; the ids that got one."""
        blind = await store.unmeasured(self.db.pool, track_ids)
        if not blind:
            return []
        twins = await store.measured_twins(
            self.db.pool, [r["song_key"] or "" for r in blind], [r["isrc"] or "" for r in blind]
        )
        pairs = match_songs([_ref(r) for r in blind], [_ref(r) for r in twins])
        if pairs:
            await store.copy_twin_moods(self.db.pool, list(pairs.items()))
        return list(pairs)

    async def estimate_library(self, user_id: int) -> int:
        """Estimate every unmeasured track of a listener; how many got an estimate."""
        blind = await store.library_blind(self.db.pool, user_id)
        if not blind:
            return 0
        artists = await store.artist_moods(self.db.pool, [r["artist_key"] or "" for r in blind])
        lists = await store.playlist_moods(self.db.pool, user_id)
        prior = await self._prior()
        texts = await self._text_guesses(blind)
        rows = []
        for row, text in zip(blind, texts, strict=True):
            artist = _sum(artists.get(row["artist_key"] or ""))
            around = pooled(_sum(lists.get(p)) for p in row["playlists"])
            found = estimate_mood(artist, around, prior, text=text)
            if found is not None:
                rows.append((row["id"], found.valence, found.energy, found.error, found.basis))
        await store.save_estimates(self.db.pool, rows)
        return len(rows)

    async def place_library(self, user_id: int) -> Placement:
        """Key, match, queue for the service and estimate a listener's tracks; the counts."""
        await self.key_tracks()
        blind = [r["id"] for r in await store.library_blind(self.db.pool, user_id)]
        matched = set(await self.match(blind))
        if self.features_on:
            await store.want_features(self.db.pool, [i for i in blind if i not in matched])
            await jobs.enqueue(self.db.pool, FEATURES_LOOKUP, {}, dedupe_key=FEATURES_KEY)
        await self.estimate_library(user_id)
        return await self.placement(user_id)

    async def placement(self, user_id: int) -> Placement:
        """How a listener's tracks stand now."""
        counts = await store.library_sources(self.db.pool, user_id)
        extra = counts.get("queued", 0) + counts.get("estimated_text", 0)
        return Placement(
            total=sum(counts.values()) - extra,
            catalog=counts.get("catalog", 0),
            same_song=counts.get("same_song", 0),
            features_service=counts.get("features_service", 0),
            estimated=counts.get("estimated", 0),
            queued=counts.get("queued", 0),
            by_words=counts.get("estimated_text", 0),
        )

    async def _text_guesses(self, rows: Sequence[asyncpg.Record]) -> list[TextGuess | None]:
        """What each track's title and artists say of its mood (None each without the model)."""
        if self.embedder is None or self.text_model is None:
            return [None] * len(rows)
        words = [track_text(r["title"], list(r["artists"] or ())) for r in rows]
        vectors = await self.embedder.aembed(words)
        return list(self.text_model.guess(vectors))

    async def _prior(self) -> Prior:
        mean = await store.measured_mean(self.db.pool)
        return CATALOG_PRIOR if mean is None else Prior(*mean)


def _ref(row: asyncpg.Record) -> SongRef:
    return SongRef(row["id"], row["title"], tuple(row["artists"] or ()), row["isrc"])


def _sum(row: asyncpg.Record | None) -> MoodSum:
    if row is None:
        return MoodSum()
    return MoodSum(
        int(row["n"]),
        float(row["valence"]),
        float(row["energy"]),
        float(row["valence_sq"]),
        float(row["energy_sq"]),
    )


def share_line(counts: dict[str, int]) -> str:
    """ "N tracks: x% measured, y% estimated, z% none" for one scope of `mood_shares`."""
    total = sum(counts.values())
    if not total:
        return "no tracks"
    measured = sum(counts.get(source, 0) for source in store.MEASURED)
    parts = (
        ("measured", measured),
        ("estimated", counts.get("estimated", 0)),
        ("none", counts.get("none", 0)),
    )
    shares = ", ".join(f"{count / total:.0%} {name}" for name, count in parts)
    return f"{total:,} tracks: {shares}"
