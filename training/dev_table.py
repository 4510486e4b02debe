"""Every dev figure of one or more mood-model recipes in one table, with bootstrap intervals.

Run: python -m training.dev_table [RECIPE ...] [--save FILE] [--baseline FILE]
     (needs ../shared/data and the `train` extra; RECIPE names: see RECIPES, default "shipped")

The figures and the rule that chooses among recipes: training/README.md. The first column is
the reference (the first recipe named, or --baseline: the answers of an earlier run saved with
--save, so that a change of the reader's code is compared on the very same draws); every other
column also shows its paired difference from the reference. The speed ratio is only comparable
within one run.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from recsys.embedder import Embedder
from recsys.models import TrackFeatures
from recsys.mood_model import MoodModel
from recsys.mood_reader import MoodReader
from recsys.query import build_query
from recsys.ranking import trait_fit
from training import data as mood_data
from training import nested, train_mood
from training.cv import CrossValidation, reader_readings
from training.train_mood import Material, pearson, rho

RECIPES = train_mood.RECIPES
# Short requests per mood label, written before any run (training/README.md); the held-out
# check sends requests of its own.
REQUESTS: dict[str, tuple[str, ...]] = {
    "Happy": (
        "happy",
        "a sunny day with friends",
        "cheerful and bright",
        "joyful celebration",
        "feeling good today",
        "kids laughing in the park",
    ),
    "Sad": (
        "sad",
        "heartbroken and alone",
        "a lonely rainy night",
        "grief and loss",
        "melancholy goodbye",
        "tears after the breakup",
    ),
    "Energetic": (
        "energetic workout",
        "party all night",
        "high energy dancing",
        "pumped up and loud",
        "a wild festival crowd",
        "running fast",
    ),
    "Calm": (
        "calm",
        "peaceful meditation",
        "a still misty morning",
        "gentle and tranquil",
        "quiet evening by the lake",
        "relaxing and serene",
    ),
}
MOODS = tuple(REQUESTS)
TOP = 5
DRAWS = 1000
# Spearman over 13,915 words is slow and its interval narrow: fewer draws say as much.
WORD_DRAWS = 200
SEED = 11
# Timed reads and embeddings per text for the speed ratio.
SPEED_ROUNDS = 30
SPEED_TEXTS = (
    "rainy sunday, instrumental",
    "A photo of a storm.",
    "The image captures a solitary figure on a bench under a street lamp on a rainy night. The "
    "atmosphere is one of quiet introspection and melancholy, with muted grey tones.",
)


@dataclass(frozen=True)
class Outcome:
    """What one recipe answered on every dev set, kept whole for the paired bootstrap."""

    captions: np.ndarray  # (80, 2), each caption read by the model fit without its photo
    oasis: np.ndarray  # (40, 2), each theme read by the model fit without its category
    emobank: np.ndarray  # (test sentences, 2), the model fit on everything
    warriner: np.ndarray  # (words, 2), the same
    hits: np.ndarray  # (requests,), precision@5 of each request, in REQUESTS order
    read_ms: np.ndarray  # (SPEED_ROUNDS,) read_embedded time of SPEED_TEXTS
    embed_ms: np.ndarray  # (SPEED_ROUNDS,) one fresh embedding of each of SPEED_TEXTS


@dataclass(frozen=True)
class Truth:
    """The rated sets every recipe is scored against."""

    material: Material
    warriner: mood_data.Rated
    warriner_x: np.ndarray
    tracks: list[mood_data.LabelledTrack]


def precision_at_top(
    reader: MoodReader,
    embedder: Embedder,
    tracks: list[mood_data.LabelledTrack],
    asked: dict[str, tuple[str, ...]] = REQUESTS,
) -> np.ndarray:
    """Each request's share of the top TOP tracks (by the ranker's trait fit) with its label."""
    rows = [_features(track.features) for track in tracks]
    out = []
    for mood, texts in asked.items():
        for text in texts:
            plan = build_query(None, text, reader, embedder).plan
            fits = np.array([trait_fit(row, plan) for row in rows])
            top = np.argsort(-fits, kind="stable")[:TOP]
            out.append(np.mean([tracks[i].mood == mood for i in top]))
    return np.array(out)


def _features(values: dict[str, float]) -> TrackFeatures:
    """The ranker's view of a labelled track's audio features (data.mood_labels names them)."""
    return TrackFeatures(**values)  # type: ignore[arg-type]


def request_targets(reader: MoodReader, embedder: Embedder, mood: str) -> list[str]:
    """Each request of one mood with the target traits the ranker gets (for the report)."""
    lines = []
    for text in REQUESTS[mood]:
        t = build_query(None, text, reader, embedder).plan.target
        lines.append(
            f"    {text!r:<30} valence {t.valence} energy {t.energy} acoustic {t.acousticness}"
            f" instrumental {t.instrumentalness}"
        )
    return lines


def speed(
    reader: MoodReader, embedder: Embedder, rounds: int = SPEED_ROUNDS
) -> tuple[np.ndarray, np.ndarray]:
    """Milliseconds of reading SPEED_TEXTS given their vectors, and of embedding them anew."""
    vectors = embedder.embed_texts(list(SPEED_TEXTS))
    read, embed = [], []
    for _ in range(rounds):
        start = time.perf_counter()
        for text, vector in zip(SPEED_TEXTS, vectors, strict=True):
            reader.read_embedded(text, vector)
        read.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        for text in SPEED_TEXTS:
            embedder.cache.clear()  # a repeated text would be answered from the cache
            embedder.embed_texts([text])
        embed.append((time.perf_counter() - start) * 1000)
    return np.array(read), np.array(embed)


def outcome(truth: Truth, recipe: train_mood.Recipe, embedder: Embedder) -> Outcome:
    """Cross-validate one recipe, fit it on everything, and read every dev set with it."""
    m = truth.material
    if recipe.glasgow_words:
        m = train_mood.with_glasgow_words(m, embedder)
    captions, oasis, fitted = cross_validated(m, recipe)
    plain = MoodReader(None, model=fitted)
    reader = MoodReader(embedder, model=fitted)
    reader.warm()
    print("\n".join(request_targets(reader, embedder, "Calm")), file=sys.stderr)
    read_ms, embed_ms = speed(reader, embedder)
    return Outcome(
        captions,
        oasis,
        reader_readings(plain, m.emobank["test"].texts, m.emobank_x["test"]),
        reader_readings(plain, truth.warriner.texts, truth.warriner_x),
        precision_at_top(reader, embedder, truth.tracks),
        read_ms,
        embed_ms,
    )


def cross_validated(
    m: Material, recipe: train_mood.Recipe
) -> tuple[np.ndarray, np.ndarray, MoodModel]:
    """A recipe's caption and OASIS fold readings and its model fit on everything."""
    if recipe.glasgow == "nested":
        ncv = nested.NestedCV(m, recipe)
        captions, oasis = ncv.captions(), ncv.oasis()
        fitted, choices = ncv.fitted()
        print(f"  choices: {choices}, in the OASIS folds: {ncv.fold_choices}", file=sys.stderr)
        return captions, oasis, fitted
    cv = CrossValidation(m, recipe)
    every_caption = np.ones(len(m.captions.texts), bool)
    every_theme = np.ones(len(m.oasis.texts), bool)
    fitted, alpha = train_mood.fit_blend(cv.options, m, every_caption, every_theme)
    print(f"  choices: {cv.choices}, arousal alpha {alpha}", file=sys.stderr)
    return cv.captions(), cv.oasis(), fitted


