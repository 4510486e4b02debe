"""The mood estimate: the artist's songs, the playlists' known songs and the track's words,
weighed by how far off each expects to be for this track."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from recsys.mood_estimate import (
    CATALOG_PRIOR,
    UNKNOWN_ERROR,
    EstimatorWeights,
    MoodSum,
    Prior,
    estimate_mood,
    pooled,
    trusted_fit,
)
from recsys.text_mood import TextGuess, TextMoodModel, read_model, track_text

PRIOR = Prior(0.5, 0.6, 0.24, 0.19)
# Plain weights for the mechanics: each source's variance as it is, no calibration.
PLAIN = EstimatorWeights(artist_scale=1.0, playlist_scale=1.0, text_scale=1.0, calibration=1.0)


def songs(*moods: tuple[float, float]) -> MoodSum:
    """Measured songs as one source."""
    return pooled(MoodSum.one(v, e) for v, e in moods)


def test_nothing_known_is_no_estimate() -> None:
    """With no source saying anything, a track stays without a mood (not the prior)."""
    assert estimate_mood(MoodSum(), MoodSum(), PRIOR) is None


def test_one_song_is_mostly_the_prior_and_many_songs_are_mostly_themselves() -> None:
    """An artist known by one sad song is pulled to the middle; one known by 40 is not."""
    one = estimate_mood(songs((0.1, 0.2)), MoodSum(), PRIOR, PLAIN)
    many = estimate_mood(songs(*[(0.1, 0.2)] * 40), MoodSum(), PRIOR, PLAIN)
    assert one is not None and many is not None
    assert 0.1 < one.valence < many.valence + 0.3
    assert many.valence == pytest.approx(0.1, abs=0.03)
    assert one.basis == many.basis == "artist"
    assert many.error < one.error < UNKNOWN_ERROR


def test_the_error_is_the_tracks_own_an_artist_all_over_the_place_is_trusted_less() -> None:
    """Same count, same mean: an artist whose songs agree gives a smaller expected error."""
    steady = estimate_mood(songs(*[(0.5, 0.5)] * 10), MoodSum(), PRIOR)
    mixed = estimate_mood(songs(*[(0.05, 0.1), (0.95, 0.9)] * 5), MoodSum(), PRIOR)
    assert steady is not None and mixed is not None
    assert steady.valence == pytest.approx(mixed.valence, abs=0.01)
    assert steady.error < 0.6 * mixed.error


def test_sources_blend_and_are_named_when_they_carry_the_estimate() -> None:
    """Artist and playlist together land between them; each carrying weight is named."""
    both = estimate_mood(songs(*[(0.1, 0.2)] * 20), songs(*[(0.9, 0.9)] * 20), PRIOR)
    assert both is not None and both.basis == "artist_playlist"
    assert 0.1 < both.valence < 0.9
    lists = estimate_mood(MoodSum(), pooled([songs((0.9, 0.9), (0.9, 0.9)), songs((0.9, 0.9))]))
    assert lists is not None and lists.basis == "playlist" and lists.valence > 0.7


def test_the_words_alone_are_a_source_and_a_confident_one_leads() -> None:
    """A text guess alone gives a "text" estimate; with one weak artist song it is named too."""
    sure = TextGuess(0.9, 0.85, 0.15, 0.15)
    alone = estimate_mood(MoodSum(), MoodSum(), PRIOR, PLAIN, sure)
    assert alone is not None and alone.basis == "text" and alone.valence > 0.7
    assert alone.error < UNKNOWN_ERROR
    mixed = estimate_mood(songs((0.2, 0.3)), MoodSum(), PRIOR, PLAIN, sure)
    assert mixed is not None and mixed.basis == "artist_text"
    vague = TextGuess(0.5, 0.6, 0.5, 0.5)
    led = estimate_mood(songs(*[(0.2, 0.3)] * 30), MoodSum(), PRIOR, PLAIN, vague)
    assert led is not None and led.basis == "artist"


def test_the_shipped_weights_barely_trust_the_words_and_never_claim_more_than_nothing() -> None:
    """As fitted held out: the words alone stay near the catalog mean, every error stays at or
    below knowing nothing, and a steady, well-known artist still earns a small one."""
    alone = estimate_mood(MoodSum(), MoodSum(), PRIOR, text=TextGuess(0.9, 0.85, 0.15, 0.15))
    assert alone is not None and abs(alone.valence - PRIOR.valence) < 0.1
    assert alone.error <= (0.24**2 / 2 + 0.19**2 / 2) ** 0.5 + 1e-9
    known = estimate_mood(songs(*[(0.2, 0.3)] * 30), MoodSum(), PRIOR)
    assert known is not None and known.error < 0.15 and known.valence < 0.25


def test_estimates_stay_in_range() -> None:
    """Whatever the sums, valence and energy stay in 0..1."""
    found = estimate_mood(
        songs(*[(1.0, 1.0)] * 3), songs((1.0, 1.0)), replace(CATALOG_PRIOR, valence=1.0, energy=1.0)
    )
    assert found is not None and found.valence <= 1.0 and found.energy <= 1.0


def test_an_uncertain_fit_is_pulled_toward_the_unknown_fit() -> None:
    """A perfect-looking estimate never scores as a measured perfect fit; no error, no change."""
    assert trusted_fit(0.95, 0.0, 0.45) == 0.95
    shrunk = trusted_fit(0.95, 0.19, 0.45)
    assert 0.45 < shrunk < 0.72
    assert trusted_fit(0.95, UNKNOWN_ERROR, 0.45) == 0.45
    assert trusted_fit(0.2, 0.19, 0.45) > 0.2


def test_the_text_model_reads_an_embedding_and_round_trips(tmp_path: Path) -> None:
    """A tiny hand-made model: the guess follows the weights, errors never fall below the floor,
    values are clipped to 0..1, and what is saved reads back the same."""
    weights = np.zeros((4, 2))
    weights[0] = (0.4, -0.3)
    model = TextMoodModel(
        weights, np.array([0.5, 0.6]), np.zeros((4, 2)), np.array([0.01, 0.02]), np.full(2, 0.03)
    )
    guesses = model.guess(np.array([[1.0, 0, 0, 0], [0, 1.0, 0, 0], [3.0, 0, 0, 0]]))
    assert (guesses[0].valence, guesses[0].energy) == (pytest.approx(0.9), pytest.approx(0.3))
    assert (guesses[1].valence, guesses[1].energy) == (pytest.approx(0.5), pytest.approx(0.6))
    assert guesses[2].valence == 1.0 and guesses[2].energy == 0.0
    assert guesses[0].valence_error == pytest.approx(0.03**0.5)
    path = tmp_path / "m.npz"
    model.save(path)
    again = read_model(path).guess(np.array([[1.0, 0, 0, 0]]))[0]
    assert again.valence == pytest.approx(0.9, abs=1e-6)
    assert model.guess(np.zeros((0, 4))) == []


def test_the_text_read_is_title_and_artists_only() -> None:
    """The model reads what every catalog row has: "<title> by <artists>"."""
    assert track_text("Hello", ["Adele"]) == "Hello by Adele"
    assert track_text("Hello", ["A", "B"]) == "Hello by A, B"
    assert track_text("Hello", []) == "Hello"
