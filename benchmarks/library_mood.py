"""How well the library's blind tracks get a mood: matching and estimators, scored held out.

`python -m benchmarks.library_mood` reads ../shared/data/user_playlists.csv (one real library,
913 tracks with their real features) and trending_catalog.csv (28k tracks). Every library
track is scored as if Spotify had not described it: its own id and its twins (the same song
under another id) are taken out of the catalog before its artist's songs are averaged, and it
is left out of its playlist's mean. Library tracks are split by artist (a hash of the artist);
the estimator's weights are fitted on one half and every figure is reported on the other.
Intervals are 95% bootstrap intervals over tracks.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import warnings
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks.common import CATALOG_CSV, SHARED_DATA, machine
from benchmarks.library_mood_text import TextFit, embeddings, fit_text, guesses
from recsys.models import MoodEstimate
from recsys.mood_estimate import EstimatorWeights, MoodSum, Prior, estimate_mood
from recsys.same_song import fold, song_key
from recsys.text_mood import WEIGHTS_PATH, TextGuess, track_text

LIBRARY_CSV = SHARED_DATA / "user_playlists.csv"
# Bootstrap resamples for each interval: enough for stable 95% bounds at n ~ 400.
BOOTSTRAP = 1000
# The ranker's bar for the library lift (recsys/ranking.py LIBRARY_FIT_THRESHOLD).
LIFT_THRESHOLD = 0.72
UNKNOWN_FIT = 0.45
TARGET_GRID = (0.15, 0.35, 0.5, 0.65, 0.85)


@dataclass(frozen=True)
class Song:
    """A track with its true valence and energy."""

    spotify_id: str
    key: str | None
    artist: str
    valence: float
    energy: float
    text: str


@dataclass(frozen=True)
class LibraryTrack:
    """A library track, its playlists and whether the catalog has its id."""

    song: Song
    playlists: tuple[str, ...]
    in_catalog: bool


@dataclass(frozen=True)
class World:
    """The catalog by id, by song key and by artist; the library; the catalog mean."""

    by_id: dict[str, Song]
    by_key: dict[str, list[Song]]
    by_artist: dict[str, list[Song]]
    library: list[LibraryTrack]
    prior: Prior


def _song(spotify_id: str, title: str, artists: str, valence: str, energy: str) -> Song:
    names = [a.strip() for a in artists.split(",") if a.strip()]
    return Song(
        spotify_id,
        song_key(title, names),
        fold(names[0]) if names else "",
        float(valence),
        float(energy),
        track_text(title, names),
    )


def load_world(catalog: Path = CATALOG_CSV, library: Path = LIBRARY_CSV) -> World:
    """Both files, indexed."""
    by_id: dict[str, Song] = {}
    with catalog.open(newline="") as handle:
        for row in csv.DictReader(handle):
            song = _song(
                row["spotify_id"], row["name"], row["artists"], row["valence"], row["energy"]
            )
            by_id[song.spotify_id] = song
    by_key: dict[str, list[Song]] = defaultdict(list)
    by_artist: dict[str, list[Song]] = defaultdict(list)
    for song in by_id.values():
        if song.key:
            by_key[song.key].append(song)
        by_artist[song.artist].append(song)
    tracks: dict[str, tuple[Song, list[str]]] = {}
    with library.open(newline="") as handle:
        for row in csv.DictReader(handle):
            song = _song(
                row["track_id"],
                row["track_name"],
                row["artist_name"],
                row["valence"],
                row["energy"],
            )
            tracks.setdefault(song.spotify_id, (song, []))[1].append(row["playlist_id"])
    lib = [LibraryTrack(s, tuple(p), s.spotify_id in by_id) for s, p in tracks.values()]
    moods = np.array([[s.valence, s.energy] for s in by_id.values()])
    mean, sd = moods.mean(axis=0), moods.std(axis=0)
    prior = Prior(float(mean[0]), float(mean[1]), float(sd[0]), float(sd[1]))
    return World(by_id, dict(by_key), dict(by_artist), lib, prior)


def twin(world: World, song: Song) -> Song | None:
    """The catalog's same song under another id (lowest id), if any."""
    others = [s for s in world.by_key.get(song.key or "", []) if s.spotify_id != song.spotify_id]
    return min(others, key=lambda s: s.spotify_id) if others else None


def known_mood(world: World, track: LibraryTrack) -> Song | None:
    """What the bot measures for a track: its catalog row, else its twin's."""
    if track.in_catalog:
        return world.by_id[track.song.spotify_id]
    return twin(world, track.song)