def save_outcome(o: Outcome, path: Path) -> None:
    """Keep one recipe's answers, so that a table can be printed again without training."""
    np.savez(path, **{k: getattr(o, k) for k in Outcome.__dataclass_fields__})


def load_outcome(path: str | Path) -> Outcome:
    """Answers written by save_outcome."""
    with np.load(path) as saved:
        return Outcome(**{k: saved[k] for k in saved.files})


Draw = dict[str, np.ndarray]


def draws(truth: Truth, count: int) -> list[Draw]:
    """Index resamples of each set's units, the same for every recipe (paired)."""
    rng = np.random.default_rng(SEED)
    photos = np.array(truth.material.captions.groups)
    themes, sentences = len(truth.material.oasis.texts), len(truth.material.emobank["test"].texts)
    words = len(truth.warriner.texts)
    names = np.unique(photos)
    by_mood = np.repeat(np.arange(len(MOODS)), [len(REQUESTS[m]) for m in MOODS])
    out = []
    for _ in range(count):
        chosen = rng.choice(names, len(names))
        requests = np.concatenate(
            [rng.choice(np.flatnonzero(by_mood == k), (by_mood == k).sum()) for k in range(4)]
        )
        out.append(
            {
                "captions": np.concatenate([np.flatnonzero(photos == p) for p in chosen]),
                "oasis": rng.integers(0, themes, themes),
                "emobank": rng.integers(0, sentences, sentences),
                "warriner": rng.integers(0, words, words),
                "requests": requests,
                "speed": rng.integers(0, SPEED_ROUNDS, SPEED_ROUNDS),
            }
        )
    return out


