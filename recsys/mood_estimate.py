"""Estimated mood for a track nobody measured: the artist's other songs, its playlists, its words.

Each source says a valence and energy and how far off it expects to be for this track: the
artist's and the playlist's songs by how much they spread and how many there are, the text
model by its residual model (recsys/text_mood.py). The catalog's mean is a source too, with the
catalog's spread. The sources are weighed by their inverse variance, so a track gets the
expected error of its own estimate, not of its kind. Playlist names are never read: a playlist
called "LOVE <3" averages valence 0.38 (measured worse than a constant, issue 19). The scales
were fitted on one half of a real library split by artist and scored on the other by
`python -m benchmarks.library_mood` (benchmarks/README.md).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from recsys.models import MoodEstimate
from recsys.text_mood import TextGuess

# The RMS error per trait of knowing nothing (the catalog-mean constant) on a real library.
UNKNOWN_ERROR = 0.21
# A source weighing less than this share of an estimate is not named in its basis.
NAMED_SHARE = 0.2


@dataclass(frozen=True)
class MoodSum:
    """Measured songs of one source: how many, their valence and energy summed, and summed
    squared (for their spread)."""

    count: int = 0
    valence: float = 0.0
    energy: float = 0.0
    valence_sq: float = 0.0
    energy_sq: float = 0.0

    @staticmethod
    def one(valence: float, energy: float) -> MoodSum:
        """A single song."""
        return MoodSum(1, valence, energy, valence * valence, energy * energy)

    def plus(self, other: MoodSum) -> MoodSum:
        """Both sources' songs together."""
        return MoodSum(
            self.count + other.count,
            self.valence + other.valence,
            self.energy + other.energy,
            self.valence_sq + other.valence_sq,
            self.energy_sq + other.energy_sq,
        )

    def without(self, valence: float, energy: float) -> MoodSum:
        """These songs less one (leave a track out of its own playlist's mean)."""
        return self.plus(MoodSum(-1, -valence, -energy, -valence * valence, -energy * energy))


@dataclass(frozen=True)
class Prior:
    """The mood a track has when nothing is known about it, and how much moods spread."""

    valence: float
    energy: float
    valence_sd: float
    energy_sd: float


# The catalog's mean mood and spread, used when the database has too few measured tracks to
# say (measured on the 28k trending catalog).
CATALOG_PRIOR = Prior(valence=0.527, energy=0.646, valence_sd=0.230, energy_sd=0.171)


@dataclass(frozen=True)
class EstimatorWeights:
    """The estimator's tunable numbers: fitted on the fit half by `python -m
    benchmarks.library_mood` (2026-12-06 run, benchmarks/README.md), shipped as the defaults."""

    # Typical spread (sd) of one artist's songs, and of one playlist's, around their mean
    # (measured on the fit half's catalog artists and playlists).
    artist_spread: float = 0.157
    playlist_spread: float = 0.192
    # Pseudo-songs of that typical spread added to a source's own spread.
    spread_pseudo: float = 3.0
    # Multipliers on each source's variance against the prior's: the lowest MAE on the fit
    # half trusts the songs' mean far over the catalog mean (the text, when it runs, barely).
    artist_scale: float = 0.1
    playlist_scale: float = 0.1
    text_scale: float = 16.0
    # The combined error's multiplier, so it matches the RMS error seen on the fit half.
    calibration: float = 4.348


@dataclass(frozen=True)
class _Vote:
    """One source's say on one trait: a value and its variance."""

    source: str
    value: float
    variance: float


def pooled(sums: Iterable[MoodSum]) -> MoodSum:
    """Several playlists' songs as one pool."""
    total = MoodSum()
    for part in sums:
        total = total.plus(part)
    return total


def _clip(value: float) -> float:
    return min(1.0, max(0.0, value))


