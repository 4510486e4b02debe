"""The Glasgow Norms' shares chosen inside the OASIS category folds (docs/mood.md, round 8).

For each OASIS category held out, every share of GLASGOW_GRID is fit on the other three
categories, and the share whose reading ranks their themes best is kept; only then is the
held-out category read, with it. Valence and arousal shares are chosen apart: the word table's
two columns are independent (a column's ratings, salience, standardisation and spread use that
column only, and the arousal alpha moves the arousal head only), so a theme's valence comes from
the valence share's model and its arousal from the arousal share's. The captions' folds use the
shares chosen on all 40 themes (a choice that never sees a caption); the model that would ship
uses them too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from recsys.mood_model import MoodModel
from training import train_mood
from training.cv import CrossValidation
from training.train_mood import Candidate, Material, predict, rho

# The share grid, fixed before the run (docs/mood.md, round 8); 0 is the shipped word table.
GLASGOW_GRID = (0.0, 0.25, 0.5, 0.75, 1.0)
# Output columns of a reading, in order.
COLUMNS = ("valence", "arousal")

# predict(share, train): a reading of every item by the model fit on the train items only.
Predict = Callable[[float, np.ndarray], np.ndarray]
Built = tuple[dict[float, Candidate], dict[str, float]]


def best_share(grid: Sequence[float], truth: np.ndarray, train: np.ndarray, fit: Predict) -> float:
    """The grid value whose model, fit on the train items, ranks them best (ties: the first)."""
    return max(grid, key=lambda share: rho(fit(share, train)[train], truth[train]))


def nested_readings(
    groups: np.ndarray, truth: np.ndarray, grid: Sequence[float], fit: Predict
) -> tuple[np.ndarray, dict[str, float]]:
    """Each group's items read with the share chosen on the other groups, and those shares."""
    out = np.zeros(len(groups))
    chosen = {}
    for group in np.unique(groups):
        train = groups != group
        share = best_share(grid, truth, train, fit)
        chosen[str(group)] = share
        out[~train] = fit(share, train)[~train]
    return out, chosen


class NestedCV:
    """glasgow-nested's folds: one candidate set per share of the grid, chosen in each fold."""

    def __init__(self, material: Material, recipe: train_mood.Recipe) -> None:
        self.m, self.recipe = material, recipe
        first = train_mood.candidates(material, replace(recipe, glasgow_fixed=(0.0, 0.0)))
        # The VADER and labMT shares do not depend on the Glasgow ones: chosen once.
        self.rated = replace(recipe, labmt_share=first[1]["labmt_share"])
        self.sets: dict[float, Built] = {0.0: first}
        for share in GLASGOW_GRID[1:]:
            fixed = replace(self.rated, glasgow_fixed=(share, share))
            self.sets[share] = train_mood.candidates(material, fixed)
        self.fold_choices: dict[str, dict[str, float]] = {}

    def theme_fit(self, column: int) -> Predict:
        """One output's reading of every theme by the model of a share fit on some themes."""
        every_caption = np.ones(len(self.m.captions.texts), bool)

        def fit(share: float, themes: np.ndarray) -> np.ndarray:
            options = self.sets[share][0]
            model, alpha = train_mood.fit_blend(options, self.m, every_caption, themes)
            return predict(model, options[alpha].themes)[:, column]

        return fit

    def truth(self, column: int) -> np.ndarray:
        """The themes' human rating of one output."""
        return self.m.oasis.valence if column == 0 else self.m.oasis.arousal

    def oasis(self) -> np.ndarray:
        """Category-fold readings of the themes, each fold's shares chosen without it."""
        groups = np.array(self.m.oasis.groups)
        out = np.zeros((len(groups), 2))
        for column, name in enumerate(COLUMNS):
            fit = self.theme_fit(column)
            out[:, column], chosen = nested_readings(groups, self.truth(column), GLASGOW_GRID, fit)
            self.fold_choices[name] = chosen
        return out

    def whole_shares(self) -> tuple[float, float]:
        """(valence, arousal) shares chosen on all 40 themes."""
        every = np.ones(len(self.m.oasis.texts), bool)
        v, a = (best_share(GLASGOW_GRID, self.truth(c), every, self.theme_fit(c)) for c in (0, 1))
        return v, a

    def captions(self) -> np.ndarray:
        """Leave-one-photo-out readings of the captions with the shares of all themes."""
        shares = self.whole_shares()
        out = np.zeros((len(self.m.captions.texts), 2))
        for column, share in enumerate(shares):
            cv = CrossValidation(self.m, built=self.sets[share])
            out[:, column] = cv.captions()[:, column]
        return out

    def fitted(self) -> tuple[MoodModel, dict[str, float]]:
        """The model fit on everything with the shares chosen on all themes, and its choices."""
        shares = self.whole_shares()
        built = self.sets.get(shares[0]) if shares[0] == shares[1] else None
        if built is None:
            built = train_mood.candidates(self.m, replace(self.rated, glasgow_fixed=shares))
        every_caption = np.ones(len(self.m.captions.texts), bool)
        every_theme = np.ones(len(self.m.oasis.texts), bool)
        model, alpha = train_mood.fit_blend(built[0], self.m, every_caption, every_theme)
        return model, {**built[1], "arousal_alpha": alpha}


def train(material: Material, recipe: train_mood.Recipe) -> tuple[MoodModel, dict[str, float]]:
    """glasgow-nested's model for the file: the shares chosen on all OASIS categories."""
    return NestedCV(material, recipe).fitted()
