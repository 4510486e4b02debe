"""The text model of `python -m benchmarks.library_mood`: a ridge from the embedding of a track's
title and artists to its valence and energy, fitted on the catalog tracks of the fit half's
artists only, with a residual model fitted on out-of-fold errors (folds by artist).

A library track of the fit half is guessed by the fold model that never saw its artist; one of
the report half by the model fitted on the whole fit half (the one `--save` ships).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from benchmarks.common import CACHE_DIR
from recsys.embedder import Embedder
from recsys.text_mood import TextGuess, TextMoodModel

# Ridge penalties tried (on unit-length 384-d embeddings); picked by artist-grouped CV.
ALPHAS = (10.0, 30.0, 100.0, 300.0, 1000.0, 3000.0)
# Folds by artist for the out-of-fold errors the residual model and the estimator's fit use.
FOLDS = 5
# The residual model claims no less than this quantile of the out-of-fold squared errors.
FLOOR_QUANTILE = 0.1
# The residual model's ridge penalty: errors are noisy, so it stays near their mean.
ERROR_ALPHA = 30.0


def embeddings(texts: Sequence[str]) -> np.ndarray:
    """The texts' embeddings, cached outside the repository by a hash of the texts."""
    digest = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
    path = CACHE_DIR / f"library-mood-text-{digest}.npy"
    if path.exists():
        cached: np.ndarray = np.load(path)
        return cached
    vectors = Embedder().embed_texts(list(texts)).astype(np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


def ridge(x: np.ndarray, y: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Ridge weights and bias (the bias is not penalised)."""
    mean_x, mean_y = x.mean(axis=0), y.mean(axis=0)
    xc = x - mean_x
    gram = xc.T @ xc + alpha * np.eye(x.shape[1])
    weights = np.linalg.solve(gram, xc.T @ (y - mean_y))
    return weights, mean_y - mean_x @ weights


def fold_of(artist: str) -> int:
    """An artist's fold (a hash of the folded first artist, independent of the halves)."""
    return int(hashlib.sha256(f"fold:{artist}".encode()).hexdigest(), 16) % FOLDS


@dataclass(frozen=True)
class TextFit:
    """The shipped model (fit half) and one per fold (fit half less that fold's artists)."""

    model: TextMoodModel
    fold_models: tuple[TextMoodModel, ...]
    alpha: float


def _oof(x: np.ndarray, y: np.ndarray, folds: np.ndarray, alpha: float) -> np.ndarray:
    """Out-of-fold predictions."""
    out = np.zeros_like(y)
    for fold in range(FOLDS):
        held = folds == fold
        w, b = ridge(x[~held], y[~held], alpha)
        out[held] = x[held] @ w + b
    return out


def _model(x: np.ndarray, y: np.ndarray, folds: np.ndarray, alpha: float) -> TextMoodModel:
    """Ridge on all rows; the residual model on their out-of-fold squared errors."""
    w, b = ridge(x, y, alpha)
    square = (np.clip(_oof(x, y, folds, alpha), 0, 1) - y) ** 2
    ew, eb = ridge(x, square, ERROR_ALPHA)
    floor = np.quantile(square, FLOOR_QUANTILE, axis=0)
    return TextMoodModel(w, b, ew, eb, floor)


def fit_text(x: np.ndarray, y: np.ndarray, artists: Sequence[str]) -> TextFit:
    """Pick the penalty by grouped CV, then fit the shipped and per-fold models."""
    folds = np.array([fold_of(a) for a in artists])
    best = min(ALPHAS, key=lambda a: float(np.mean((_oof(x, y, folds, a) - y) ** 2)))
    per_fold = []
    for fold in range(FOLDS):
        keep = folds != fold
        per_fold.append(_model(x[keep], y[keep], folds[keep], best))
    return TextFit(_model(x, y, folds, best), tuple(per_fold), best)


def guesses(
    fit: TextFit, x: np.ndarray, artists: Sequence[str], halves: Sequence[int]
) -> list[TextGuess]:
    """Each library track's guess from a model that never saw its features (see module doc)."""
    found = []
    for row, artist, half in zip(x, artists, halves, strict=True):
        model = fit.model if half == 1 else fit.fold_models[fold_of(artist)]
        found.append(model.guess(row[None, :])[0])
    return found
