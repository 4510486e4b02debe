"""The seam between the candidate SQL and the ranker: rows become typed Candidates beside the SQL
(db/search.py)."""

from __future__ import annotations

from dataclasses import FrozenInstanceError, fields

import numpy as np
import pytest

from db import moods, search, tracks
from db.pool import Database
from db.search import candidate
from handlers.stores import DatabaseCandidates
from recsys.models import Candidate, CandidateQuery, MoodEstimate, TrackFeatures, TrackInfo
from support.fakes.fake_spotify import fake_id

TRACKS = 6


async def test_candidate_rows_have_the_documented_columns_and_become_candidates(
    db: Database,
) -> None:
    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(TRACKS, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    rows = [
        tracks.TrackWrite(
            info=TrackInfo(
                spotify_id=fake_id(f"seam {i}"),
                title=f"Seam Song {i}",
                artists=(f"Seam Band {i}",),
                genres=("indie",),
                features=TrackFeatures(valence=0.1 * i, energy=0.9 - 0.1 * i, tempo=90.0 + i),
            ),
            mood_words=("calm",),
            theme_tags=("nature",),
            embedding=vectors[i],
            content_hash=f"hash {i}",
            in_catalog=True,
        )
        for i in range(TRACKS)
    ]
    async with db.pool.acquire() as conn:
        await tracks.upsert_tracks(conn, rows, "catalog")
    query = CandidateQuery(vectors[0], 0.5, 0.5)
    found = await search.fetch_candidate_rows(db.read_pool, query)
    assert len(found) == TRACKS
    assert all(tuple(row.keys()) == search.CANDIDATE_COLUMNS for row in found)
    by_title = {row["title"]: candidate(row) for row in found}
    first = by_title["Seam Song 0"]
    assert abs(first.similarity - 1.0) < 1e-5
    assert (first.artists, first.genres, first.theme_tags) == (
        ("Seam Band 0",),
        ("indie",),
        ("nature",),
    )
    assert first.features.tempo == 90.0 and first.features.valence == 0.0
    assert by_title["Seam Song 3"].features.energy == np.float32(0.6).item()
    assert first.trending_rank is None and first.playlist_name is None
    typed = await DatabaseCandidates(db.read_pool).candidates(query)
    assert sorted(typed, key=lambda c: c.id) == sorted(by_title.values(), key=lambda c: c.id)


async def test_a_candidate_is_the_value_its_classes_own_constructors_make(db: Database) -> None:
    """candidate() fills the frozen dataclasses without their __init__ (models.assemble, for
    speed); every row, one with an estimated mood and no measured one included, must give
    exactly the value the constructors give from the same row read by column name."""
    vectors = np.eye(2, 384, dtype=np.float32)
    rows = [
        tracks.TrackWrite(
            info=TrackInfo(
                spotify_id=fake_id(f"assembled {i}"),
                title=f"Assembled Song {i}",
                artists=("Assembled Band", "Guest") if i else ("Assembled Band",),
                genres=("folk",),
                features=TrackFeatures(
                    valence=None if i else 0.4, energy=None if i else 0.7, danceability=0.5
                ),
            ),
            mood_words=("warm",),
            embedding=vectors[i],
            content_hash=f"assembled {i}",
            in_catalog=True,
        )
        for i in range(2)
    ]
    async with db.pool.acquire() as conn:
        await tracks.upsert_tracks(conn, rows, "catalog")
        blind = await conn.fetchval(
            "SELECT id FROM tracks WHERE spotify_id = $1", fake_id("assembled 1")
        )
        await moods.save_estimates(conn, [(blind, 0.25, 0.55, 0.18, "artist")])
    found = await search.fetch_candidate_rows(db.read_pool, CandidateQuery(vectors[0], 0.5, 0.5))
    assert len(found) == 2
    feature_names = {f.name for f in fields(TrackFeatures)}
    for row in found:
        made = candidate(row)
        by_name = dict(row.items())
        estimate = [by_name.pop(f"est_{part}") for part in ("valence", "energy", "error", "basis")]
        features = {name: by_name.pop(name) for name in list(by_name) if name in feature_names}
        expected = Candidate(
            **{name: tuple(v) if isinstance(v, list) else v for name, v in by_name.items()}
            | {"own_playlist": bool(by_name["own_playlist"])},
            features=TrackFeatures(**features),
            estimate=MoodEstimate(*estimate) if estimate[-1] is not None else None,
        )
        assert made == expected
        assert vars(made).keys() == {f.name for f in fields(Candidate)}
        assert vars(made.features).keys() == {f.name for f in fields(TrackFeatures)}
    by_title = {c.title: c for c in map(candidate, found)}
    guessed = by_title["Assembled Song 1"].estimate
    assert guessed is not None and guessed.basis == "artist"
    assert (guessed.valence, guessed.energy, guessed.error) == pytest.approx((0.25, 0.55, 0.18))
    assert by_title["Assembled Song 0"].estimate is None
    with pytest.raises(FrozenInstanceError):
        by_title["Assembled Song 0"].title = "changed"  # type: ignore[misc]
