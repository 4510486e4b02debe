"""Recommendation quality on ../shared/data, cross-validated only, against simple baselines.

First the mood-reading table of benchmarks/mood_cv.py (every figure from folds that exclude
the scored text; protocol in benchmarks/README.md). Then end to end, on the 28k catalog:
- captions: each of the 80 recorded captions goes through the real path (a fake Ollama speaking
  the real protocol replays the recorded prose; the real Captioner finds no JSON, retries once,
  then reads mood from the prose; the real Recommender answers), read by a model fit WITHOUT
  that photo (leave one photo out). Metric: Spearman rho, across captions, between the owner's
  vibe words scored with the Warriner norms (measuring only) and the top 5 songs' mean valence
  (and energy); over all 80 and over the 60 from models that could see the photo.
- OASIS themes as words ("A photo of a beach."), read by a model fit without that theme's
  category, songs' mean against the human ratings.
Baselines, same catalog, same metric, same run: random tracks (mean of 50 draws); word count
(a few pole words, then the 5 tracks nearest that valence/energy); seed (the seed project's
caption embedding against "title by artist" texts). Also the 40 OASIS photos from pixels only.

Run: python -m benchmarks.quality   (needs ../shared/data, the `train` extra and the 28k
benchmark database, built on first use by support.synthetic under MELODICLENS_BENCH_CACHE)
"""

from __future__ import annotations

import asyncio
import csv
import logging
import random
import sys
import time
from pathlib import Path
from statistics import fmean
from typing import Any

import numpy as np

from benchmarks.common import machine
from benchmarks.mood_cv import print_reading_table
from benchmarks.mood_quality import (
    BLIND_MODELS,
    load_captions,
    rho,
    word_count_baseline,
)
from db.pool import Database
from handlers.stores import DatabaseCandidates
from recsys.captioner import Captioner
from recsys.embedder import Embedder
from recsys.image_intake import ImageLimits, prepare_image
from recsys.image_stats import caption_from_stats
from recsys.mood_reader import MoodReader
from recsys.recommender import Recommender, RecommendRequest
from recsys.vision_hosts import VisionHostPool
from support import synthetic
from support.fakes.fake_ollama import FakeOllama
from training import data as mood_data
from training import train_mood
from training.cv import CrossValidation

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
TOP = 5
RANDOM_DRAWS = 50
MAX_OVERLAP = 0.15  # issue 9: mean pairwise overlap of answers to different photos
Reading = tuple[float, float]


class Answers:
    """What issue 9 asks of the answers themselves: every query answered, no artist twice in
    an answer, and little overlap between the answers to different photos (or themes)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind  # what a group is: "photos", "themes"
        self.groups: list[str] = []
        self.tracks: list[frozenset[str]] = []
        self.artist_repeats = 0
        self.short = 0

    def add(self, group: str, tracks: Any) -> None:
        """One answer (its TrackPicks) to a query about `group` (a photo, a theme)."""
        self.groups.append(group)
        self.tracks.append(frozenset(t.spotify_id for t in tracks))
        artists = [a.lower() for t in tracks for a in t.artists]
        self.artist_repeats += len(artists) != len(set(artists))
        self.short += len(tracks) < TOP

    def overlap(self) -> float:
        """Mean share of tracks two answers to different groups have in common (of TOP)."""
        shares = [
            len(self.tracks[i] & self.tracks[j]) / TOP
            for i in range(len(self.tracks))
            for j in range(i + 1, len(self.tracks))
            if self.groups[i] != self.groups[j]
        ]
        return fmean(shares) if shares else 0.0

    def line(self) -> str:
        """The checks in one line, beside issue 9's target for the overlap."""
        return (
            f"{len(self.tracks) - self.short}/{len(self.tracks)} answered with {TOP} tracks, "
            f"{self.artist_repeats} with an artist twice, mean overlap between answers to "
            f"different {self.kind} {self.overlap():.3f} (target <= {MAX_OVERLAP})"
        )


