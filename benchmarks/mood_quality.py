"""Mood-reading quality on ../shared/data: captions vs owners' vibes, and track mood words.

Run: python -m benchmarks.mood_quality [--data ../shared/data] [--no-embedder]

(a) vlm_captions_dev.csv: for each of the 80 captions (10 photos x 8 vision models), the
    valence and energy MoodReader reads from the caption against the valence and energy of the
    owner's vibe words. Metric: Spearman rank correlation over the captions, for valence and for
    energy, and their mean, per vision model and overall. The vibe side is scored with
    VIBE_REFERENCE below, a separate word list written for this benchmark only (MoodReader's
    lexicon is not used on that side); the circular alternative (MoodReader reading the vibe
    words) is reported beside it.
(b) mood_labels_dev.csv: share of the 343 labelled tracks (Happy/Sad/Energetic/Calm) whose
    derived mood words and theme tags point at their label.
(c) Baselines: random readings, and a word-counting baseline (counts of a few positive,
    negative, energetic and calm words).
(d) A judge-like figure without the database: for each caption, the 10 catalog tracks nearest
    MoodReader's target traits (valence, energy, danceability, acousticness), and the Spearman
    correlation of their mean valence and energy with the owners' vibes.
"""

from __future__ import annotations

import argparse
import csv
import platform
import random
import re
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from recsys.embedder import Embedder  # noqa: E402
from recsys.lexicon import word_set  # noqa: E402
from recsys.models import TrackFeatures  # noqa: E402
from recsys.mood_reader import MoodReader  # noqa: E402
from recsys.themes import ThemeTagger  # noqa: E402
from recsys.track_moods import describe_features  # noqa: E402

# Independent reference for the owners' vibe words: valence and energy on 0..1, written for
# this benchmark (not taken from recsys/lexicon.py), covering the vocabulary of vibe lines.
VIBE_REFERENCE: dict[str, tuple[float, float]] = {
    "sad": (0.1, 0.3), "raining": (0.3, 0.35), "lost": (0.2, 0.35), "lonely": (0.1, 0.25),
    "chill": (0.65, 0.25), "relaxed": (0.7, 0.2), "calming": (0.7, 0.15), "regular": (0.5, 0.45),
    "fun": (0.9, 0.8), "party": (0.9, 0.9), "drinks": (0.75, 0.7), "loud": (0.6, 0.9),
    "thrill": (0.8, 0.95), "high": (0.65, 0.9), "festival": (0.9, 0.85), "colorful": (0.85, 0.7),
    "enjoyment": (0.9, 0.7), "happy": (0.92, 0.7), "innocence": (0.8, 0.45),
    "nature": (0.75, 0.3), "medium": (0.6, 0.5), "happiness": (0.92, 0.65),
    "positive": (0.85, 0.55), "playing": (0.85, 0.75), "adoration": (0.9, 0.55),
    "picnic": (0.85, 0.4), "moderate": (0.6, 0.5), "relaxing": (0.75, 0.2),
    "breakfast": (0.7, 0.35), "routine": (0.55, 0.4), "sunshine": (0.9, 0.6),
    "friendship": (0.9, 0.6), "cuteness": (0.9, 0.55), "goofy": (0.85, 0.7),
    "calm": (0.7, 0.15), "night": (0.5, 0.5), "kids": (0.85, 0.75), "morning": (0.7, 0.35),
}  # fmt: skip

# The word-counting baseline: a few obvious words per pole, nothing else.
POSITIVE = word_set("happy joy joyful fun love smile cheerful bright celebration beautiful")
NEGATIVE = word_set("sad lonely dark rain gloomy melancholy alone grey lost tears")
ENERGETIC = word_set("energy energetic party dance loud lively vibrant excitement upbeat fast")
CALM = word_set("calm quiet peaceful serene relaxed slow gentle soft still tranquil")

LABEL_WORDS = {
    "Happy": {"happy", "joyful", "cheerful", "euphoric", "warm", "party", "friendship"},
    "Sad": {"sad", "melancholic", "lonely", "moody", "bittersweet", "sadness"},
    "Energetic": {"energetic", "intense", "loud", "lively", "energy", "danceable"},
    "Calm": {"calm", "quiet", "still", "gentle", "peaceful", "serene", "meditation"},
}

Reading = tuple[float, float]
# These two answered "I'm unable to view images" and then described an imagined scene.
BLIND_MODELS = {"Phi_14B", "Gemma3_12B"}


def words(text: str) -> list[str]:
    """Lower-case words."""
    return re.findall(r"[a-z]+", text.lower())


