"""The learned mood model: valence and arousal from a text's embedding and from its words.

Trained by `python -m training.train_mood` on EmoBank (Buechel & Hahn 2017/2018; CC-BY-SA
4.0) and shipped, under that licence, as recsys/data/mood_model.npz:

- a ridge regression from the all-MiniLM-L6-v2 sentence embedding (the one the query already
  has) to valence and arousal;
- a table of words with the valence and arousal that a word-level model gives them, so that a
  few scene words ("storm", "crowd", "candle") are read one by one as well as as a whole;
- the blend of those two readings and the project's hand lexicon: equal weights, all three for
  short texts, the lexicon left out for long ones (fitted weights lost on held-out folds); and
  the stretch that spreads the blend back over 0..1, fit on training folds (see
  benchmarks/README.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from recsys.embedder import EMBEDDING_DIM

MODEL_FILE = Path(__file__).resolve().parent / "data" / "mood_model.npz"
# The readings the blend combines, in this order.
FEATURES = ("sentence", "words", "lexicon")
# A theme or a listener's few words is short; a vision model's paragraph is long. The two
# are read with a blend for each kind (see the module docstring), mixed in between.
SHORT_TEXT_WORDS = 10
LONG_TEXT_WORDS = 40
# Readings stay inside this range: a target at 0 or 1 would match only the catalog's oddities.
OUTPUT_RANGE = (0.03, 0.97)


class MoodModelError(Exception):
    """The shipped mood model file is missing or malformed; the message says how to rebuild."""


@dataclass(frozen=True)
class MoodModel:
    """Sentence ridge, word table and blend, all on a 0..1 scale (valence, arousal)."""

    sentence_weights: np.ndarray  # (384, 2): embedding -> (valence, arousal)
    sentence_bias: np.ndarray  # (2,)
    word_index: dict[str, int]
    word_values: np.ndarray  # (words, 2)
    feature_mean: np.ndarray  # (3, 2): each reading's mean and spread on the training texts
    feature_scale: np.ndarray  # (3, 2)
    blend: np.ndarray  # (3, 2): weights of the standardised readings of long texts, per output
    blend_short: np.ndarray  # (3, 2): the same for short texts (a theme, a listener's words)
    spread: np.ndarray  # (2,): how far a standardised blend of 1 moves the output from 0.5
    # Vision models' paragraphs read warmer and flatter than other text: the long blend's
    # median and spread on recorded captions, so a sad caption reads sad, not neutral.
    long_center: np.ndarray  # (2,)
    long_scale: np.ndarray  # (2,)

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> MoodModel:
        """The shipped model (MoodModelError when the file is absent or of the wrong shape)."""
        try:
            with np.load(path, allow_pickle=False) as data:
                words = str(data["words"]).split("\n") if data["words"].size else []
                model = cls(
                    sentence_weights=data["sentence_weights"].astype(np.float32),
                    sentence_bias=data["sentence_bias"].astype(np.float32),
                    word_index={w: i for i, w in enumerate(words)},
                    word_values=data["word_values"].astype(np.float32),
                    feature_mean=data["feature_mean"].astype(np.float32),
                    feature_scale=data["feature_scale"].astype(np.float32),
                    blend=data["blend"].astype(np.float32),
                    blend_short=data["blend_short"].astype(np.float32),
                    spread=data["spread"].astype(np.float32),
                    long_center=data["long_center"].astype(np.float32),
                    long_scale=data["long_scale"].astype(np.float32),
                )
        except (OSError, KeyError, ValueError) as err:
            raise MoodModelError(
                f"cannot read the mood model {path}: {err}; rebuild it with "
                "`python -m training.train_mood`"
            ) from err
        model.check()
        return model

    def check(self) -> None:
        """Raise MoodModelError unless every array has the shape the reader expects."""
        shapes = {
            "sentence_weights": (self.sentence_weights.shape, (EMBEDDING_DIM, 2)),
            "sentence_bias": (self.sentence_bias.shape, (2,)),
            "word_values": (self.word_values.shape, (len(self.word_index), 2)),
            "feature_mean": (self.feature_mean.shape, (len(FEATURES), 2)),
            "feature_scale": (self.feature_scale.shape, (len(FEATURES), 2)),
            "blend": (self.blend.shape, (len(FEATURES), 2)),
            "blend_short": (self.blend_short.shape, (len(FEATURES), 2)),
            "spread": (self.spread.shape, (2,)),
            "long_center": (self.long_center.shape, (2,)),
            "long_scale": (self.long_scale.shape, (2,)),
        }
        for name, (got, want) in shapes.items():
            if got != want:
                raise MoodModelError(f"mood model: {name} has shape {got}, expected {want}")

    def sentence(self, vector: np.ndarray) -> np.ndarray:
        """(valence, arousal) of a text from its unit-length embedding."""
        return np.asarray(vector, dtype=np.float32) @ self.sentence_weights + self.sentence_bias

    def word(self, word: str) -> np.ndarray | None:
        """(valence, arousal) of one word, or None when the table lacks it."""
        index = self.word_index.get(word)
        return None if index is None else self.word_values[index]

    def standardised(self, features: np.ndarray) -> np.ndarray:
        """Readings (FEATURES x 2, NaN where missing) as z-scores, a missing one filled in.

        A text without table words or lexicon words is read by what it has: the first
        reading present (sentence, then words, then lexicon) stands in for the missing ones.
        """
        rows = np.array(features, dtype=np.float32)
        present = [i for i in range(len(FEATURES)) if not np.isnan(rows[i]).any()]
        for i in range(len(FEATURES)):
            if i not in present:
                rows[i] = rows[present[0]]
        return (rows - self.feature_mean) / self.feature_scale

    def long_share(self, word_count: int) -> float:
        """0 for a short text, 1 for a long one, in between by word count."""
        share = (word_count - SHORT_TEXT_WORDS) / (LONG_TEXT_WORDS - SHORT_TEXT_WORDS)
        return min(1.0, max(0.0, share))

    def blended(self, z: np.ndarray, word_count: int) -> np.ndarray:
        """The standardised readings (FEATURES x 2) blended for a text of this many words."""
        short = (z * self.blend_short).sum(axis=0)
        long = ((z * self.blend).sum(axis=0) - self.long_center) * self.long_scale
        share = self.long_share(word_count)
        return np.asarray((1 - share) * short + share * long, dtype=np.float32)

    def combine(self, features: np.ndarray, word_count: int) -> tuple[float, float]:
        """(valence, arousal) on 0..1 from the readings (see `standardised`)."""
        out = self.squash(self.blended(self.standardised(features), word_count))
        return round(float(out[0]), 3), round(float(out[1]), 3)

    def squash(self, blended: np.ndarray) -> np.ndarray:
        """Blend -> 0..1: 0.5 + spread * blend near the middle, bending (never clipping, so
        two readings keep their order) toward the ends of OUTPUT_RANGE."""
        low, high = OUTPUT_RANGE
        slope = 4 * self.spread / (high - low)
        return np.asarray(low + (high - low) / (1 + np.exp(-slope * blended)), dtype=np.float32)

    def save(self, path: Path, words: Iterable[str]) -> None:
        """Write the model (the training script's end)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            path,
            sentence_weights=self.sentence_weights.astype(np.float32),
            sentence_bias=self.sentence_bias.astype(np.float32),
            words=np.array("\n".join(words)),
            word_values=self.word_values.astype(np.float16),
            feature_mean=self.feature_mean.astype(np.float32),
            feature_scale=self.feature_scale.astype(np.float32),
            blend=self.blend.astype(np.float32),
            blend_short=self.blend_short.astype(np.float32),
            spread=self.spread.astype(np.float32),
            long_center=self.long_center.astype(np.float32),
            long_scale=self.long_scale.astype(np.float32),
        )