async def melodiclens_picks(
    database: Database,
    embedder: Embedder,
    rows: list[dict[str, str]],
    cv: CrossValidation,
    answers: Answers,
) -> list[Reading]:
    """Mean (valence, energy) of the top 5 for each caption, through the real captioner.

    Each photo's captions are read by a model fit without that photo (leave one photo out).
    """
    shipped = MoodReader(embedder)
    recommender = Recommender(DatabaseCandidates(database.read_pool), embedder, shipped)
    readers = {
        photo: MoodReader(embedder, model=cv.photo_model(photo))
        for photo in dict.fromkeys(r["image"] for r in rows)
    }
    current: list[MoodReader] = [shipped]
    picks = []
    async with FakeOllama() as fake:
        pool = VisionHostPool([fake.url], timeout_s=30, rest_s=0)
        captioner = Captioner(
            pool,
            "qwen2.5vl:3b",
            timeout_s=30,
            num_ctx=4096,
            prose_reader=lambda text: current[0].read(text),
        )
        image = prepare_image(_tiny_jpeg(), ImageLimits())
        for row in rows:
            current[0] = readers[row["image"]]
            fake.queue(row["caption"], row["caption"])  # the first answer and the one retry
            caption = await captioner.caption(image)
            rec = await recommender.recommend(RecommendRequest(caption=caption, top=TOP))
            picks.append(_mean_traits(rec.tracks))
            answers.add(row["image"], rec.tracks)
        await pool.close()
    return picks


async def theme_picks(
    database: Database, embedder: Embedder, cv: CrossValidation, answers: Answers
) -> Any:
    """OASIS themes sent as words ("A photo of a beach."), category folds: songs' mean traits."""
    themes = mood_data.oasis()
    picks = []
    for text, category in zip(themes.texts, themes.groups, strict=True):
        reader = MoodReader(embedder, model=cv.category_model(category))
        recommender = Recommender(DatabaseCandidates(database.read_pool), embedder, reader)
        rec = await recommender.recommend(RecommendRequest(words=text, top=TOP))
        picks.append(_mean_traits(rec.tracks))
        answers.add(text, rec.tracks)
    return themes, picks


def _mean_traits(tracks: Any) -> Reading:
    valence = [t.valence for t in tracks if t.valence is not None]
    energy = [t.energy for t in tracks if t.energy is not None]
    return (fmean(valence) if valence else 0.5, fmean(energy) if energy else 0.5)


def _tiny_jpeg() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 64), (128, 128, 128)).save(out, "JPEG")
    return out.getvalue()


async def catalog_arrays(database: Database) -> dict[str, Any]:
    """Every catalog track's id, traits, title/artist and embedding."""
    rows = await database.pool.fetch(
        "SELECT id, title, artists, valence, energy, embedding FROM tracks "
        "WHERE in_catalog AND valence IS NOT NULL AND energy IS NOT NULL "
        "AND NOT (title ~ ' #[0-9]+$' OR artists[1] ~ ' #[0-9]+$') ORDER BY id"
    )
    return {
        "traits": np.array([(r["valence"], r["energy"]) for r in rows], dtype=np.float32),
        "texts": [f"{r['title']} by {', '.join(r['artists'])}" for r in rows],
    }


def random_baseline(traits: np.ndarray, refs: list[Reading]) -> float:
    """Mean rho of 5 random tracks per caption, over many draws."""
    rng = random.Random(7)
    scores = []
    for _ in range(RANDOM_DRAWS):
        picks = [tuple(traits[rng.sample(range(len(traits)), TOP)].mean(axis=0)) for _ in refs]
        scores.append(_score(picks, refs)[2])
    return fmean(scores)


def seed_baseline(
    embedder: Embedder, catalog: dict[str, Any], captions: list[str]
) -> list[Reading]:
    """The seed's approach: caption embedding vs "title by artist" embeddings, top 5."""
    cache = synthetic.CACHE_DIR / f"seed-texts-{len(catalog['texts'])}.npy"
    if cache.exists():
        track_vectors = np.load(cache)
    else:
        track_vectors = embedder.embed_texts(catalog["texts"])
        np.save(cache, track_vectors)
    query_vectors = embedder.embed_texts(captions)
    top = np.argsort(-(query_vectors @ track_vectors.T), axis=1)[:, :TOP]
    return [tuple(catalog["traits"][row].mean(axis=0)) for row in top]


def word_count_picks(catalog: dict[str, Any], captions: list[str]) -> list[Reading]:
    """Word counting to (valence, energy), then the 5 nearest tracks in that plane."""
    picks = []
    for text in captions:
        target = np.array(word_count_baseline(text), dtype=np.float32)
        nearest = np.argsort(((catalog["traits"] - target) ** 2).sum(axis=1))[:TOP]
        picks.append(tuple(catalog["traits"][nearest].mean(axis=0)))
    return picks


