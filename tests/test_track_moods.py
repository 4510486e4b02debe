"""Track mood words: what audio features mean to a listener, never a crash on gaps."""

from __future__ import annotations

from recsys.models import TrackFeatures
from recsys.track_moods import describe_features, mood_words_for


def test_sad_quiet_acoustic_track_reads_melancholic_and_intimate() -> None:
    words = describe_features(
        TrackFeatures(valence=0.12, energy=0.25, acousticness=0.9, tempo=72.0)
    )
    assert {"melancholic", "acoustic", "intimate", "slow"} <= set(words)
    assert {"calm", "gentle", "lonely"} & set(words)
    assert not {"happy", "energetic", "loud"} & set(words)


def test_happy_loud_dance_track_reads_euphoric_and_danceable() -> None:
    words = describe_features(
        TrackFeatures(valence=0.9, energy=0.9, danceability=0.85, acousticness=0.02, tempo=150.0)
    )
    assert {"euphoric", "danceable"} <= set(words)
    assert {"intense", "loud", "upbeat"} & set(words)
    assert not {"sad", "quiet", "acoustic"} & set(words)


def test_angry_track_reads_dark() -> None:
    words = describe_features(TrackFeatures(valence=0.1, energy=0.95))
    assert {"angry", "dark"} <= set(words)


def test_instrumental_and_rap_tracks_say_so() -> None:
    assert "instrumental" in describe_features(TrackFeatures(instrumentalness=0.9))
    assert "rap" in describe_features(TrackFeatures(speechiness=0.4))


def test_missing_features_give_fewer_words_not_errors() -> None:
    assert describe_features(TrackFeatures()) == ()
    assert describe_features(TrackFeatures(tempo=0.0)) == ()
    only_valence = describe_features(TrackFeatures(valence=0.1))
    assert "sad" in only_valence and "lonely" not in only_valence


def test_words_stay_few() -> None:
    words = describe_features(
        TrackFeatures(valence=0.1, energy=0.1, acousticness=0.95, instrumentalness=0.9,
                      danceability=0.9, speechiness=0.9, liveness=0.95, tempo=60.0)
    )  # fmt: skip
    assert 0 < len(words) <= 7 and len(set(words)) == len(words)


def test_mood_words_for_uses_the_reader_vocabulary() -> None:
    assert mood_words_for(0.8, 0.2)[:2] == ["peaceful", "serene"]
    assert mood_words_for(None, None) == []