def figures(o: Outcome, truth: Truth, d: Draw | None, words: bool = True) -> dict[str, float]:
    """Every figure of one outcome on one resample (None: the whole sets)."""
    m = truth.material

    def pick(name: str, n: int) -> np.ndarray:
        return np.arange(n) if d is None else d[name]

    out: dict[str, float] = {}
    sets: list[tuple[str, np.ndarray, mood_data.Rated, Callable[..., float]]] = [
        ("captions", o.captions, m.captions, rho),
        ("oasis", o.oasis, m.oasis, rho),
        ("emobank", o.emobank, m.emobank["test"], pearson),
    ]
    if words:
        sets.append(("warriner", o.warriner, truth.warriner, rho))
    for name, pred, rated, corr in sets:
        i = pick(name, len(pred))
        out[f"{name} v"] = corr(pred[i, 0], rated.valence[i])
        out[f"{name} a"] = corr(pred[i, 1], rated.arousal[i])
    i = pick("requests", len(o.hits))
    by_mood = np.repeat(MOODS, [len(REQUESTS[k]) for k in MOODS])
    for mood in MOODS:
        out[f"P@5 {mood}"] = float(o.hits[i][by_mood[i] == mood].mean())
    out["P@5 mean"] = float(np.mean([out[f"P@5 {k}"] for k in MOODS]))
    i = pick("speed", len(o.read_ms))
    out["read/embed p50"] = float(np.median(o.read_ms[i]) / np.median(o.embed_ms[i]))
    out["score"] = float(np.mean([out[k] for k in SCORED]))
    return out


# The seven numbers whose mean chooses among recipes (training/README.md, the rule).
SCORED = ("captions v", "captions a", "oasis v", "oasis a", "emobank v", "emobank a", "P@5 mean")
# A guarded figure may not fall below the reference beyond its noise.
GUARDED = (
    "captions v",
    "captions a",
    "oasis v",
    "oasis a",
    "emobank v",
    "emobank a",
    *(f"P@5 {m}" for m in MOODS),
)
# The reader's share of a text answer may grow this much at most.
SPEED_TOLERANCE = 1.10
# A recipe must beat the shipped score by more than this to replace it (docs/mood.md).
SCORE_MARGIN = 0.005


def _cell(key: str, value: float, spread: tuple[float, float], sign: str = "") -> str:
    """A figure and its interval (the speed ratio, a few thousandths, with more digits)."""
    digits = 4 if key.startswith("read") else 3
    low, high = spread
    return f"{value:{sign}.{digits}f} [{low:{sign}.{digits}f}, {high:{sign}.{digits}f}]"


def interval(values: list[float]) -> tuple[float, float]:
    """The 5th and 95th percentile of a figure over the draws."""
    low, high = np.percentile(values, [5, 95])
    return float(low), float(high)


