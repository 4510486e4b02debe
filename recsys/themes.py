"""Theme tags from the 12-theme vocabulary: feature rules plus zero-shot similarity, offline.

The default tagger compares a text's existing embedding with embedded theme hypotheses
(computed once per process), so tagging costs no embedding pass of its own. Optionally
facebook/bart-large-mnli classifies through transformers' zero-shot pipeline, loaded from
local files only.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from recsys.embedder import Embedder
from recsys.lexicon import word_set
from recsys.models import THEMES, TrackFeatures

log = logging.getLogger(__name__)

# What each theme means, written as a listener would describe such a song.
THEME_HYPOTHESES: dict[str, str] = {
    "romance": "a romantic love song, tender and passionate",
    "sadness": "a sad, melancholic song about heartbreak and loneliness",
    "nature": "a song about nature, forests, mountains, rivers and open skies",
    "friendship": "a warm song about friends having fun together",
    "nostalgia": "a nostalgic, wistful song about memories of the past",
    "empowerment": "an empowering, confident anthem about strength and pride",
    "adventure": "an adventurous song about journeys, freedom and the open road",
    "calm": "a calm, quiet, relaxing and gentle song",
    "energy": "an energetic, intense, powerful and loud song",
    "party": "a danceable party song for the club, upbeat and fun",
    "self-love": "a song about self-love, self-care and accepting yourself",
    "meditation": "slow ambient meditation music, peaceful and spiritual",
}

# Words in a text that point straight at a theme.
THEME_KEYWORDS: dict[str, frozenset[str]] = {
    "romance": word_set("love romance romantic couple kiss tender intimate wedding heart"),
    "sadness": word_set(
        "sad sadness melancholy melancholic lonely loneliness grief tears sorrow lost"
    ),
    "nature": word_set(
        "nature forest tree flower garden lake river ocean sea mountain meadow beach sky field"
        " bird leaf snow"
    ),
    "friendship": word_set("friend friendship together camaraderie group family kid"),
    "nostalgia": word_set("nostalgia nostalgic vintage memory old retro wistful past"),
    "empowerment": word_set("empowerment empowering strength strong proud confident"),
    "adventure": word_set("adventure journey road travel explore thrill ride wanderlust"),
    "calm": word_set("calm serene peaceful tranquil quiet relaxed chill gentle"),
    "energy": word_set("energy energetic intense power powerful loud adrenaline"),
    "party": word_set("party club dance dancing celebration festival concert drink"),
    "self-love": word_set("self-love self-care confidence"),
    "meditation": word_set("meditation meditative spiritual mindful zen ambient"),
}

# Tags per track: at least two so a reply always has a pair, at most three to stay short.
MIN_TAGS = 2
MAX_TAGS = 3
# Softmax temperature over cosine similarities: MiniLM similarities sit in a narrow band.
SIMILARITY_TEMPERATURE = 0.03
# How much the zero-shot score counts against the feature rules (which are on a 0..1 scale).
ZERO_SHOT_WEIGHT = 0.8
# A theme the lyrics were already tagged with is almost always right.
LYRICS_BONUS = 1.0
# bart-large-mnli hypothesis, as in the study this project grew from.
BART_TEMPLATE = "This song is about {}."

ZeroShot = Callable[..., Any]


class ThemeClassifierError(Exception):
    """The configured theme classifier cannot be loaded; the message says what to do."""


def _ramp(x: float | None, lo: float, hi: float) -> float:
    if x is None:
        return 0.0
    return float(min(1.0, max(0.0, (x - lo) / (hi - lo))))


def rule_scores(f: TrackFeatures) -> dict[str, float]:
    """Theme scores (0..1) that the audio features alone support."""
    v, e, d = f.valence, f.energy, f.danceability
    scores = dict.fromkeys(THEMES, 0.0)
    if v is None and e is None:
        return scores
    low_e = 1 - _ramp(e, 0.2, 0.5) if e is not None else 0.0
    high_e = _ramp(e, 0.55, 0.85)
    acoustic = _ramp(f.acousticness, 0.3, 0.8)
    scores["party"] = high_e * _ramp(d, 0.55, 0.8) * (0.5 + 0.5 * _ramp(v, 0.3, 0.7))
    scores["energy"] = high_e * 0.9
    scores["sadness"] = 1 - _ramp(v, 0.15, 0.4) if v is not None else 0.0
    # Quiet instrumental music scores low in valence without being sad to a listener.
    scores["sadness"] *= 1 - 0.6 * low_e * _ramp(f.instrumentalness, 0.3, 0.8)
    scores["calm"] = low_e * (0.6 + 0.4 * acoustic)
    scores["meditation"] = (1 - _ramp(e, 0.1, 0.3) if e is not None else 0.0) * max(
        acoustic, _ramp(f.instrumentalness, 0.3, 0.8)
    )
    mid_e = 1 - abs((e if e is not None else 0.5) - 0.5) * 2
    scores["friendship"] = 0.5 * _ramp(v, 0.55, 0.85) * mid_e
    scores["nostalgia"] = 0.45 * (1 - abs((v if v is not None else 0.6) - 0.42) * 4) * (1 - high_e)
    scores["romance"] = 0.4 * _ramp(v, 0.4, 0.7) * mid_e * (0.5 + 0.5 * acoustic)
    scores["empowerment"] = 0.45 * high_e * _ramp(v, 0.4, 0.7)
    scores["self-love"] = 0.3 * _ramp(v, 0.6, 0.9) * mid_e
    scores["adventure"] = 0.35 * _ramp(e, 0.5, 0.8) * _ramp(v, 0.45, 0.75)
    scores["nature"] = 0.35 * acoustic * (1 - high_e)
    return {theme: max(0.0, score) for theme, score in scores.items()}


def pick_tags(scores: dict[str, float]) -> tuple[str, ...]:
    """The best two or three themes (a third only when it scores close to the second)."""
    ranked = sorted(THEMES, key=lambda theme: -scores.get(theme, 0.0))
    tags = list(ranked[:MIN_TAGS])
    for theme in ranked[MIN_TAGS:MAX_TAGS]:
        if scores.get(theme, 0.0) >= 0.75 * scores.get(tags[-1], 0.0) > 0:
            tags.append(theme)
    return tuple(tags)


@dataclass(eq=False)
class ThemeTagger:
    """Tags tracks (and mood readings) with themes, reusing embeddings computed elsewhere."""

    embedder: Embedder | None
    classifier: str = "embedding"
    bart_model: str = "facebook/bart-large-mnli"
    # bart-large-mnli's pipeline: injected, or loaded from local files on first use
    zero_shot: ZeroShot | None = None
    _hypotheses: np.ndarray | None = field(default=None, init=False, repr=False)

    def hypothesis_vectors(self) -> np.ndarray:
        """The 12 theme hypotheses embedded once (rows in THEMES order)."""
        if self._hypotheses is None:
            if self.embedder is None:
                raise ThemeClassifierError("embedding theme tagging needs an embedder")
            texts = [THEME_HYPOTHESES[theme] for theme in THEMES]
            self._hypotheses = self.embedder.embed_texts(texts)
        return self._hypotheses

    def embedding_scores(self, vector: np.ndarray) -> dict[str, float]:
        """Zero-shot theme scores (sum 1) from a unit-length text embedding."""
        sims = self.hypothesis_vectors() @ np.asarray(vector, dtype=np.float32)
        weights = np.exp((sims - sims.max()) / SIMILARITY_TEMPERATURE)
        weights /= weights.sum()
        return {theme: float(w) for theme, w in zip(THEMES, weights, strict=True)}

    def tag(
        self,
        features: TrackFeatures,
        embedding: np.ndarray | None = None,
        lyrics_themes: Sequence[str] = (),
        zero_shot: dict[str, float] | None = None,
    ) -> tuple[str, ...]:
        """Two or three theme tags from features, the track's own embedding and lyrics themes."""
        scores = rule_scores(features)
        if zero_shot is None and embedding is not None and self.embedder is not None:
            zero_shot = self.embedding_scores(embedding)
        for theme, score in (zero_shot or {}).items():
            scores[theme] = scores.get(theme, 0.0) + ZERO_SHOT_WEIGHT * score
        for theme in lyrics_themes:
            if theme in scores:
                scores[theme] += LYRICS_BONUS
        return pick_tags(scores)

    def classify_texts(self, texts: list[str]) -> list[dict[str, float]] | None:
        """bart-large-mnli scores per text when that classifier is configured, else None."""
        if self.classifier != "bart-mnli" or not texts:
            return None
        classify = self.zero_shot_pipeline()
        answers = classify(
            texts, candidate_labels=list(THEMES), hypothesis_template=BART_TEMPLATE,
            multi_label=True,
        )  # fmt: skip
        if isinstance(answers, dict):  # the pipeline unwraps a batch of one
            answers = [answers]
        return [_normalised(dict(zip(a["labels"], a["scores"], strict=True))) for a in answers]

    def zero_shot_pipeline(self) -> ZeroShot:
        """The injected classifier, or transformers' zero-shot pipeline loaded from local files."""
        if self.zero_shot is None:
            self.zero_shot = load_bart_mnli(self.bart_model)
        return self.zero_shot


