"""Ranking measured and estimated moods on one footing that accounts for the estimate's error."""

from __future__ import annotations

from pathlib import Path

from db.pool import Database
from db.users import find_user
from handlers.stores import DatabaseCandidates
from handlers.texts import worded
from recsys.embedder import Embedder
from recsys.models import (
    AudioTraits,
    Candidate,
    CandidateQuery,
    MoodEstimate,
    Recommendation,
    TrackFeatures,
)
from recsys.ranking import (
    LIBRARY_FIT_THRESHOLD,
    UNKNOWN_TRAIT_FIT,
    RankingPlan,
    candidate_fit,
    score_candidates,
    to_pick,
)
from support.catalog_fixture import load_catalog
from support.fakes.fake_spotify import FakeSpotify
from support.fakes.spotify_world import make_world
from tests.test_spotify_recommend import ALICE, library_over_catalog

PLAN = RankingPlan(target=AudioTraits(valence=0.2, energy=0.3))


def track(
    n: int, mood: tuple[float, float] | None = None, guess: MoodEstimate | None = None
) -> Candidate:
    """A library candidate, measured (mood), estimated (guess) or neither."""
    valence, energy = mood if mood else (None, None)
    return Candidate(
        id=n,
        spotify_id=f"{n:022d}",
        title=f"Song {n}",
        artists=(f"Artist {n}",),
        features=TrackFeatures(valence=valence, energy=energy),
        similarity=0.5,
        playlist_name="Rainy days",
        estimate=guess,
    )


# an estimate right on target, with the error of a typical artist-based estimate
ON_TARGET = MoodEstimate(0.2, 0.3, 0.19, "artist")


def test_an_exact_estimate_is_trusted_less_than_a_measured_fit() -> None:
    """An estimate right on target fits better than knowing nothing, worse than measured."""
    measured = candidate_fit(track(1, (0.3, 0.4)), PLAN)
    guessed = candidate_fit(track(2, guess=ON_TARGET), PLAN)
    blind = candidate_fit(track(3), PLAN)
    assert blind == UNKNOWN_TRAIT_FIT < guessed < LIBRARY_FIT_THRESHOLD <= measured


def test_a_wrong_estimate_scores_below_the_unknown() -> None:
    """An estimate far from the target is a (mild) reason against the track."""
    far = track(4, guess=MoodEstimate(0.9, 0.9, 0.19, "playlist"))
    assert candidate_fit(far, PLAN) < UNKNOWN_TRAIT_FIT


def test_measured_values_win_over_an_estimate() -> None:
    """A track measured later is ranked by its measurement, not its old estimate."""
    both = track(5, (0.9, 0.9), ON_TARGET)
    assert candidate_fit(both, PLAN) == candidate_fit(track(6, (0.9, 0.9)), PLAN)
    assert to_pick(score_candidates([both], PLAN)[0], PLAN).mood_guessed is None


def test_estimated_songs_do_not_crowd_out_measured_fits() -> None:
    """Ten perfect-looking estimates and three measured fits: the measured ones lead."""
    guessed = [track(10 + n, guess=ON_TARGET) for n in range(10)]
    measured = [track(30 + n, (0.25, 0.35)) for n in range(3)]
    blind = [track(40 + n) for n in range(5)]
    ranked = score_candidates([*guessed, *blind, *measured], PLAN)
    assert {s.candidate.id for s in ranked[:3]} == {30, 31, 32}
    assert {s.candidate.id for s in ranked[3:13]} == {10 + n for n in range(10)}
    pick = to_pick(ranked[3], PLAN)
    assert pick.mood_guessed == "artist" and pick.valence is None


async def test_a_synced_b_side_reaches_the_ranker_with_its_estimate(
    db: Database, embedder: Embedder, tmp_path: Path
) -> None:
    """After a sync, B-sides the catalog lacks carry their playlist's estimate to the ranker:
    the one among sad songs fits a sad target better than the one among party songs."""
    await load_catalog(db, embedder, tmp_path)
    fake = FakeSpotify()
    fake.add_user("alice", library_over_catalog())
    world = await make_world(db, embedder, fake)
    try:
        assert (await world.link(ALICE))[0] == 200
        assert await world.worker().drain() == 1
    finally:
        await world.close()
    uid = await find_user(db.pool, ALICE.platform, ALICE.user_id)
    assert uid is not None
    sad = RankingPlan(target=AudioTraits(valence=0.15, energy=0.25))
    rows = await DatabaseCandidates(db.read_pool).candidates(
        CandidateQuery(embedder.embed_texts(["Unknown B-side Garage Band"])[0], 0.15, 0.25, (uid,))
    )
    scored = {s.candidate.title: s for s in score_candidates(rows, sad)}
    rainy, party = scored["Unknown Rainy Days B-side"], scored["Unknown Bangers B-side"]
    assert rainy.candidate.estimate is not None and rainy.candidate.estimate.basis == "playlist"
    assert rainy.candidate.features.valence is None
    assert rainy.trait_fit > UNKNOWN_TRAIT_FIT > party.trait_fit
    pick = worded(
        Recommendation("", (), (), sad.target, (to_pick(rainy, sad, name_playlists=True),)), "en"
    ).tracks[0]
    assert pick.reason == (
        "from your playlist 'Rainy Days'; mood guessed from the songs around it in your playlists"
    )
