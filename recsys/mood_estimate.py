"""Estimated mood for a track nobody measured: from the artist's other songs and its playlists.

Each source is a mean of measured valence and energy, shrunk toward the catalog's mean by how
few songs it rests on; when both exist they are blended. Playlist names are never read: a
playlist called "LOVE <3" averages valence 0.38 (measured worse than a constant, issue 19).
The expected error of each kind of estimate was measured on held-out tracks by
`python -m benchmarks.library_mood` (benchmarks/README.md) and travels with the estimate, so
the ranker can trust it as much as it deserves and no more.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Basis = Literal["artist", "playlist", "artist_playlist"]

# The catalog's mean mood, used when the database has too few measured tracks to say
# (the 28k trending catalog: valence 0.527, energy 0.646).
PRIOR_VALENCE = 0.527
PRIOR_ENERGY = 0.646
# Pseudo-songs of the prior added to each mean: an artist known by one song is mostly the
# prior, one known by twenty mostly themselves. Fitted on the benchmark's fit split.
ARTIST_SHRINK = 2.0
PLAYLIST_SHRINK = 0.5
# The artist's share of a blend with the playlist estimate (fitted on the fit split).
ARTIST_SHARE = 0.7
# Expected RMS error per trait of each basis, measured on the benchmark's fit half.
EXPECTED_ERROR: dict[Basis, float] = {"artist": 0.19, "playlist": 0.21, "artist_playlist": 0.19}
# The RMS error of knowing nothing (the catalog-mean constant) on the same tracks.
UNKNOWN_ERROR = 0.21


@dataclass(frozen=True)
class MoodSum:
    """Measured songs of one source: how many, and their valence and energy summed."""

    count: int = 0
    valence: float = 0.0
    energy: float = 0.0

    def plus(self, other: MoodSum) -> MoodSum:
        """Both sources' songs together."""
        return MoodSum(
            self.count + other.count, self.valence + other.valence, self.energy + other.energy
        )

    def without(self, valence: float, energy: float) -> MoodSum:
        """These songs less one (leave a track out of its own playlist's mean)."""
        return MoodSum(self.count - 1, self.valence - valence, self.energy - energy)


@dataclass(frozen=True)
class Prior:
    """The mood a track has when nothing is known about it."""

    valence: float = PRIOR_VALENCE
    energy: float = PRIOR_ENERGY


@dataclass(frozen=True)
class Estimate:
    """An estimated mood with its basis and expected RMS error per trait."""

    valence: float
    energy: float
    error: float
    basis: Basis


@dataclass(frozen=True)
class EstimatorWeights:
    """The estimator's tunable numbers (fitted by the benchmark, shipped as the defaults)."""

    artist_shrink: float = ARTIST_SHRINK
    playlist_shrink: float = PLAYLIST_SHRINK
    artist_share: float = ARTIST_SHARE


def shrunk(songs: MoodSum, shrink: float, prior: Prior) -> tuple[float, float]:
    """The songs' mean valence and energy, pulled toward the prior by `shrink` pseudo-songs."""
    total = songs.count + shrink
    return (
        (songs.valence + shrink * prior.valence) / total,
        (songs.energy + shrink * prior.energy) / total,
    )


def pooled(sums: Iterable[MoodSum]) -> MoodSum:
    """Several playlists' songs as one pool."""
    total = MoodSum()
    for part in sums:
        total = total.plus(part)
    return total


def _clip(value: float) -> float:
    return min(1.0, max(0.0, value))


def estimate_mood(
    artist: MoodSum,
    playlists: MoodSum,
    prior: Prior = Prior(),
    weights: EstimatorWeights = EstimatorWeights(),
) -> Estimate | None:
    """The estimated mood of one track, or None when neither source has a measured song."""
    if artist.count <= 0 and playlists.count <= 0:
        return None
    by_artist = shrunk(artist, weights.artist_shrink, prior) if artist.count > 0 else None
    by_list = shrunk(playlists, weights.playlist_shrink, prior) if playlists.count > 0 else None
    if by_artist is not None and by_list is not None:
        share = weights.artist_share
        valence = share * by_artist[0] + (1 - share) * by_list[0]
        energy = share * by_artist[1] + (1 - share) * by_list[1]
        basis: Basis = "artist_playlist"
    elif by_artist is not None:
        (valence, energy), basis = by_artist, "artist"
    else:
        assert by_list is not None
        (valence, energy), basis = by_list, "playlist"
    return Estimate(_clip(valence), _clip(energy), EXPECTED_ERROR[basis], basis)


def trusted_fit(fit: float, error: float, unknown_fit: float) -> float:
    """A fit read from an estimate, shrunk toward the fit of a mood-blind track.

    The estimate explains 1 - (error / UNKNOWN_ERROR)^2 of a trait's spread; the fit keeps that
    share of its distance from `unknown_fit`. A naive estimate lifted 55% blind songs into the
    library's top fits and lowered their true fit (benchmarks/README.md, library moods).
    """
    reliability = max(0.0, 1.0 - (error / UNKNOWN_ERROR) ** 2)
    return unknown_fit + (fit - unknown_fit) * reliability
