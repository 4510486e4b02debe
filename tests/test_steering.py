"""Steering: a listener's own words move the target traits, filters and preferences."""

from __future__ import annotations

import pytest

from recsys.models import AudioTraits
from recsys.steering import Steering, describe, parse_steering

PHOTO = AudioTraits(
    valence=0.4, energy=0.5, danceability=0.5, acousticness=0.4, tempo_min=90.0, tempo_max=130.0
)


def steer(words: str) -> Steering:
    return parse_steering(words, this_year=2026)


@pytest.mark.parametrize("words", ["more upbeat", "happier please", "something cheerful"])
def test_upbeat_raises_valence_and_energy(words: str) -> None:
    moved = steer(words).apply(PHOTO)
    assert moved.valence is not None and moved.valence >= 0.6
    assert moved.energy is not None and moved.energy > 0.5


@pytest.mark.parametrize("words", ["slower", "something chill", "calmer songs"])
def test_slower_lowers_energy_and_tempo(words: str) -> None:
    moved = steer(words).apply(PHOTO)
    assert moved.energy is not None and moved.energy <= 0.25
    assert moved.tempo_max is not None and moved.tempo_max < 130.0


def test_faster_raises_tempo_band() -> None:
    moved = steer("faster").apply(PHOTO)
    assert moved.tempo_min is not None and moved.tempo_min > 100
    assert moved.energy is not None and moved.energy > 0.5


def test_faster_without_a_photo_tempo_still_sets_a_band() -> None:
    moved = steer("faster").apply(AudioTraits())
    assert moved.tempo_min is not None and moved.tempo_min >= 110


@pytest.mark.parametrize("words", ["instrumental", "no vocals", "music without lyrics"])
def test_instrumental_asks_for_instrumental_tracks(words: str) -> None:
    moved = steer(words).apply(PHOTO)
    assert moved.instrumentalness is not None and moved.instrumentalness >= 0.8


def test_acoustic_overrides_acousticness() -> None:
    assert steer("acoustic please").apply(PHOTO).acousticness == 0.8


def test_no_sad_songs_excludes_sadness_without_reading_as_sad() -> None:
    steering = steer("no sad songs")
    assert steering.exclude_sad and "sadness" in steering.avoid_themes
    moved = steering.apply(PHOTO)
    assert moved.valence is not None and moved.valence > PHOTO.valence  # type: ignore[operator]


def test_sad_asks_for_sadder_songs() -> None:
    steering = steer("something sad")
    assert not steering.exclude_sad
    moved = steering.apply(PHOTO)
    assert moved.valence is not None and moved.valence < 0.2


@pytest.mark.parametrize("words", ["something trendy", "popular songs", "the latest hits"])
def test_trendy_prefers_trending(words: str) -> None:
    assert steer(words).want_trending


@pytest.mark.parametrize(
    ("words", "genres"),
    [
        ("jazz", ("jazz",)),
        ("some lo-fi", ("lofi",)),
        ("k-pop", ("k-pop",)),
        ("hip-hop or rock", ("hip hop", "rock")),
        ("classical", ("classical",)),
        ("EDM bangers", ("edm",)),
    ],
)
def test_genres_are_recognised(words: str, genres: tuple[str, ...]) -> None:
    assert steer(words).genres == genres


def test_genre_also_moves_the_sound() -> None:
    moved = steer("lofi").apply(PHOTO)
    assert moved.energy is not None and moved.energy < 0.5
    assert steer("classical").apply(PHOTO).acousticness == 0.8


@pytest.mark.parametrize(
    ("words", "years"),
    [
        ("80s", (1980, 1989)),
        ("songs from the 1990s", (1990, 1999)),
        ("2000s", (2000, 2009)),
        ("from 2015", (2015, 2026)),
        ("before 2000", (1950, 1999)),
        ("90s and 2000s", (1990, 2009)),
        ("something recent", (2023, 2026)),
    ],
)
def test_eras_become_year_ranges(words: str, years: tuple[int, int]) -> None:
    assert steer(words).year_range == years


def test_leftover_words_are_kept_for_the_embedding() -> None:
    steering = steer("more upbeat rainy day in paris, 80s")
    assert steering.free_text == "rainy day paris"
    assert steering.phrases == ("more upbeat", "1980-1989")


def test_no_steering_changes_nothing() -> None:
    steering = steer("")
    assert steering.is_empty and steering.apply(PHOTO) == PHOTO
    assert describe(steering) == "none"


def test_steering_is_a_frozen_value() -> None:
    steering = steer("faster")
    with pytest.raises(AttributeError):
        steering.want_trending = True  # type: ignore[misc]
