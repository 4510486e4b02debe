"""How a mood recipe and the calm and sad target limits are chosen (docs/mood.md, round 7)."""

from __future__ import annotations

import pytest

from recsys.mood_reader import LIMITS, TargetLimits, traits_for
from training import data as mood_data
from training.calm_split import HALVES, Track, fit_limits, requests
from training.dev_table import GUARDED, REQUESTS, Samples, guard_failures, verdict


def _figures(score: float, value: float = 0.5, speed: float = 0.01) -> dict[str, float]:
    out = {key: value for key in GUARDED}
    return out | {"read/embed p50": speed, "score": score}


def _samples(spread: dict[int, float], full: list[dict[str, float]]) -> Samples:
    """Bootstrap draws around each recipe's figure, as wide as spread[k] either side, in an
    order of their own (so that paired differences vary as they do between real recipes)."""

    def samples(k: int, key: str) -> list[float]:
        steps = [-1, 0, 1][k % 3 :] + [-1, 0, 1][: k % 3]
        return [full[k][key] + spread[k] * step for step in steps] * 10

    return samples


def test_a_fall_within_the_noise_passes_the_guard_and_one_beyond_it_fails() -> None:
    shipped = _figures(0.6)
    within = _figures(0.62, value=0.49)
    beyond = _figures(0.65) | {"P@5 Calm": 0.3}
    slow = _figures(0.65, speed=0.012)
    full = [shipped, within, beyond, slow]
    samples = _samples({0: 0.05, 1: 0.05, 2: 0.05, 3: 0.05}, full)
    assert guard_failures(full, samples, 1) == []
    assert guard_failures(full, samples, 2) == ["P@5 Calm"]
    assert guard_failures(full, samples, 3) == ["read/embed p50"]


def test_the_verdict_keeps_shipped_unless_a_guarded_recipe_beats_it_by_the_margin(
    capsys: pytest.CaptureFixture[str],
) -> None:
    full = [_figures(0.600), _figures(0.603), _figures(0.700) | {"oasis a": 0.1}]
    verdict(["shipped", "close", "broken"], full, _samples({0: 0.01, 1: 0.01, 2: 0.01}, full))
    out = capsys.readouterr().out
    assert "winner: shipped; recipes in this table: 3" in out
    assert "broken: score +0.7000 vs +0.6000; guard fails on oasis a" in out
    # the table beside the verdict shows shipped and the best other recipe by score
    assert "| figure | shipped | broken |" in out
    full[1] = _figures(0.62)
    verdict(["shipped", "better", "broken"], full, _samples({0: 0.01, 1: 0.01, 2: 0.01}, full))
    assert "winner: better" in capsys.readouterr().out


def _track(mood: str, energy: float, acoustic: float, instrumental: float, half: str) -> Track:
    features = {"energy": energy, "acousticness": acoustic, "instrumentalness": instrumental}
    return Track(mood_data.LabelledTrack(features, mood), half)


def test_limits_are_the_medians_of_one_halfs_calm_and_sad_tracks() -> None:
    half = [
        _track("Calm", 0.10, 0.90, 0.80, "A"),
        _track("Calm", 0.20, 0.99, 0.95, "A"),
        _track("Calm", 0.30, 0.70, 0.10, "A"),
        _track("Sad", 0.40, 0.60, 0.00, "A"),
        _track("Sad", 0.30, 0.50, 0.02, "A"),
        _track("Happy", 0.90, 0.10, 0.00, "A"),
    ]
    assert fit_limits(half) == TargetLimits(0.2, 0.9, 0.8, 0.35, 0.01)


def test_the_request_halves_split_each_mood_without_overlap() -> None:
    a, b = (requests(h) for h in HALVES)
    for mood, texts in REQUESTS.items():
        assert set(a[mood]) | set(b[mood]) == set(texts)
        assert not set(a[mood]) & set(b[mood])


def test_a_calm_request_aims_at_the_limits_given() -> None:
    limits = TargetLimits(0.1, 0.9, 0.8, 0.3, 0.0)
    calm = traits_for(0.7, 0.5, frozenset({"peaceful"}), request=True, limits=limits)
    assert (calm.energy, calm.acousticness, calm.instrumentalness) == (0.1, 0.9, 0.8)
    sad = traits_for(0.2, 0.7, frozenset({"grief"}), request=True, limits=limits)
    assert (sad.energy, sad.instrumentalness) == (0.3, 0.0)
    # a vision model's paragraph that names calm in passing is no request
    passing = traits_for(0.7, 0.5, frozenset({"peaceful"}), request=False, limits=limits)
    assert passing.energy == 0.5 and passing.instrumentalness is None
    assert traits_for(0.7, 0.5, frozenset({"calm"}), request=True).energy == LIMITS.calm_energy_max