def artist_sum(world: World, song: Song) -> MoodSum:
    """The artist's catalog songs, less this track and its twins."""
    total = MoodSum()
    for other in world.by_artist.get(song.artist, []):
        if other.spotify_id != song.spotify_id and (song.key is None or other.key != song.key):
            total = total.plus(MoodSum.one(other.valence, other.energy))
    return total


def playlist_sums(world: World) -> dict[str, tuple[MoodSum, dict[str, Song]]]:
    """Each playlist's measured tracks (as the bot would know them), summed."""
    sums: dict[str, tuple[MoodSum, dict[str, Song]]] = {}
    for track in world.library:
        known = known_mood(world, track)
        if known is None:
            continue
        for playlist in track.playlists:
            total, members = sums.get(playlist, (MoodSum(), {}))
            members[track.song.spotify_id] = known
            sums[playlist] = (total.plus(MoodSum.one(known.valence, known.energy)), members)
    return sums


def playlist_sum(
    world: World, lists: dict[str, tuple[MoodSum, dict[str, Song]]], track: LibraryTrack
) -> MoodSum:
    """The known tracks of this track's playlists, the track itself (and its twins) left out."""
    total = MoodSum()
    for playlist in track.playlists:
        songs, members = lists.get(playlist, (MoodSum(), {}))
        for spotify_id, known in members.items():
            if spotify_id == track.song.spotify_id or (
                track.song.key is not None and known.key == track.song.key
            ):
                songs = songs.without(known.valence, known.energy)
        total = total.plus(songs)
    return total


def half_of(artist: str) -> int:
    """An artist's half: 0 fits the weights, 1 is reported."""
    return int(hashlib.sha256(artist.encode()).hexdigest(), 16) % 2


@dataclass(frozen=True)
class Case:
    """One library track scored as blind: its truth and what each source knows."""

    truth: Song
    half: int
    in_catalog: bool
    twin: Song | None
    artist: MoodSum
    playlists: MoodSum
    text: TextGuess | None = None


def cases(world: World, texts: dict[str, TextGuess] | None = None) -> list[Case]:
    """Every library track as a blind case (with its text guess, when given)."""
    lists = playlist_sums(world)
    found = []
    for track in world.library:
        found.append(
            Case(
                track.song,
                half_of(track.song.artist),
                track.in_catalog,
                twin(world, track.song),
                artist_sum(world, track.song),
                playlist_sum(world, lists, track),
                (texts or {}).get(track.song.spotify_id),
            )
        )
    return found


Source = Callable[[Case], tuple[float, float] | None]
NONE = MoodSum()

# The sources each table row uses: (artist, playlists, text) switched on or off.
MIXES: dict[str, tuple[bool, bool, bool]] = {
    "artist's other songs": (True, False, False),
    "known songs of its playlists": (False, True, False),
    "title and artist words (text model)": (False, False, True),
    "artist + playlists (shipped)": (True, True, False),
    "artist + playlists + text": (True, True, True),
}


def source_of(name: str, world: World, weights: EstimatorWeights) -> Source:
    """A named estimator: what it says of a case, or None where it has nothing."""
    if name == "same song (title + first artist)":
        return lambda c: (c.twin.valence, c.twin.energy) if c.twin else None
    if name == "catalog-mean constant":
        return lambda c: (world.prior.valence, world.prior.energy)
    use_artist, use_lists, use_text = MIXES[name]

    def said(c: Case) -> tuple[float, float] | None:
        found = estimate_for(world, c, weights, use_artist, use_lists, use_text)
        return None if found is None else (found.valence, found.energy)

    return said


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's rho (ranks with ties averaged)."""
    ra = _ranks(a)
    rb = _ranks(b)
    if ra.std() == 0 or rb.std() == 0:
        return float("nan")
    return float(np.corrcoef(ra, rb)[0, 1])


def _ranks(values: np.ndarray) -> np.ndarray:
    order = values.argsort(kind="mergesort")
    ranks = np.empty(len(values))
    ranks[order] = np.arange(len(values), dtype=float)
    for value in np.unique(values[np.r_[False, np.diff(values[order]) == 0]]):
        ranks[values == value] = ranks[values == value].mean()
    return ranks


def interval(stat: Callable[[np.ndarray], float], n: int, seed: int = 7) -> tuple[float, float]:
    """95% bootstrap interval of a statistic over `n` cases."""
    rng = np.random.default_rng(seed)
    values = [stat(rng.integers(0, n, n)) for _ in range(BOOTSTRAP)]
    low, high = np.nanpercentile(values, [2.5, 97.5])
    return float(low), float(high)


