"""The estimator's numbers for `python -m benchmarks.library_mood`: the typical spreads, the
source scales and the error's calibration, all fitted on the fit half's tracks only."""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from benchmarks.library_mood import (
    Case,
    Song,
    Source,
    World,
    estimate_for,
    half_of,
    source_of,
)
from recsys.mood_estimate import EstimatorWeights

# Multipliers tried on each source's variance.
SCALE_GRID = (0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0)


def spread(groups: Sequence[Sequence[Song]]) -> float:
    """The pooled within-group sd of valence and energy (groups of two songs or more)."""
    squares, count = 0.0, 0
    for group in groups:
        if len(group) < 2:
            continue
        values = np.array([[s.valence, s.energy] for s in group])
        squares += float(((values - values.mean(axis=0)) ** 2).sum()) / 2
        count += len(group) - 1
    return math.sqrt(squares / count) if count else 0.2


def fit_weights(world: World, fit: Sequence[Case]) -> EstimatorWeights:
    """Spreads measured on the fit half's artists and playlists; the artist and playlist scales
    with the lowest MAE of the shipped mix on the fit half's cases, then the text's scale with
    them; the error calibrated to the shipped mix's RMS error on the fit half."""
    artists = [songs for name, songs in world.by_artist.items() if half_of(name) == 0]
    lists: dict[str, list[Song]] = defaultdict(list)
    for track in world.library:
        if half_of(track.song.artist) == 0:
            for playlist in track.playlists:
                lists[playlist].append(track.song)
    base = EstimatorWeights(
        artist_spread=round(spread(artists), 3),
        playlist_spread=round(spread(list(lists.values())), 3),
    )
    best, best_mae = base, math.inf
    for a, p in itertools.product(SCALE_GRID, SCALE_GRID):
        weights = replace(base, artist_scale=a, playlist_scale=p)
        mae = mean_error(source_of("artist + playlists (shipped)", world, weights), fit)
        if mae < best_mae:
            best, best_mae = weights, mae
    text_best, best_mae = best, math.inf
    for t in SCALE_GRID:
        weights = replace(best, text_scale=t)
        mae = mean_error(source_of("artist + playlists + text", world, weights), fit)
        if mae < best_mae:
            text_best, best_mae = weights, mae
    return replace(text_best, calibration=round(calibration(world, fit, best), 3))


def calibration(world: World, fit: Sequence[Case], weights: EstimatorWeights) -> float:
    """The factor that makes the mean squared expected error equal the mean squared error."""
    said, seen = [], []
    for case in fit:
        found = estimate_for(world, case, replace(weights, calibration=1.0), use_text=False)
        if found is not None:
            said.append(found.error**2)
            seen.append(
                (
                    (found.valence - case.truth.valence) ** 2
                    + (found.energy - case.truth.energy) ** 2
                )
                / 2
            )
    return math.sqrt(float(np.mean(seen)) / float(np.mean(said))) if said else 1.0


def mean_error(source: Source, chosen: Sequence[Case]) -> float:
    """Mean absolute error over valence and energy where the source says something."""
    errors = []
    for case in chosen:
        said = source(case)
        if said is not None:
            errors += [abs(said[0] - case.truth.valence), abs(said[1] - case.truth.energy)]
    return float(np.mean(errors)) if errors else math.inf