def _song_votes(
    source: str, songs: MoodSum, typical: float, scale: float, pseudo: float
) -> tuple[_Vote, _Vote] | None:
    """A source of measured songs: their mean, and the variance of a new song around it."""
    n = songs.count
    if n <= 0:
        return None
    votes = []
    for total, squares in ((songs.valence, songs.valence_sq), (songs.energy, songs.energy_sq)):
        mean = total / n
        spread = max(0.0, squares - n * mean * mean)
        within = (spread + pseudo * typical * typical) / (n - 1 + pseudo)
        votes.append(_Vote(source, mean, scale * within * (1 + 1 / n)))
    return votes[0], votes[1]


def _text_votes(text: TextGuess | None, scale: float) -> tuple[_Vote, _Vote] | None:
    if text is None:
        return None
    return (
        _Vote("text", text.valence, scale * text.valence_error**2),
        _Vote("text", text.energy, scale * text.energy_error**2),
    )


def _combine(votes: list[_Vote]) -> tuple[float, float, dict[str, float]]:
    """Inverse-variance mean, its variance, and each source's share of the weight."""
    precision = {v.source: 1 / max(v.variance, 1e-6) for v in votes}
    total = sum(precision.values())
    mean = sum(v.value * precision[v.source] for v in votes) / total
    return mean, 1 / total, {name: p / total for name, p in precision.items()}


def estimate_mood(
    artist: MoodSum,
    playlists: MoodSum,
    prior: Prior = CATALOG_PRIOR,
    weights: EstimatorWeights = EstimatorWeights(),
    text: TextGuess | None = None,
) -> MoodEstimate | None:
    """The estimated mood of one track, or None when no source says anything; its basis names
    the sources that carry it, joined by "_", and its error is this track's own."""
    w = weights
    sources = [
        _song_votes("artist", artist, w.artist_spread, w.artist_scale, w.spread_pseudo),
        _song_votes("playlist", playlists, w.playlist_spread, w.playlist_scale, w.spread_pseudo),
        _text_votes(text, w.text_scale),
    ]
    said = [pair for pair in sources if pair is not None]
    if not said:
        return None
    base = (_Vote("prior", prior.valence, prior.valence_sd**2),)
    base_e = (_Vote("prior", prior.energy, prior.energy_sd**2),)
    valence, var_v, shares_v = _combine([*base, *(pair[0] for pair in said)])
    energy, var_e, shares_e = _combine([*base_e, *(pair[1] for pair in said)])
    # never less sure than knowing nothing: the calibration was fitted on artist and playlist
    # estimates, and an estimate pulled to the prior is at worst the prior
    unknown = math.sqrt((prior.valence_sd**2 + prior.energy_sd**2) / 2)
    error = min(unknown, w.calibration * math.sqrt((var_v + var_e) / 2))
    return MoodEstimate(_clip(valence), _clip(energy), error, _basis(shares_v, shares_e))


def _basis(valence: dict[str, float], energy: dict[str, float]) -> str:
    """The sources that carry at least NAMED_SHARE of the non-prior weight (the largest always)."""
    names = ("artist", "playlist", "text")
    share = {n: valence.get(n, 0.0) + energy.get(n, 0.0) for n in names}
    total = sum(share.values())
    lead = max(names, key=lambda n: share[n])
    named = [n for n in names if n == lead or share[n] >= NAMED_SHARE * total]
    return "_".join(named)


def trusted_fit(fit: float, error: float, unknown_fit: float) -> float:
    """A fit read from an estimate, shrunk toward the fit of a mood-blind track.

    The estimate explains 1 - (error / UNKNOWN_ERROR)^2 of a trait's spread; the fit keeps that
    share of its distance from `unknown_fit`. A naive estimate lifted 55% blind songs into the
    library's top fits and lowered their true fit (benchmarks/README.md, library moods).
    """
    reliability = max(0.0, 1.0 - (error / UNKNOWN_ERROR) ** 2)
    return unknown_fit + (fit - unknown_fit) * reliability
