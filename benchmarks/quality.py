"""End-to-end recommendation quality on ../shared/data, against simple baselines.

The metric (what the project is judged on, on held-out photos): for each recorded caption of a
photo, the songs MelodicLens recommends; the Spearman rank correlation, across captions, between
the valence (and energy) the photo's OWNER described (their vibe words, scored by an independent
reference list in benchmarks/mood_quality.py) and the mean valence (and energy) of the top 5
songs. Reported: valence rho, energy rho and their mean, over all 80 captions and over the 60
from models that could see the photos.

The captions go through the real path: a fake Ollama speaking the real protocol replays each
recorded answer; the real Captioner finds no JSON (the recorded models answered prose), retries
once, then reads mood from the prose; the real Recommender answers from the real catalog.

Baselines, same catalog, same metric:
- random: 5 random catalog tracks per caption (mean of 50 draws);
- seed: the seed project's approach, the caption's embedding against "title by artist" texts;
- word count: a few pole words counted in the caption, then the 5 tracks nearest that
  (valence, energy).
Also: the 40 OASIS photos with no vision model (pixels only) against their human ratings.

Run: python -m benchmarks.quality   (needs ../shared/data and the 28k benchmark database,
built on first use by benchmarks.synthetic, cached in ~/.cache/mlbench)
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

from benchmarks import synthetic
from benchmarks.common import machine
from benchmarks.mood_quality import (
    BLIND_MODELS,
    load_captions,
    rho,
    vibe_reference,
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
from tests.fakes.fake_ollama import FakeOllama

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
TOP = 5
RANDOM_DRAWS = 50
Reading = tuple[float, float]


async def melodiclens_picks(
    database: Database, embedder: Embedder, captions: list[str]
) -> list[Reading]:
    """Mean (valence, energy) of the top 5 for each caption, through the real captioner."""
    reader = MoodReader(embedder)
    reader.warm()
    recommender = Recommender(DatabaseCandidates(database.read_pool), embedder, reader)
    picks = []
    async with FakeOllama() as fake:
        pool = VisionHostPool([fake.url], timeout_s=30, rest_s=0)
        captioner = Captioner(
            pool, "qwen2.5vl:3b", timeout_s=30, num_ctx=4096, prose_reader=reader.read
        )
        image = prepare_image(_tiny_jpeg(), ImageLimits())
        for prose in captions:
            fake.queue(prose, prose)  # the first answer and the one retry
            caption = await captioner.caption(image)
            rec = await recommender.recommend(RecommendRequest(caption=caption, top=TOP))
            picks.append(_mean_traits(rec.tracks))
        await pool.close()
    return picks


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
        rows = load_captions(DATA)
        captions = [r["caption"] for r in rows]
        refs = [vibe_reference(r["vibe"]) for r in rows]
        seeing = [i for i, r in enumerate(rows) if r["vlm"] not in BLIND_MODELS]
        catalog = await catalog_arrays(database)
        started = time.perf_counter()
        methods = {
            "MelodicLens": await melodiclens_picks(database, embedder, captions),
        }
        ml_seconds = time.perf_counter() - started
        methods["seed (caption vs title)"] = seed_baseline(embedder, catalog, captions)
        methods["word count"] = word_count_picks(catalog, captions)
        print(
            f"captions vs owners' vibe, n={len(rows)} (seeing models n={len(seeing)}), top {TOP}:"
        )
        for name, picks in methods.items():
            seen = _score([picks[i] for i in seeing], [refs[i] for i in seeing])
            report(name, _score(picks, refs), seen)
        print(f"  {'random tracks':<22} mean {random_baseline(catalog['traits'], refs):+.3f}")
        print(
            f"  MelodicLens took {ml_seconds / len(rows) * 1000:.0f} ms per caption "
            "(captioner + recommender)"
        )
        ov, oa = await oasis(database, embedder)
        print(
            "OASIS photos, pixels only (no vision model), n=40: "
            f"valence {ov:+.3f}, arousal {oa:+.3f}"
        )
    finally:
        await database.close()
        embedder.close()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
