"""Cross-validated mood-reading figures: every constant fit on folds that exclude the scored text.

Run: python -m benchmarks.mood_cv      (needs ../shared/data and the `train` extra)

Printed, for the learned reader, the same recipe without each word-table source (labMT
ratings, GloVe word vectors, VADER ratings), the first learned reader (neither GloVe nor
VADER nor labMT), the previous hand-tuned reader and baselines measured in the same run
(random readings, word counting); every learned row is refit and cross-validated the same way
(training/cv.py says how).
The previous reader's lexicon and constants were tuned on these very captions, so its caption
figure is in-sample and flatters it; on held-out photos it scored 0.29/0.28 (issue 9).
"""

from __future__ import annotations

import random
import sys

import numpy as np

from benchmarks.mood_quality import word_count_baseline
from recsys.embedder import Embedder
from recsys.mood_model import MoodModel
from recsys.mood_reader import MoodReader
from training import data as mood_data
from training import train_mood
from training.cv import Figures, line, pair, reader_readings, recipe_figures, whole
from training.train_mood import Material, pearson, rho

RANDOM_DRAWS = 200
SEED = 7


# The shipped recipe with one source taken out, to show what each adds.
VARIANTS = {
    "  without labMT (round 4)": train_mood.ROUND4,
    "  without word vectors": train_mood.Recipe(word_vectors=False, labmt=True),
    "  without VADER": train_mood.Recipe(vader=False, labmt=True),
}


def random_figures(material: Material) -> tuple[float, float]:
    """Mean |rho| is not the point: the mean rho of random readings (about 0) and its spread."""
    rng = random.Random(SEED)
    draws = [
        rho([rng.random() for _ in material.captions.texts], material.captions.valence)
        for _ in range(RANDOM_DRAWS)
    ]
    return float(np.mean(draws)), float(np.std(draws))


def run(embedder: Embedder) -> dict[str, Figures]:
    """Every method's figures."""
    material = train_mood.load_material(embedder)
    warriner = mood_data.warriner_words()
    wx = mood_data.embed_words(embedder, warriner.texts)
    learned = recipe_figures(material, train_mood.SHIPPED, warriner, wx, MoodModel.load())
    first = recipe_figures(material, train_mood.FIRST_LEARNED, warriner, wx)
    old = _old_reader(embedder)
    previous = None
    if old is not None:
        previous = Figures(
            pair(
                reader_readings(old, material.captions.texts, material.captions_x),
                material.captions,
            ),
            pair(reader_readings(old, material.oasis.texts, material.oasis_x), material.oasis),
            *whole(old, material, warriner, wx),
        )

    def counted(texts: list[str]) -> np.ndarray:
        return np.array([word_count_baseline(t) for t in texts])

    counting = Figures(
        pair(counted(material.captions.texts), material.captions),
        pair(counted(material.oasis.texts), material.oasis),
        pair(counted(material.emobank["test"].texts), material.emobank["test"], pearson),
        pair(counted(warriner.texts), warriner),
    )
    out = {"learned reader (shipped)": learned}
    for name, recipe in VARIANTS.items():
        out[name] = recipe_figures(material, recipe, warriner, wx)
    out["first learned reader"] = first
    out["word counting"] = counting
    if previous is not None:
        out["previous reader"] = previous
    return out


def _old_reader(embedder: Embedder) -> MoodReader | None:
    """The reader of before issue 9 (benchmarks/previous_reader.py)."""
    from benchmarks.previous_reader import PreviousReader

    reader = PreviousReader(embedder)
    reader.warm()
    return reader


def main() -> int:
    """Print the cross-validated table."""
    if not (mood_data.DATA / "emobank.csv").exists():
        print(f"needs {mood_data.DATA}, absent", file=sys.stderr)
        return 2
    print_reading_table(Embedder())
    return 0


def print_reading_table(embedder: Embedder) -> None:
    """The cross-validated reading figures of every method, as a table."""
    figures = run(embedder)
    print("mood reading, cross-validated (valence / arousal):")
    print(
        f"  {'method':<26}  {'captions LOPO rho':<17}  {'OASIS cat-fold rho':<17}"
        f"  {'EmoBank test r':<17}  {'Warriner words rho':<17}"
    )
    for name, f in figures.items():
        print(line(name, f))
    mean, sd = random_figures(train_mood.load_material(embedder))
    print(f"  {'random readings':<26}  rho {mean:+.3f} (sd {sd:.3f}) on the captions")


if __name__ == "__main__":
    raise SystemExit(main())
