"""Experiments of issue 9's fourth round: stronger word readers for the word table.

Run: python -m benchmarks.mood_words [ROW NAME ...]   (needs ../shared/data and the `train` extra)

Each row is a recipe cross-validated exactly as benchmarks/mood_cv.py (captions leave one photo
out, OASIS by category folds, every constant fit on the training folds; EmoBank test and
Warriner words read by the model fit on everything). The word-table sources tried:
- "fine-tuned": all-MiniLM-L6-v2 fine-tuned end to end on EmoBank train to read words alone
  (benchmarks/word_finetune.py), its readings added to the table's two readings ("add") or in
  place of the sentence heads' reading of words ("replace");
- "MiniLM bag ridge": an EmoBank-train ridge whose input is a sentence's mean of its words'
  own MiniLM embeddings (the GloVe trick with MiniLM's word vectors), alpha on EmoBank dev.
"""

from __future__ import annotations

import sys
from dataclasses import replace

import numpy as np

from benchmarks import mood_data, train_mood, word_finetune
from benchmarks.mood_cv import line, recipe_figures
from benchmarks.train_mood import ALPHAS, Material, fit_ridge, pearson
from recsys.embedder import Embedder


def bag_ridge_readings(material: Material) -> np.ndarray:
    """Vocabulary words read by EmoBank-train ridges over sentences' mean MiniLM word vectors
    (words outside the vocabulary skipped), alphas best on EmoBank dev."""
    index = {w: i for i, w in enumerate(material.vocabulary)}

    def bags(split: str) -> tuple[np.ndarray, np.ndarray]:
        rows, keep = [], []
        for i, text in enumerate(material.emobank[split].texts):
            found = [index[w] for w in word_finetune._table_words(text) if w in index]
            if found:
                rows.append(material.vocabulary_x[found].mean(axis=0))
                keep.append(i)
        return np.stack(rows), np.array(keep)

    (x, keep), (dx, dkeep) = bags("train"), bags("dev")
    out = np.zeros((len(material.vocabulary), 2), dtype=np.float32)
    for column, name in enumerate(("valence", "arousal")):
        y = getattr(material.emobank["train"], name)[keep]
        dy = getattr(material.emobank["dev"], name)[dkeep]
        fits = {a: fit_ridge(x, y, a) for a in ALPHAS}
        best = max(ALPHAS, key=lambda a: pearson(fits[a](dx), dy))
        print(f"    bag ridge {name}: alpha {best:g}, dev r {pearson(fits[best](dx), dy):.3f}")
        out[:, column] = fits[best](material.vocabulary_x)
    return out


ROWS = {
    "shipped recipe": ("", train_mood.SHIPPED),
    "fine-tuned added": ("ft", train_mood.Recipe(finetuned="add")),
    "fine-tuned replaces sentence-head words": ("ft", train_mood.Recipe(finetuned="replace")),
    "fine-tuned only": ("ft", train_mood.Recipe(word_vectors=False, finetuned="replace")),
    "MiniLM bag ridge added": ("bag", train_mood.Recipe(finetuned="add")),
    "MiniLM bag ridge replaces": ("bag", train_mood.Recipe(finetuned="replace")),
}


def main() -> int:
    """Print the rows."""
    embedder = Embedder()
    material = train_mood.load_material(embedder)
    warriner = mood_data.warriner_words()
    wx = mood_data.embed_words(embedder, warriner.texts)
    sources = {"": material}
    wanted = sys.argv[1:]
    print(
        "  method                      captions LOPO rho  OASIS cat-fold rho  EmoBank test r"
        "     Warriner words rho",
        flush=True,
    )
    for name, (source, recipe) in ROWS.items():
        if wanted and name not in wanted:
            continue
        if source not in sources:
            readings = (
                word_finetune.word_readings(material.vocabulary)
                if source == "ft"
                else bag_ridge_readings(material)
            )
            sources[source] = replace(material, vocabulary_ft=readings)
        figures = recipe_figures(sources[source], recipe, warriner, wx)
        print(line(name, figures), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