def table(names: list[str], outcomes: list[Outcome], truth: Truth) -> None:
    """Print every figure of every recipe, intervals and paired differences from the first,
    then the rule's verdict (docs/mood.md) with the winner and the runner-up side by side."""
    resamples = draws(truth, DRAWS)
    full = [figures(o, truth, None) for o in outcomes]
    boot = [[figures(o, truth, d, words=False) for d in resamples] for o in outcomes]
    word_boot = [[figures(o, truth, d) for d in resamples[:WORD_DRAWS]] for o in outcomes]

    def samples(k: int, key: str) -> list[float]:
        return [b[key] for b in (word_boot if key.startswith("warriner") else boot)[k]]

    print(f"{'figure':<16}" + "".join(f"  {n:<44}" for n in names))
    for key in full[0]:
        cells = []
        for k, f in enumerate(full):
            cell = _cell(key, f[key], interval(samples(k, key)))
            if k:
                paired = np.subtract(samples(k, key), samples(0, key)).tolist()
                cell += " d" + _cell(key, f[key] - full[0][key], interval(paired), "+")
                cell += "!" if key in guard_failures(full, samples, k) else ""
            cells.append(f"{cell:<44}")
        print(f"{key:<16}" + "".join(f"  {c}" for c in cells))
    print(
        "(90% bootstrap intervals; d: difference from the first column and its paired 90%"
        " interval; ! where the guard of docs/mood.md fails: that interval below zero, or a"
        " fall beyond the first column's bootstrap sd)"
    )
    verdict(names, full, samples)


Samples = Callable[[int, str], list[float]]


def guard_failures(full: list[dict[str, float]], samples: Samples, k: int) -> list[str]:
    """The guarded figures of recipe k that fall beyond the noise against recipe 0, and the
    speed ratio when it grew by more than SPEED_TOLERANCE."""
    out = []
    for key in GUARDED:
        paired = np.subtract(samples(k, key), samples(0, key))
        fall = full[0][key] - full[k][key]
        if interval(paired.tolist())[1] < 0 or fall > float(np.std(samples(0, key))):
            out.append(key)
    if full[k]["read/embed p50"] > SPEED_TOLERANCE * full[0]["read/embed p50"]:
        out.append("read/embed p50")
    return out


def verdict(names: list[str], full: list[dict[str, float]], samples: Samples) -> None:
    """The rule of docs/mood.md applied to the table, the first column being the shipped one."""
    out = {k: guard_failures(full, samples, k) for k in range(1, len(full))}
    for k, failed in out.items():
        print(
            f"{names[k]}: score {full[k]['score']:+.4f} vs {full[0]['score']:+.4f};"
            f" guard {'fails on ' + ', '.join(failed) if failed else 'holds'}"
        )
    passed = [k for k, failed in out.items() if not failed]
    best = max(passed, key=lambda k: full[k]["score"], default=0)
    winner = best if full[best]["score"] > full[0]["score"] + SCORE_MARGIN else 0
    others = [k for k in range(1, len(full)) if k != winner]
    runner_up = max(others, key=lambda k: full[k]["score"], default=None)
    print(
        f"winner: {names[winner]}; recipes in this table: {len(names)}"
        " (docs/mood.md lists every recipe tried in the round)"
    )
    shown = list(dict.fromkeys(k for k in (0, winner, runner_up) if k is not None))
    print("| figure | " + " | ".join(names[k] for k in shown) + " |")
    print("|---|" + "---|" * len(shown))
    for key in full[0]:
        cells = [_cell(key, full[k][key], interval(samples(k, key))) for k in shown]
        print(f"| {key} | " + " | ".join(cells) + " |")


def labels_only(args: argparse.Namespace) -> int:
    """The figures that need no training: precision@5 and speed of the shipped model file."""
    embedder = Embedder()
    reader = MoodReader(embedder, model=MoodModel.load())
    reader.warm()
    for mood in MOODS:
        print(f"{mood}:", *request_targets(reader, embedder, mood), sep="\n")
    hits = precision_at_top(reader, embedder, mood_data.mood_labels())
    read_ms, embed_ms = speed(reader, embedder, args.rounds)
    current = {"hits": hits, "read_ms": read_ms, "embed_ms": embed_ms}
    if args.save:
        np.savez(args.save, hits=hits, read_ms=read_ms, embed_ms=embed_ms)
    columns = [("shipped file", current)]
    if args.baseline:
        with np.load(args.baseline) as saved:
            columns.insert(0, (f"saved {Path(args.baseline).stem}", dict(saved)))
    print_labels(columns)
    embedder.close()
    return 0