def vibe_reference(vibe: str) -> Reading:
    """Valence and energy of a vibe line by the independent reference list."""
    values = [VIBE_REFERENCE[w] for w in words(vibe) if w in VIBE_REFERENCE]
    if not values:
        return 0.5, 0.5
    v, a = np.mean(values, axis=0)
    return float(v), float(a)


def word_count_baseline(text: str) -> Reading:
    """Valence and energy from counts of a few pole words."""
    tokens = words(text)
    pos, neg = sum(t in POSITIVE for t in tokens), sum(t in NEGATIVE for t in tokens)
    hi, lo = sum(t in ENERGETIC for t in tokens), sum(t in CALM for t in tokens)
    return 0.5 + 0.5 * (pos - neg) / (pos + neg + 1), 0.5 + 0.5 * (hi - lo) / (hi + lo + 1)


def rho(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Spearman rank correlation (0 when either side is constant)."""
    if len(set(xs)) < 2 or len(set(ys)) < 2:
        return 0.0
    return float(spearmanr(xs, ys).statistic)


def score(preds: list[Reading], refs: list[Reading]) -> tuple[float, float, float]:
    """(valence rho, energy rho, mean of the two)."""
    rv = rho([p[0] for p in preds], [r[0] for r in refs])
    ra = rho([p[1] for p in preds], [r[1] for r in refs])
    return rv, ra, (rv + ra) / 2


def load_captions(data: Path) -> list[dict[str, str]]:
    """The recorded captions."""
    with (data / "vlm_captions_dev.csv").open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def report_captions(rows: list[dict[str, str]], methods: dict[str, list[Reading]]) -> None:
    """Print Spearman per method, overall and per vision model."""
    for ref_name, ref_fn in (("independent vibe list", vibe_reference), ("circular", None)):
        refs = [ref_fn(r["vibe"]) for r in rows] if ref_fn else methods["_vibe_by_reader"]
        print(f"\n(a) captions vs owners' vibe ({ref_name} reference), Spearman rho, n={len(rows)}")
        print(f"{'method':<28}{'valence':>9}{'energy':>9}{'mean':>9}")
        for name, preds in methods.items():
            if not name.startswith("_"):
                rv, ra, m = score(preds, refs)
                print(f"{name:<28}{rv:>9.3f}{ra:>9.3f}{m:>9.3f}")
    refs = [vibe_reference(r["vibe"]) for r in rows]
    seeing = [i for i, r in enumerate(rows) if r["vlm"] not in BLIND_MODELS]
    print(
        f"\n    without {', '.join(sorted(BLIND_MODELS))} (they described scenes they never saw):"
    )
    for name in ("MoodReader", "word counting"):
        m = score([methods[name][i] for i in seeing], [refs[i] for i in seeing])[2]
        print(f"    {name:<24}{'':>18}{m:>9.3f}   (n={len(seeing)})")
    print("\n    MoodReader per vision model (independent reference; n=10 photos each)")
    for model in dict.fromkeys(r["vlm"] for r in rows):
        idx = [i for i, r in enumerate(rows) if r["vlm"] == model]
        rv, ra, m = score([methods["MoodReader"][i] for i in idx], [refs[i] for i in idx])
        base = score([methods["word counting"][i] for i in idx], [refs[i] for i in idx])[2]
        print(f"    {model:<24}{rv:>9.3f}{ra:>9.3f}{m:>9.3f}   (word counting {base:.3f})")


def random_baseline(rows: list[dict[str, str]], trials: int = 200) -> tuple[float, float]:
    """Mean and SD of the mean rho of random readings."""
    refs = [vibe_reference(r["vibe"]) for r in rows]
    rng = random.Random(7)
    means = [score([(rng.random(), rng.random()) for _ in rows], refs)[2] for _ in range(trials)]
    return float(np.mean(means)), float(np.std(means))


def _float(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


def track_label_accuracy(data: Path, tagger: ThemeTagger) -> None:
    """(b) Share of labelled tracks whose words (and tags) point at their label."""
    with (data / "mood_labels_dev.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    names = ("danceability", "energy", "acousticness", "instrumentalness", "valence",
             "speechiness", "liveness", "tempo")  # fmt: skip
    hits_words = hits_tags = 0
    for row in rows:
        feats = TrackFeatures(**{n: _float(row[n]) for n in names})  # type: ignore[arg-type]
        mood = describe_features(feats)
        tags = tagger.tag(feats)
        hits_words += _predict(mood) == row["mood"]
        hits_tags += bool(set(tags) & LABEL_WORDS[row["mood"]])
    n = len(rows)
    counts = {label: sum(r["mood"] == label for r in rows) for label in LABEL_WORDS}
    print(f"\n(b) mood_labels_dev.csv, n={n} tracks, labels {counts}")
    print(f"    mood words -> label accuracy      {hits_words / n:.3f}")
    print(f"    a theme tag agrees with the label {hits_tags / n:.3f}")
    print(f"    baselines: random 0.250, majority {max(counts.values()) / n:.3f}")


def _predict(mood: Sequence[str]) -> str:
    """The label whose words appear earliest and most often in the track's mood words."""

    def weight(label: str) -> float:
        return sum(1 / (1 + i) for i, w in enumerate(mood) if w in LABEL_WORDS[label])

    return max(LABEL_WORDS, key=weight)


SIM_TRAITS = ("valence", "energy", "danceability", "acousticness")
SIM_TOP = 10


def load_catalog_traits(data: Path) -> np.ndarray:
    """valence, energy, danceability, acousticness of every complete catalog row."""
    out = []
    with (data / "trending_catalog.csv").open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            values = [_float(row.get(name) or "") for name in SIM_TRAITS]
            if all(v is not None and 0 <= v <= 1 for v in values):
                out.append(values)
    return np.array(out, dtype=np.float32)


def simulated_picks(catalog: np.ndarray, traits: list[tuple[float, ...]]) -> list[Reading]:
    """(d) Mean valence and energy of the SIM_TOP catalog tracks nearest each target."""
    out = []
    for target in traits:
        distance = ((catalog - np.array(target, dtype=np.float32)) ** 2).sum(axis=1)
        picks = catalog[np.argpartition(distance, SIM_TOP)[:SIM_TOP]]
        out.append((float(picks[:, 0].mean()), float(picks[:, 1].mean())))
    return out


def report_simulation(data: Path, rows: list[dict[str, str]], reader: MoodReader) -> None:
    """Judge-like figure: songs picked by trait distance alone, against the owners' vibes."""
    catalog = load_catalog_traits(data)
    targets = []
    for m in reader.read_many([r["caption"] for r in rows]):
        t = m.traits
        values = (t.valence, t.energy, t.danceability, t.acousticness)
        targets.append(tuple(0.5 if v is None else v for v in values))
    refs = [vibe_reference(r["vibe"]) for r in rows]
    rv, ra, mean = score(simulated_picks(catalog, targets), refs)
    rng = np.random.default_rng(7)
    randoms = [
        score([tuple(catalog[i, :2]) for i in rng.integers(0, len(catalog), len(rows))], refs)[2]
        for _ in range(50)
    ]
    print(f"\n(d) songs picked from trending_catalog.csv ({len(catalog)} tracks) by trait distance")
    print(f"    to MoodReader's target (top {SIM_TOP}, no text similarity), vs owners' vibes:")
    print(f"    valence {rv:.3f}  energy {ra:.3f}  mean {mean:.3f}   "
          f"(random tracks: mean {np.mean(randoms):.3f})")  # fmt: skip


def timed(fn: Callable[[], list[Reading]]) -> tuple[list[Reading], float]:
    """Result and wall seconds."""
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def main() -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--no-embedder", action="store_true", help="lexicon only")
    args = parser.parse_args()
    if not (args.data / "vlm_captions_dev.csv").exists():
        print(f"needs {args.data}/vlm_captions_dev.csv, which is absent")
        return 2
    print(f"machine: {platform.node()} {platform.machine()} {platform.processor() or ''} "
          f"python {platform.python_version()}")  # fmt: skip
    embedder = None if args.no_embedder else Embedder()
    reader = MoodReader(embedder)
    reader.warm()
    lexicon_only = MoodReader(None)
    rows = load_captions(args.data)
    captions = [r["caption"] for r in rows]

    def read(r: MoodReader, texts: list[str]) -> list[Reading]:
        out = []
        for m in r.read_many(texts):
            out.append((m.traits.valence or 0.5, m.traits.energy or 0.5))
        return out

    mine, seconds = timed(lambda: read(reader, captions))
    methods = {
        "MoodReader": mine,
        "MoodReader lexicon only": read(lexicon_only, captions),
        "word counting": [word_count_baseline(c) for c in captions],
        "_vibe_by_reader": read(reader, [r["vibe"] for r in rows]),
    }
    report_captions(rows, methods)
    mean, sd = random_baseline(rows)
    print(f"{'random (200 draws)':<28}{'':>18}{mean:>9.3f}  (sd {sd:.3f})")
    print(f"    read {len(captions)} captions in {seconds * 1000:.0f} ms with the embedding "
          f"({seconds / len(captions) * 1000:.1f} ms each)")  # fmt: skip
    if (args.data / "trending_catalog.csv").exists():
        report_simulation(args.data, rows, reader)
    track_label_accuracy(args.data, reader.tagger)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