@dataclass(frozen=True)
class Score:
    """One source's quality on the cases it covers."""

    covered: int
    of: int
    rho: tuple[float, float]
    rho_ci: tuple[tuple[float, float], tuple[float, float]]
    mae: tuple[float, float]
    mae_ci: tuple[tuple[float, float], tuple[float, float]]
    rms: float


def score(source: Source, chosen: Sequence[Case]) -> Score | None:
    """Coverage, Spearman rho and MAE (valence, energy) with intervals."""
    said = [(c, source(c)) for c in chosen]
    hit = [(c, s) for c, s in said if s is not None]
    if len(hit) < 3:
        return None
    truth = np.array([[c.truth.valence, c.truth.energy] for c, _ in hit])
    guess = np.array([s for _, s in hit])
    err = np.abs(truth - guess)
    rho = (spearman(guess[:, 0], truth[:, 0]), spearman(guess[:, 1], truth[:, 1]))

    def rho_of(col: int) -> Callable[[np.ndarray], float]:
        return lambda idx: spearman(guess[idx, col], truth[idx, col])

    def mae_of(col: int) -> Callable[[np.ndarray], float]:
        return lambda idx: float(err[idx, col].mean())

    n = len(hit)
    return Score(
        n,
        len(chosen),
        rho,
        (interval(rho_of(0), n), interval(rho_of(1), n)),
        (float(err[:, 0].mean()), float(err[:, 1].mean())),
        (interval(mae_of(0), n), interval(mae_of(1), n)),
        float(np.sqrt((err**2).mean())),
    )


def text_guesses(world: World) -> tuple[dict[str, TextGuess], TextFit]:
    """The text model fitted on the fit half's catalog artists; each library track's guess."""
    fit_songs = [s for s in world.by_id.values() if half_of(s.artist) == 0]
    x = embeddings([s.text for s in fit_songs])
    y = np.array([[s.valence, s.energy] for s in fit_songs])
    text_fit = fit_text(x, y, [s.artist for s in fit_songs])
    songs = [t.song for t in world.library]
    found = guesses(
        text_fit,
        embeddings([s.text for s in songs]),
        [s.artist for s in songs],
        [half_of(s.artist) for s in songs],
    )
    return {s.spotify_id: g for s, g in zip(songs, found, strict=True)}, text_fit


def beats_constant(world: World, report: Sequence[Case], weights: EstimatorWeights) -> bool:
    """Whether the text model alone beats the constant on both traits beyond chance: a lower
    MAE, and a Spearman rho whose 95% interval lies above zero (the constant ranks nothing)."""
    text = score(source_of("title and artist words (text model)", world, weights), report)
    constant = score(source_of("catalog-mean constant", world, weights), report)
    assert text is not None and constant is not None
    lower = all(text.mae[k] < constant.mae[k] for k in (0, 1))
    return lower and all(text.rho_ci[k][0] > 0 for k in (0, 1))


def main(argv: Sequence[str] | None = None) -> int:
    """Score the sources and the ranking effect; print markdown tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--save",
        action="store_true",
        help=f"write the text model to {WEIGHTS_PATH} if it beats the constant held out",
    )
    args = parser.parse_args(argv)
    if not LIBRARY_CSV.exists() or not CATALOG_CSV.exists():
        print(f"skipped: {LIBRARY_CSV} or {CATALOG_CSV} is absent")
        return 0
    from benchmarks.library_mood_fit import fit_weights
    from benchmarks.library_mood_report import print_report

    warnings.simplefilter("ignore", RuntimeWarning)  # rho of a constant resample is NaN
    world = load_world()
    texts, text_fit = text_guesses(world)
    every = cases(world, texts)
    weights = fit_weights(world, [c for c in every if c.half == 0])
    print(f"machine: {machine().line()}")
    print(f"text model: ridge alpha {text_fit.alpha}, fitted on the fit half's catalog artists")
    print_report(world, every, weights)
    wins = beats_constant(world, [c for c in every if c.half == 1], weights)
    print(
        "\ntext model beats the catalog-mean constant held out (lower MAE and rho's interval "
        f"above 0, both traits): {wins}"
    )
    if args.save and wins:
        text_fit.model.save()
        print(f"saved {WEIGHTS_PATH}")
    return 0


def estimate_for(
    world: World,
    case: Case,
    weights: EstimatorWeights,
    use_artist: bool = True,
    use_lists: bool = True,
    use_text: bool = True,
) -> MoodEstimate | None:
    """The estimator's answer for a case from the sources switched on."""
    return estimate_mood(
        case.artist if use_artist else NONE,
        case.playlists if use_lists else NONE,
        world.prior,
        weights,
        case.text if use_text else None,
    )


if __name__ == "__main__":
    raise SystemExit(main())
