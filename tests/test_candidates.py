"""The seam between the candidate SQL and the ranker: rows become typed Candidates."""

from __future__ import annotations

import numpy as np

from db import search, tracks
from db.pool import Database
from handlers.stores import DatabaseCandidates, candidate
from recsys.models import CandidateQuery
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
            spotify_id=fake_id(f"seam {i}"),
            title=f"Seam Song {i}",
            artists=(f"Seam Band {i}",),
            genres=("indie",),
            valence=0.1 * i,
            energy=0.9 - 0.1 * i,
            tempo=90.0 + i,
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
    query = search.CandidateQuery(vectors[0], 0.5, 0.5)
    found = await search.fetch_candidates(db.read_pool, query)
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
    typed = await DatabaseCandidates(db.read_pool).candidates(CandidateQuery(vectors[0], 0.5, 0.5))
    assert sorted(c.title for c in typed) == sorted(by_title)
