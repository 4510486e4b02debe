"""The rated material the mood reader is trained and judged on, and a cache of its embeddings.

Everything here reads ../shared/data (never copied into the repository):
- emobank.csv: sentences with reader ratings of valence and arousal (1-5) and the authors'
  own train/dev/test split; the only set the shipped model is trained on;
- vlm_captions_dev.csv: 80 captions (10 photos x 8 vision models), each judged against the
  photo owner's vibe words, scored with the Warriner word norms;
- photos/ratings.csv: 40 OASIS photos; the text "A photo of a <theme>." against human ratings;
- glasgow_norms.csv: the Glasgow Norms (Scott et al. 2019, CC BY 4.0): 5,553 words rated for
  valence and arousal (1-9), strong on concrete nouns; may train the shipped model (attribution
  in recsys/data/LICENSE-mood-model.txt and the README);
- mood_labels_dev.csv: 343 tracks with audio features and a mood label, for precision@5 only;
- warriner_norms.csv: human word norms, FOR MEASURING ONLY (licence CC BY-NC-ND 3.0): nothing
  derived from them ships, and nothing in recsys/ reads them.
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from recsys.embedder import Embedder

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
# Embeddings of the rated texts, so that a re-run of the cross-validation does not re-embed.
CACHE = Path(os.environ.get("MELODICLENS_BENCH_CACHE", Path.home() / ".cache" / "mlbench"))
WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
# The Glasgow Norms rate from 1 to 9; 5 is the middle.
GLASGOW_CENTRE, GLASGOW_SCALE = 5.0, 4.0


@dataclass(frozen=True)
class Rated:
    """Texts with a valence and arousal target each (both on 0..1) and a fold label."""

    texts: list[str]
    valence: np.ndarray
    arousal: np.ndarray
    groups: list[str]


def emobank(split: str) -> Rated:
    """EmoBank sentences of one split, V and A mapped from 1..5 to 0..1."""
    with (DATA / "emobank.csv").open(newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["split"] == split and r["text"].strip()]
    return Rated(
        [r["text"] for r in rows],
        np.array([(float(r["V"]) - 1) / 4 for r in rows]),
        np.array([(float(r["A"]) - 1) / 4 for r in rows]),
        [split] * len(rows),
    )


def warriner() -> dict[str, tuple[float, float]]:
    """Word -> (valence, arousal) on 0..1 from the 1..9 norms. Measuring only."""
    with (DATA / "warriner_norms.csv").open(newline="", encoding="utf-8") as f:
        return {
            r["Word"]: ((float(r["V.Mean.Sum"]) - 1) / 8, (float(r["A.Mean.Sum"]) - 1) / 8)
            for r in csv.DictReader(f)
        }


def glasgow() -> dict[str, tuple[float, float]]:
    """Word -> (valence, arousal) on -1..+1 from the Glasgow Norms' 1..9 means.

    Scott, Keitel, Becirspahic, Yao & Sereno (2019), "The Glasgow Norms: Ratings of 5,500 words
    on nine scales", Behavior Research Methods 51:1258-1270, doi 10.3758/s13428-018-1099-3;
    CC BY 4.0. Disambiguated senses ("toast (bread)") and multi-word entries are left out.
    """
    with (DATA / "glasgow_norms.csv").open(newline="", encoding="utf-8") as f:
        return {
            r["word"]: (
                (float(r["valence_mean"]) - GLASGOW_CENTRE) / GLASGOW_SCALE,
                (float(r["arousal_mean"]) - GLASGOW_CENTRE) / GLASGOW_SCALE,
            )
            for r in csv.DictReader(f)
            if r["word"].isalpha() and r["word"].isascii() and len(r["word"]) >= 3
        }


@dataclass(frozen=True)
class LabelledTrack:
    """A track of mood_labels_dev.csv: its audio features and its mood label."""

    features: dict[str, float]
    mood: str


def mood_labels() -> list[LabelledTrack]:
    """The 343 mood-labelled tracks (Happy, Sad, Energetic, Calm), for precision@5 only."""
    names = ("valence", "energy", "danceability", "acousticness", "instrumentalness", "tempo")
    with (DATA / "mood_labels_dev.csv").open(newline="", encoding="utf-8") as f:
        return [
            LabelledTrack({n: float(r[n]) for n in names}, r["mood"]) for r in csv.DictReader(f)
        ]


def warriner_words() -> Rated:
    """The norms as a rated set of single words. Measuring only."""
    norms = warriner()
    words = sorted(norms)
    return Rated(
        words,
        np.array([norms[w][0] for w in words]),
        np.array([norms[w][1] for w in words]),
        ["warriner"] * len(words),
    )


def captions() -> Rated:
    """The 80 recorded captions against their photo owner's vibe (Warriner-scored); fold = photo."""
    norms = warriner()
    with (DATA / "vlm_captions_dev.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    targets = [_vibe(r["vibe"], norms) for r in rows]
    return Rated(
        [r["caption"] for r in rows],
        np.array([t[0] for t in targets]),
        np.array([t[1] for t in targets]),
        [r["image"] for r in rows],
    )


def caption_models() -> list[str]:
    """The vision model behind each caption, in the order of captions()."""
    with (DATA / "vlm_captions_dev.csv").open(newline="", encoding="utf-8") as f:
        return [r["vlm"] for r in csv.DictReader(f)]


def _vibe(vibe: str, norms: dict[str, tuple[float, float]]) -> tuple[float, float]:
    """Mean norm of the vibe's words (a word's plain form when its inflection is absent)."""
    values = []
    for word in WORD.findall(vibe.lower()):
        for form in (word, word.rstrip("s"), re.sub(r"(ing|ed)$", "", word)):
            if form in norms:
                values.append(norms[form])
                break
    if not values:
        return 0.5, 0.5
    v, a = np.mean(values, axis=0)
    return float(v), float(a)


def oasis_text(theme: str) -> str:
    """The words the held-out judge sends for a theme: "A photo of a beach." ("Beach 3")."""
    name = re.sub(r"\s*\d+$", "", theme).strip().lower()
    return f"A photo of a {name}."


def oasis() -> Rated:
    """The 40 OASIS photos' themes as text, human ratings 1..7 mapped to 0..1; fold = category."""
    with (DATA / "photos" / "ratings.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return Rated(
        [oasis_text(r["theme"]) for r in rows],
        np.array([(float(r["valence"]) - 1) / 6 for r in rows]),
        np.array([(float(r["arousal"]) - 1) / 6 for r in rows]),
        [r["category"] for r in rows],
    )


def embed_cached(embedder: Embedder, texts: list[str], name: str) -> np.ndarray:
    """Embeddings of texts, from CACHE when the same texts were embedded before."""
    key = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
    path = CACHE / f"mood-{name}-{key}.npy"
    if path.exists():
        return np.load(path)
    vectors = embedder.embed_texts(texts)
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


def content_words(text: str) -> list[str]:
    """Lower-case words of a text."""
    return WORD.findall(text.lower().replace("\u2019", "'"))


def embed_words(embedder: Embedder, words: list[str]) -> np.ndarray:
    """Embeddings of single words from a growing store in CACHE; only new words are embedded."""
    path = CACHE / "mood-words.npz"
    known: dict[str, np.ndarray] = {}
    if path.exists():
        with np.load(path) as data:
            known = dict(zip(data["words"].tolist(), data["vectors"], strict=True))
    missing = [w for w in words if w not in known]
    if missing:
        known.update(zip(missing, embedder.embed_texts(missing), strict=True))
        CACHE.mkdir(parents=True, exist_ok=True)
        np.savez(path, words=np.array(list(known)), vectors=np.stack(list(known.values())))
    return np.stack([known[w] for w in words])
