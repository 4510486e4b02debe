"""A track's mood guessed from its own words: a ridge over the embedding of its title and artist.

Fitted by `python -m benchmarks.library_mood --save` on the catalog tracks of one half of the
artists (split by artist) and scored on the library tracks of the other half
(benchmarks/README.md, library moods). The weights ship in `recsys/data/text_mood.npz` only
because they beat the catalog-mean constant held out. Playlist names are never read: they
measured worse than a constant (issue 19).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from recsys.text_hygiene import clean_text

WEIGHTS_PATH = Path(__file__).parent / "data" / "text_mood.npz"
# A title and its artists are short; longer text is a pasted paragraph, not a song's words.
MAX_TEXT_CHARS = 200


@dataclass(frozen=True)
class TextGuess:
    """Valence and energy read from a track's words, with the expected RMS error of each."""

    valence: float
    energy: float
    valence_error: float
    energy_error: float


def track_text(title: str, artists: Sequence[str]) -> str:
    """The words the text model reads: "<title> by <artists>" (what the catalog has for all)."""
    names = ", ".join(a for a in artists if a)
    text = f"{title} by {names}" if names else title
    return clean_text(text, MAX_TEXT_CHARS)


@dataclass(frozen=True)
class TextMoodModel:
    """Ridge weights (valence, energy) over unit-length 384-d embeddings, and the residual
    model: the expected squared error as a ridge over the same embedding, floored."""

    weights: np.ndarray  # (dim, 2)
    bias: np.ndarray  # (2,)
    error_weights: np.ndarray  # (dim, 2): expected squared error per trait
    error_bias: np.ndarray  # (2,)
    error_floor: np.ndarray  # (2,): the smallest squared error the model may claim

    def guess(self, embeddings: np.ndarray) -> list[TextGuess]:
        """One guess per embedding row."""
        if len(embeddings) == 0:
            return []
        mean = np.clip(embeddings @ self.weights + self.bias, 0.0, 1.0)
        square = np.maximum(embeddings @ self.error_weights + self.error_bias, self.error_floor)
        error = np.sqrt(square)
        return [
            TextGuess(float(m[0]), float(m[1]), float(e[0]), float(e[1]))
            for m, e in zip(mean, error, strict=True)
        ]

    def save(self, path: Path = WEIGHTS_PATH) -> None:
        """Write the weights (float32) to an .npz file."""
        np.savez_compressed(
            path,
            weights=self.weights.astype(np.float32),
            bias=self.bias.astype(np.float32),
            error_weights=self.error_weights.astype(np.float32),
            error_bias=self.error_bias.astype(np.float32),
            error_floor=self.error_floor.astype(np.float32),
        )


def read_model(path: Path) -> TextMoodModel:
    """The model stored at `path`."""
    with np.load(path) as data:
        return TextMoodModel(
            data["weights"],
            data["bias"],
            data["error_weights"],
            data["error_bias"],
            data["error_floor"],
        )


@lru_cache(maxsize=1)
def shipped_model() -> TextMoodModel | None:
    """The shipped model, or None when no weights ship (then the text is not read)."""
    return read_model(WEIGHTS_PATH) if WEIGHTS_PATH.exists() else None