def _normalised(scores: dict[str, float]) -> dict[str, float]:
    total = sum(scores.values()) or 1.0
    return {theme: score / total for theme, score in scores.items() if theme in THEMES}


def load_bart_mnli(model: str) -> ZeroShot:
    """transformers' zero-shot-classification pipeline from a local path or the local HF cache."""
    # Never reach for a model hub at run time (as for the embedder).
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    path = _local_model_path(model)
    try:
        from transformers import pipeline

        return pipeline("zero-shot-classification", model=path, device=-1)
    except Exception as err:  # transformers raises OSError, ValueError, ImportError...
        raise ThemeClassifierError(
            f"Cannot load the theme classifier {model!r} from {path}: {err}. Set "
            "MELODICLENS_THEME_CLASSIFIER=embedding to tag themes without it."
        ) from err


def _local_model_path(model: str) -> str:
    if Path(model).is_dir():
        return model
    try:
        from huggingface_hub import snapshot_download

        # Never download: the weights must already be in the local Hugging Face cache.
        return str(snapshot_download(model, local_files_only=True))
    except Exception as err:
        raise ThemeClassifierError(
            f"The theme classifier {model!r} is not on this machine (no local directory and "
            "not in the Hugging Face cache; MelodicLens never downloads it). Copy the model "
            "files into a directory and set MELODICLENS_BART_MNLI_MODEL to it, or set "
            "MELODICLENS_THEME_CLASSIFIER=embedding."
        ) from err
