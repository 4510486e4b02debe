"""The calm and sad target limits, refit on one half of the labelled tracks and judged on the other.

Run: python -m training.calm_split [--model FILE]   (needs ../shared/data and the `train` extra)

Round 6 set recsys.mood_reader.TargetLimits from the medians of all of mood_labels_dev.csv's
Calm and Sad tracks, with the 24 dev requests in view. Here (docs/mood.md, round 7, written
before the run) the tracks are split in two halves by artist and the requests in two halves by
position; each half's limits are the same medians taken on its own tracks only, and each half's
precision@5 (its requests ranking its tracks) is reported under the limits fit on the other
half, beside round 6's limits and no limits at all (the reader's own reading of energy).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from recsys.embedder import Embedder
from recsys.mood_model import MoodModel
from recsys.mood_reader import LIMITS, MoodReader, TargetLimits
from training import data as mood_data
from training.dev_table import DRAWS, MOODS, REQUESTS, SEED, interval, precision_at_top

HALVES = ("A", "B")
# Limits that leave a reading's energy and acousticness as read (the instrumental leans stay).
NO_LIMITS = TargetLimits(1.0, 0.0, 0.6, 1.0, 0.05)
# Round 6's limits, set from the medians of all the labelled tracks with the requests in view.
ROUND_6 = TargetLimits(0.15, 0.85, 0.6, 0.4, 0.05)


@dataclass(frozen=True)
class Track:
    """A labelled track, its half (by artist) and the ranker's view of its features."""

    track: mood_data.LabelledTrack
    half: str


def tracks() -> list[Track]:
    """mood_labels_dev.csv's tracks, each in half A or B by a hash of its artist's name (so that
    one artist's songs never sit on both sides)."""
    with (mood_data.DATA / "mood_labels_dev.csv").open(newline="", encoding="utf-8") as f:
        artists = [r["artist"] for r in csv.DictReader(f)]
    labelled = mood_data.mood_labels()
    return [
        Track(t, HALVES[hashlib.sha256(a.lower().encode()).digest()[0] % 2])
        for t, a in zip(labelled, artists, strict=True)
    ]


def requests(half: str) -> dict[str, tuple[str, ...]]:
    """The requests of one half: the 1st, 3rd and 5th of each mood (A) or the others (B)."""
    start = HALVES.index(half)
    return {mood: texts[start::2] for mood, texts in REQUESTS.items()}


def fit_limits(half: list[Track]) -> TargetLimits:
    """The limits as round 6 derived them, from one half's tracks only: the medians of its Calm
    tracks' energy, acousticness and instrumentalness, and of its Sad tracks' energy and
    instrumentalness (two decimals)."""

    def median(mood: str, name: str) -> float:
        values = [t.track.features[name] for t in half if t.track.mood == mood]
        return round(float(np.median(values)), 2)

    return TargetLimits(
        calm_energy_max=median("Calm", "energy"),
        calm_acoustic_min=median("Calm", "acousticness"),
        calm_instrumental=median("Calm", "instrumentalness"),
        sad_energy_max=median("Sad", "energy"),
        sung=median("Sad", "instrumentalness"),
    )


def hits(
    reader: MoodReader, embedder: Embedder, asked: dict[str, tuple[str, ...]], pool: list[Track]
) -> np.ndarray:
    """Each request's share of the top TOP tracks of pool (by trait fit) that carry its label."""
    return precision_at_top(reader, embedder, [t.track for t in pool], asked)


def per_mood(values: np.ndarray, per: int) -> list[str]:
    """Precision@5 per mood and the mean, each with its 90% bootstrap interval over requests."""
    rng = np.random.default_rng(SEED)
    grouped = values.reshape(len(MOODS), per)
    boots = np.array([[g[rng.integers(0, per, per)].mean() for g in grouped] for _ in range(DRAWS)])
    cells = []
    for k in range(len(MOODS)):
        low, high = interval(boots[:, k].tolist())
        cells.append(f"{grouped[k].mean():.3f} [{low:.3f}, {high:.3f}]")
    low, high = interval(boots.mean(axis=1).tolist())
    cells.append(f"{grouped.mean():.3f} [{low:.3f}, {high:.3f}]")
    return cells


def main() -> int:
    """Print the fitted limits and precision@5 of each half under each set of limits."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="a mood model file (default: the shipped one)")
    args = parser.parse_args()
    model = MoodModel.load(Path(args.model)) if args.model else MoodModel.load()
    embedder = Embedder()
    pool = tracks()
    halves = {h: [t for t in pool if t.half == h] for h in HALVES}
    fitted = {h: fit_limits(halves[h]) for h in HALVES}
    for h in HALVES:
        print(f"half {h}: {len(halves[h])} tracks; limits fit on it: {fitted[h]}")
    variants = {
        "uncapped": NO_LIMITS,
        "round 6": ROUND_6,
        "fit on A" + (" (ships)" if fitted["A"] == LIMITS else ""): fitted["A"],
        "fit on B": fitted["B"],
    }
    print("| limits | judged on | " + " | ".join(f"P@5 {m}" for m in MOODS) + " | P@5 mean |")
    print("|---|---|" + "---|" * (len(MOODS) + 1))
    for name, limits in variants.items():
        reader = MoodReader(embedder, model=model, limits=limits)
        for h in HALVES:
            values = hits(reader, embedder, requests(h), halves[h])
            print(f"| {name} | half {h} | " + " | ".join(per_mood(values, 3)) + " |")
        every = hits(reader, embedder, REQUESTS, pool)
        print(f"| {name} | all | " + " | ".join(per_mood(every, 6)) + " |")
    embedder.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