def print_labels(columns: list[tuple[str, dict[str, np.ndarray]]]) -> None:
    """Precision@5 per mood and speed of each column, with intervals and paired differences."""
    rng = np.random.default_rng(SEED)
    by_mood = np.repeat(MOODS, [len(REQUESTS[k]) for k in MOODS])
    resamples = [
        np.concatenate([rng.choice(np.flatnonzero(by_mood == k), 6) for k in MOODS])
        for _ in range(DRAWS)
    ]
    rounds = [rng.random(SPEED_ROUNDS) for _ in range(DRAWS)]  # as shares of each run's rounds

    def label_figures(c: dict[str, np.ndarray], i: np.ndarray, r: np.ndarray) -> dict[str, float]:
        out = {f"P@5 {k}": float(c["hits"][i][by_mood[i] == k].mean()) for k in MOODS}
        out["P@5 mean"] = float(np.mean(list(out.values())))
        k = (r * len(c["read_ms"])).astype(int)
        out["read/embed p50"] = float(np.median(c["read_ms"][k]) / np.median(c["embed_ms"][k]))
        return out

    every = np.arange(len(by_mood))
    full = [label_figures(c, every, np.arange(SPEED_ROUNDS) / SPEED_ROUNDS) for _, c in columns]
    boot = [
        [label_figures(c, i, r) for i, r in zip(resamples, rounds, strict=True)] for _, c in columns
    ]
    print(f"{'figure':<16}" + "".join(f"  {n:<44}" for n, _ in columns))
    for key in full[0]:
        cells = []
        for k, f in enumerate(full):
            cell = _cell(key, f[key], interval([b[key] for b in boot[k]]))
            if k:
                paired = [b[key] - b0[key] for b, b0 in zip(boot[k], boot[0], strict=True)]
                cell += " d" + _cell(key, f[key] - full[0][key], interval(paired), "+")
            cells.append(f"{cell:<44}")
        print(f"{key:<16}" + "".join(f"  {c}" for c in cells))
    print("(90% bootstrap intervals over the requests of each mood; d: paired difference)")


def main() -> int:
    """Print the dev table of the recipes named."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("recipes", nargs="*")
    parser.add_argument(
        "--labels", action="store_true", help="precision@5 and speed of the shipped file only"
    )
    parser.add_argument("--compare", nargs="+", help="answers saved by --labels --save: compare")
    parser.add_argument("--rounds", type=int, default=SPEED_ROUNDS, help="timed reads (--labels)")
    parser.add_argument("--save", help="write the first recipe's answers here (npz)")
    parser.add_argument("--baseline", help="answers saved by --save: the reference column")
    parser.add_argument("--save-dir", help="write every recipe's answers to DIR/RECIPE.npz")
    parser.add_argument(
        "--saved", nargs="+", help="answers saved by --save-dir: print their table, no training"
    )
    args = parser.parse_args()
    if args.compare:
        columns = []
        for path in args.compare:
            with np.load(path) as saved:
                columns.append((Path(path).stem, dict(saved)))
        print_labels(columns)
        return 0
    if args.labels:
        return labels_only(args)
    if not (mood_data.DATA / "emobank.csv").exists():
        print(f"needs {mood_data.DATA}/emobank.csv, which is absent", file=sys.stderr)
        return 2
    embedder = Embedder()
    material = train_mood.load_material(embedder)
    warriner = mood_data.warriner_words()
    truth = Truth(
        material,
        warriner,
        mood_data.embed_cached(embedder, warriner.texts, "warriner-words"),
        mood_data.mood_labels(),
    )
    if not args.recipes and not args.saved:
        args.recipes = ["shipped"]
    names, outcomes = [], []
    for path in args.saved or ():
        outcomes.append(load_outcome(path))
        names.append(Path(path).stem)
    if args.baseline:
        outcomes.append(load_outcome(args.baseline))
        names.append(f"saved {Path(args.baseline).stem}")
    for name in args.recipes:
        print(f"{name}:", file=sys.stderr)
        outcomes.append(outcome(truth, RECIPES[name], embedder))
        names.append(name)
        if args.save_dir:
            Path(args.save_dir).mkdir(parents=True, exist_ok=True)
            save_outcome(outcomes[-1], Path(args.save_dir) / f"{name}.npz")
    if args.save:
        first = outcomes[1 if args.baseline else 0]
        save_outcome(first, Path(args.save))
    table(names, outcomes, truth)
    embedder.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