def _score(picks: list[Reading], refs: list[Reading]) -> tuple[float, float, float]:
    rv = rho([p[0] for p in picks], [r[0] for r in refs])
    re_ = rho([p[1] for p in picks], [r[1] for r in refs])
    return rv, re_, (rv + re_) / 2


async def oasis(database: Database, embedder: Embedder) -> tuple[float, float]:
    """Photos with no vision model (pixels only) vs human valence/arousal ratings."""
    reader = MoodReader(embedder)
    recommender = Recommender(DatabaseCandidates(database.read_pool), embedder, reader)
    ratings = list(csv.DictReader((DATA / "photos" / "ratings.csv").open()))
    picks, human = [], []
    for row in ratings:
        name = next(
            v
            for k, v in row.items()
            if "file" in k.lower() or "image" in k.lower() or "name" in k.lower()
        )
        path = DATA / "photos" / (name if name.endswith(".jpg") else f"{name}.jpg")
        if not path.exists():
            continue
        image = prepare_image(path.read_bytes(), ImageLimits())
        rec = await recommender.recommend(
            RecommendRequest(caption=caption_from_stats(image.stats), top=TOP)
        )
        picks.append(_mean_traits(rec.tracks))
        human.append((float(row["valence"]), float(row["arousal"])))
    rv, re_, _ = _score(picks, human)
    return rv, re_


def report(name: str, scores: tuple[float, float, float], seen: tuple[float, float, float]) -> None:
    """One line: all captions, then the ones from models that saw the photo."""
    print(
        f"  {name:<22} valence {scores[0]:+.3f}  energy {scores[1]:+.3f}  mean {scores[2]:+.3f}"
        f"   | seeing models: mean {seen[2]:+.3f}"
    )


async def main() -> int:
    """Run every method on the recorded captions and print the comparison."""
    if not (DATA / "vlm_captions_dev.csv").exists():
        print(f"needs {DATA}: absent", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.WARNING)
    print(f"machine: {machine().line()}")
    embedder = Embedder()
    bench = await synthetic.ensure("28k", embedder)
    database = await synthetic.open_bench(bench)
    try:
        print_reading_table(embedder)
        rows = load_captions(DATA)
        captions = [r["caption"] for r in rows]
        rated = mood_data.captions()  # the owners' vibe words scored with the Warriner norms
        refs = list(zip(rated.valence.tolist(), rated.arousal.tolist(), strict=True))
        seeing = [i for i, r in enumerate(rows) if r["vlm"] not in BLIND_MODELS]
        catalog = await catalog_arrays(database)
        cv = CrossValidation(train_mood.load_material(embedder))
        started = time.perf_counter()
        caption_answers = Answers("photos")
        methods = {
            "MelodicLens (LOPO)": await melodiclens_picks(
                database, embedder, rows, cv, caption_answers
            ),
        }
        ml_seconds = time.perf_counter() - started
        methods["word count"] = word_count_picks(catalog, captions)
        print(
            f"captions vs owners' vibe (Warriner-scored), n={len(rows)} "
            f"(seeing models n={len(seeing)}), songs' mean of the top {TOP}:"
        )

        def show(name: str, picks: list[Reading]) -> None:
            seen = _score([picks[i] for i in seeing], [refs[i] for i in seeing])
            report(name, _score(picks, refs), seen)

        for name, picks in methods.items():
            show(name, picks)
        print(f"  {'random tracks':<22} mean {random_baseline(catalog['traits'], refs):+.3f}")
        print(
            f"  MelodicLens took {ml_seconds / len(rows) * 1000:.0f} ms per caption "
            "(captioner + recommender)",
            flush=True,
        )
        print(f"  captions: {caption_answers.line()}")
        theme_answers = Answers("themes")
        themes, picks = await theme_picks(database, embedder, cv, theme_answers)
        tv, ta, _ = _score(picks, list(zip(themes.valence, themes.arousal, strict=True)))
        print(
            "OASIS themes as words, category folds, songs' mean vs human ratings, n=40: "
            f"valence {tv:+.3f}, arousal {ta:+.3f}"
        )
        print(f"  themes: {theme_answers.line()}")
        ov, oa = await oasis(database, embedder)
        print(
            "OASIS photos, pixels only (no vision model), n=40: "
            f"valence {ov:+.3f}, arousal {oa:+.3f}",
            flush=True,
        )
        # Last: embedding every catalog title takes minutes the first time (cached after).
        show("seed (caption vs title)", seed_baseline(embedder, catalog, captions))
    finally:
        await database.close()
        embedder.close()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
