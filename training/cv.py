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
        groups = np.array(self.m.captions.groups)
        every_theme = np.ones(len(self.m.oasis.texts), bool)
        out = np.zeros((len(groups), 2))
        for photo in np.unique(groups):
            model, alpha = train_mood.fit_blend(self.options, self.m, groups != photo, every_theme)
            held_out = self.options[alpha].captions.subset(groups == photo)
            out[groups == photo] = predict(model, held_out)
        return out

    def oasis(self) -> np.ndarray:
        """Category-fold readings of the OASIS themes."""
        groups = np.array(self.m.oasis.groups)
        every_caption = np.ones(len(self.m.captions.texts), bool)
        out = np.zeros((len(groups), 2))
        for category in np.unique(groups):
            model, alpha = train_mood.fit_blend(
                self.options, self.m, every_caption, groups != category
            )
            held_out = self.options[alpha].themes.subset(groups == category)
            out[groups == category] = predict(model, held_out)
        return out


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
