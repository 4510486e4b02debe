"""How well the pixel-statistics fallback tracks human mood ratings of photos (OASIS).

Metric: Spearman rank correlation, over the 40 rated OASIS photos in ../shared/data/photos,
between the fallback's estimated valence and the photos' mean human valence, and between its
estimated energy and their mean human arousal. 0 means no signal; the vision model is expected
to do far better; this only says whether the fallback points the right way.

Run: python -m benchmarks.image_stats_quality
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from scipy.stats import spearmanr

from recsys.image_intake import ImageLimits, prepare_image
from recsys.image_stats import caption_from_stats

PHOTOS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "photos"


def main() -> int:
    """Print the rank correlations of the estimate with human valence and arousal."""
    ratings = PHOTOS / "ratings.csv"
    if not ratings.exists():
        print(f"skipped: {ratings} is absent")
        return 0
    limits = ImageLimits()
    rows = list(csv.DictReader(ratings.open(encoding="utf-8")))
    human_valence, human_arousal, est_valence, est_energy = [], [], [], []
    stats_by_name: dict[str, list[float]] = {}
    for row in rows:
        prepared = prepare_image((PHOTOS / row["file"]).read_bytes(), limits)
        traits = caption_from_stats(prepared.stats).traits
        human_valence.append(float(row["valence"]))
        human_arousal.append(float(row["arousal"]))
        est_valence.append(traits.valence)
        est_energy.append(traits.energy)
        for name, value in vars(prepared.stats).items():
            stats_by_name.setdefault(name, []).append(value)
    print(f"OASIS photos: {len(rows)}")
    _report("estimated valence vs human valence", est_valence, human_valence)
    _report("estimated energy  vs human arousal", est_energy, human_arousal)
    print("raw statistics (for context):")
    for name, values in stats_by_name.items():
        v = spearmanr(values, human_valence)
        a = spearmanr(values, human_arousal)
        print(f"  {name:<14} vs valence {v.statistic:+.2f}   vs arousal {a.statistic:+.2f}")
    return 0


def _report(label: str, estimate: list, human: list[float]) -> None:
    result = spearmanr(estimate, human)
    print(f"{label}: Spearman rho = {result.statistic:+.3f} (p = {result.pvalue:.3f})")


if __name__ == "__main__":
    sys.exit(main())
