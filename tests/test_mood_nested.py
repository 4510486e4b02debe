"""The nested share choice (training/nested.py) never sees the held-out fold's items."""

from __future__ import annotations

import numpy as np

from training.nested import GLASGOW_GRID, best_share, nested_readings

# Three groups of four items; a "model" reads item i as share * signal[i] + (1 - share) * noise[i].
GROUPS = np.repeat(np.array(["a", "b", "c"]), 4)
SIGNAL = np.arange(12, dtype=float)
NOISE = 4 * np.array([3.0, 1, 2, 0, 7, 5, 6, 4, 11, 9, 10, 8])  # swings past any share < 1


class Recorder:
    """A fake fit: remembers every train mask it is given and reads items as described above."""

    def __init__(self) -> None:
        self.masks: list[np.ndarray] = []

    def __call__(self, share: float, train: np.ndarray) -> np.ndarray:
        self.masks.append(train.copy())
        return share * SIGNAL + (1 - share) * NOISE


def test_every_fit_of_a_fold_leaves_its_group_out() -> None:
    fit = Recorder()
    nested_readings(GROUPS, SIGNAL, GLASGOW_GRID, fit)
    per_fold = len(GLASGOW_GRID) + 1  # the inner choice, then the held-out reading
    assert len(fit.masks) == 3 * per_fold
    for k, group in enumerate(np.unique(GROUPS)):
        for mask in fit.masks[k * per_fold : (k + 1) * per_fold]:
            assert not mask[group == GROUPS].any()
            assert mask[group != GROUPS].all()


def test_the_held_out_ratings_do_not_move_the_choice() -> None:
    truth = SIGNAL.copy()
    _, honest = nested_readings(GROUPS, truth, GLASGOW_GRID, Recorder())
    assert honest == {"a": 1.0, "b": 1.0, "c": 1.0}  # the signal ranks every group best
    # Group c's ratings turned to follow the noise: only the folds that train on c may move.
    poisoned = truth.copy()
    poisoned[GROUPS == "c"] = NOISE[GROUPS == "c"]
    readings, chosen = nested_readings(GROUPS, poisoned, GLASGOW_GRID, Recorder())
    assert chosen["c"] == honest["c"]
    assert np.array_equal(readings[GROUPS == "c"], SIGNAL[GROUPS == "c"])


def test_a_choice_made_on_the_held_out_items_would_differ() -> None:
    poisoned = SIGNAL.copy()
    poisoned[GROUPS == "c"] = NOISE[GROUPS == "c"]
    only_c = GROUPS == "c"
    assert best_share(GLASGOW_GRID, poisoned, only_c, Recorder()) == 0.0  # what a peek would pick
    _, chosen = nested_readings(GROUPS, poisoned, GLASGOW_GRID, Recorder())
    assert chosen["c"] == 1.0
