"""The mood estimate: shrunk means of the artist's songs and the playlist's known songs."""

from __future__ import annotations

import pytest

from recsys.mood_estimate import (
    EXPECTED_ERROR,
    UNKNOWN_ERROR,
    MoodSum,
    Prior,
    estimate_mood,
    pooled,
    trusted_fit,
)

PRIOR = Prior(0.5, 0.6)


def test_nothing_known_is_no_estimate() -> None:
    """With no measured song around it, a track stays without a mood (not the prior)."""
    assert estimate_mood(MoodSum(), MoodSum(), PRIOR) is None


def test_one_song_is_mostly_the_prior_and_many_songs_are_mostly_themselves() -> None:
    """An artist known by one sad song is pulled to the middle; one known by 40 is not."""
    one = estimate_mood(MoodSum(1, 0.1, 0.2), MoodSum(), PRIOR)
    many = estimate_mood(MoodSum(40, 4.0, 8.0), MoodSum(), PRIOR)
    assert one is not None and many is not None
    assert 0.1 < one.valence < many.valence + 0.3
    assert many.valence == pytest.approx(0.1, abs=0.03)
    assert one.basis == many.basis == "artist"


def test_both_sources_blend_and_carry_their_error() -> None:
    """Artist and playlist together give a value between them, with the blend's error."""
    both = estimate_mood(MoodSum(20, 2.0, 4.0), MoodSum(20, 18.0, 18.0), PRIOR)
    assert both is not None and both.basis == "artist_playlist"
    assert 0.1 < both.valence < 0.9
    assert both.error == EXPECTED_ERROR["artist_playlist"]
    lists = estimate_mood(MoodSum(), pooled([MoodSum(2, 1.8, 1.8), MoodSum(1, 0.9, 0.9)]), PRIOR)
    assert lists is not None and lists.basis == "playlist" and lists.valence > 0.8


def test_estimates_stay_in_range() -> None:
    """Whatever the sums, valence and energy stay in 0..1."""
    found = estimate_mood(MoodSum(3, 3.0, 3.0), MoodSum(3, 3.0, 3.0), Prior(1.0, 1.0))
    assert found is not None and found.valence <= 1.0 and found.energy <= 1.0


def test_an_uncertain_fit_is_pulled_toward_the_unknown_fit() -> None:
    """A perfect-looking estimate never scores as a measured perfect fit; no error, no change."""
    assert trusted_fit(0.95, 0.0, 0.45) == 0.95
    shrunk = trusted_fit(0.95, 0.19, 0.45)
    assert 0.45 < shrunk < 0.72
    assert trusted_fit(0.95, UNKNOWN_ERROR, 0.45) == 0.45
    assert trusted_fit(0.2, 0.19, 0.45) > 0.2
