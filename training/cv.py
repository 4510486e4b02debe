"""Cross-validation of a mood-model recipe: every constant fit on folds without the scored text.

- captions: the 80 recorded captions, leave-one-photo-out (a photo's 8 captions share a fold),
  Spearman rho against the owner's vibe words scored with the Warriner norms (measuring only);
- OASIS: "A photo of a <theme>." for the 40 dev photos, category folds (Animal, Object,
  Person, Scenery), rho against human valence and arousal;
- EmoBank test: Pearson r on the authors' test split (never used for any choice);
- Warriner words: rho of the reader on each of the 13,915 single words against the norms
  (measuring only; the norms never reach the model).
In each caption fold, the long-text blend and the arousal alpha are chosen on the other nine
photos (the short-text blend on all OASIS themes); in each OASIS fold, the short-text blend
and the arousal alpha on the other three categories (the long-text blend on all captions).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from recsys.mood_model import MoodModel
from recsys.mood_reader import MoodReader
from training import data as mood_data
from training import train_mood
from training.train_mood import Material, pearson, predict, rho


@dataclass(frozen=True)
class Figures:
    """rho (or r) for valence and arousal on each set."""

    captions: tuple[float, float]
    oasis: tuple[float, float]
    emobank_test: tuple[float, float]
    warriner: tuple[float, float]


def pair(
    pred: np.ndarray, rated: mood_data.Rated, corr: Callable[..., float] = rho
) -> tuple[float, float]:
    """(valence, arousal) correlation of predictions with a rated set."""
    return corr(pred[:, 0], rated.valence), corr(pred[:, 1], rated.arousal)


# read(train, held): the held-out texts' (valence, arousal) read by a model fit on `train`.
FoldRead = Callable[[np.ndarray, np.ndarray], np.ndarray]


def group_folds(groups: np.ndarray, read: FoldRead, within: np.ndarray | None = None) -> np.ndarray:
    """Every text read with its own group held out (a photo, an OASIS category). `within`: an
    inner fold, trained and held out inside this mask only (zeros outside it)."""
    inside = np.ones(len(groups), bool) if within is None else within
    out = np.zeros((len(groups), 2))
    for group in np.unique(groups[inside]):
        out[groups == group] = read(inside & (groups != group), groups == group)
    return out


def fold_predict(
    options: dict[float, train_mood.Candidate],
    material: Material,
    captions: np.ndarray,
    themes: np.ndarray,
    held: str,
    mask: np.ndarray,
) -> np.ndarray:
    """Fit the blend on the training masks; read the held-out texts (held: captions|themes)."""
    model, alpha = train_mood.fit_blend(options, material, captions, themes)
    c = options[alpha]
    return predict(model, (c.captions if held == "captions" else c.themes).subset(mask))


# options_for(captions, themes): the candidate models of a fold with these training masks.
OptionsFor = Callable[[np.ndarray, np.ndarray], dict[float, train_mood.Candidate]]


def held_out(material: Material, held: str, options_for: OptionsFor) -> np.ndarray:
    """Each text of one set (held: captions|themes) read by the blend fit without its group (a
    photo, an OASIS category) and with all of the other set."""
    every_caption = np.ones(len(material.captions.texts), bool)
    every_theme = np.ones(len(material.oasis.texts), bool)
    rated = material.captions if held == "captions" else material.oasis

    def read(train: np.ndarray, mask: np.ndarray) -> np.ndarray:
        captions, themes = (train, every_theme) if held == "captions" else (every_caption, train)
        return fold_predict(options_for(captions, themes), material, captions, themes, held, mask)

    return group_folds(np.array(rated.groups), read)


class CrossValidation:
    """The learned reader's folds, sharing one embedding pass and one set of raw readings."""

    def __init__(
        self,
        material: Material,
        recipe: train_mood.Recipe = train_mood.SHIPPED,
        built: tuple[dict[float, train_mood.Candidate], dict[str, float]] | None = None,
    ) -> None:
        """built: candidates already made for this material (training/nested.py), else made."""
        self.m = material
        made = built if built is not None else train_mood.candidates(material, recipe)
        self.options, self.choices = made

    def photo_model(self, photo: str) -> MoodModel:
        """The model fit without this photo's captions (all OASIS themes)."""
        groups = np.array(self.m.captions.groups)
        every_theme = np.ones(len(self.m.oasis.texts), bool)
        return train_mood.fit_blend(self.options, self.m, groups != photo, every_theme)[0]

    def category_model(self, category: str) -> MoodModel:
        """The model fit without this OASIS category's themes (all captions)."""
        groups = np.array(self.m.oasis.groups)
        every_caption = np.ones(len(self.m.captions.texts), bool)
        return train_mood.fit_blend(self.options, self.m, every_caption, groups != category)[0]

    def captions(self) -> np.ndarray:
        """Leave-one-photo-out readings of the captions."""
        return held_out(self.m, "captions", lambda captions, themes: self.options)

    def oasis(self) -> np.ndarray:
        """Category-fold readings of the OASIS themes."""
        return held_out(self.m, "themes", lambda captions, themes: self.options)


def recipe_figures(
    material: Material,
    recipe: train_mood.Recipe,
    warriner: mood_data.Rated,
    wx: np.ndarray,
    model: MoodModel | None = None,
) -> Figures:
    """One recipe's figures: captions and OASIS cross-validated, EmoBank test and Warriner words
    read by the model fit on everything (the shipped file when given)."""
    cv = CrossValidation(material, recipe)
    fitted = model if model is not None else train_mood.train(material, recipe)[0]
    return Figures(
        pair(cv.captions(), material.captions),
        pair(cv.oasis(), material.oasis),
        *whole(MoodReader(None, model=fitted), material, warriner, wx),
    )


def reader_readings(reader: MoodReader, texts: list[str], x: np.ndarray) -> np.ndarray:
    """(valence, arousal) as a MoodReader answers, 0.5 where it reads nothing."""
    out = []
    for text, vector in zip(texts, x, strict=True):
        traits = reader.read_embedded(text, vector).traits
        out.append((traits.valence or 0.5, traits.energy or 0.5))
    return np.array(out)


def whole(
    reader: MoodReader, material: Material, warriner: mood_data.Rated, wx: np.ndarray
) -> tuple[tuple[float, float], tuple[float, float]]:
    """EmoBank test r and Warriner rho of one fixed reader."""
    test = reader_readings(reader, material.emobank["test"].texts, material.emobank_x["test"])
    words = reader_readings(reader, warriner.texts, wx)
    return pair(test, material.emobank["test"], pearson), pair(words, warriner)


def line(name: str, f: Figures) -> str:
    """One table row."""
    cells = (f.captions, f.oasis, f.emobank_test, f.warriner)
    return f"  {name:<26}" + "".join(f"  {v:+.3f} / {a:+.3f}" for v, a in cells)
