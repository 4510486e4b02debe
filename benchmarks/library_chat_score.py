"""The scores of benchmarks/library_chat.py: library_fit@5, library precision, per label and per
mood source, with bootstrap intervals over the requests."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

LABELS = ("Happy", "Sad", "Energetic", "Calm")
TOP = 5
# Bootstrap resamples of the requests (within each label).
DRAWS = 2000


def score(answers: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """library_fit@5, library precision and per-label k of n, with bootstrap intervals."""
    right = np.array([sum(s["library"] and s["right"] for s in a["shown"]) for a in answers])
    shown = np.array([sum(s["library"] for s in a["shown"]) for a in answers])
    by_label = np.array([a["label"] for a in answers])
    rng = np.random.default_rng(19)
    fits, precisions = [], []
    for _ in range(DRAWS):
        i = np.concatenate(
            [rng.choice(np.flatnonzero(by_label == k), (by_label == k).sum()) for k in LABELS]
        )
        fits.append(right[i].sum() / (TOP * len(i)))
        precisions.append(right[i].sum() / max(1, shown[i].sum()))
    return {
        "library_fit_at_5": round(float(right.sum() / (TOP * len(answers))), 3),
        "library_fit_ci95": _interval(fits),
        "library_precision": round(float(right.sum() / max(1, shown.sum())), 3),
        "library_precision_ci95": _interval(precisions),
        "library_shown": int(shown.sum()),
        "per_label": {
            k: f"{int(right[by_label == k].sum())} of {int(shown[by_label == k].sum())}"
            for k in LABELS
        },
        "library_picks_by_source": _by_source(answers),
    }


def _interval(values: list[float]) -> list[float]:
    low, high = np.percentile(values, [2.5, 97.5])
    return [round(float(low), 3), round(float(high), 3)]


def _by_source(answers: Sequence[dict[str, Any]]) -> dict[str, str]:
    """Right of shown library picks per mood source."""
    counts: dict[str, list[int]] = {}
    for a in answers:
        for s in a["shown"]:
            if s["library"]:
                c = counts.setdefault(s["source"] or "?", [0, 0])
                c[0] += s["right"]
                c[1] += 1
    return {k: f"{r} of {n}" for k, (r, n) in sorted(counts.items())}


def print_run(found: dict[str, Any]) -> None:
    s = found["score"]
    print(
        f"{found['arrangement']:<9} service {found['condition']:<4} "
        f"fit@5 {s['library_fit_at_5']:.3f} {s['library_fit_ci95']}  "
        f"precision {s['library_precision']:.3f} {s['library_precision_ci95']}  "
        f"shown {s['library_shown']}  {s['per_label']}  by source {s['library_picks_by_source']}  "
        f"placement {found['placement']}",
        flush=True,
    )
