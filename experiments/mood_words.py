"""Experiments of issue 9's fourth round: stronger word readers for the word table.

Run: python -m experiments.mood_words [ROW NAME ...]   (needs ../shared/data and the `train` extra)
     python -m experiments.mood_words "without labMT" "labMT share fixed 0.25" ...   fifth round
     python -m experiments.mood_words noise [ROW NAME]  how far 40 themes and 10 photos let two
                                                       recipes differ by chance (bootstrap)
     python -m experiments.mood_words fill              a missing reading filled by the word
                                                       table's rather than the sentence's
                                                       (captions and OASIS only)
     python -m experiments.mood_words themes            each dev theme's readings, shipped table
                                                       and fine-tuned one (valence)

Each row is a recipe cross-validated exactly as benchmarks/mood_cv.py (captions leave one photo
out, OASIS by category folds, every constant fit on the training folds; EmoBank test and
Warriner words read by the model fit on everything). The word-table sources tried:
- "fine-tuned": all-MiniLM-L6-v2 fine-tuned end to end on EmoBank train to read words alone
  (experiments/word_finetune.py), its readings added to the table's two readings ("add") or in
  place of the sentence heads' reading of words ("replace");
- "MiniLM bag ridge": an EmoBank-train ridge whose input is a sentence's mean of its words'
  own MiniLM embeddings (the GloVe trick with MiniLM's word vectors), alpha on EmoBank dev.
"""

from __future__ import annotations

import sys
from dataclasses import replace

import numpy as np

from experiments import word_finetune
from recsys.embedder import Embedder
from training import data as mood_data
from training import train_mood
from training.cv import CrossValidation, line, recipe_figures
from training.train_mood import ALPHAS, Material, fit_ridge, pearson, rho


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
    "without labMT": ("", train_mood.ROUND4),
    # The labMT share fixed in every fold instead of chosen on EmoBank dev (0.5): how much the
    # fifth round's gain hangs on it. A sensitivity check, never a choice.
    **{
        f"labMT share fixed {share}": ("", train_mood.Recipe(labmt=True, labmt_share=share))
        for share in train_mood.VADER_SHARES[1:]
    },
    "fine-tuned added": ("ft", train_mood.Recipe(finetuned="add")),
    "fine-tuned replaces sentence-head words": ("ft", train_mood.Recipe(finetuned="replace")),
    "fine-tuned only": ("ft", train_mood.Recipe(word_vectors=False, finetuned="replace")),
    "fine-tuned added, bigger table": ("ft-big", train_mood.Recipe(finetuned="add")),
    # Fifth round: the decision left open in round 4, re-measured on top of labMT's ratings.
    "fine-tuned added, with labMT": ("ft", train_mood.Recipe(finetuned="add", labmt=True)),
    "MiniLM bag ridge added": ("bag", train_mood.Recipe(finetuned="add")),
    "MiniLM bag ridge replaces": ("bag", train_mood.Recipe(finetuned="replace")),
}


BOOTSTRAP_DRAWS = 2000
BOOTSTRAP_SEED = 11


# The bigger table of the second round: GloVe's most frequent words added to the vocabulary.
BIG_TABLE_GLOVE_WORDS = 60_000


def bigger_table(material: Material) -> Material:
    """The material with GloVe's BIG_TABLE_GLOVE_WORDS most frequent words in the vocabulary."""
    glove = train_mood.Glove()
    frequent = [w for w, i in glove.index.items() if i < BIG_TABLE_GLOVE_WORDS]
    words = sorted(
        set(material.vocabulary)
        | {w for w in frequent if len(w) >= 3 and w.isalpha() and w.isascii()}
    )
    vectors, known = glove.words(words)
    return replace(
        material,
        vocabulary=words,
        vocabulary_x=mood_data.embed_words(Embedder(), words),
        vocabulary_g=vectors,
        glove_known=known,
    )


def source_material(material: Material, source: str) -> Material:
    """The material with the extra word reading a row needs."""
    if not source:
        return material
    if source == "ft-big":
        material = bigger_table(material)
        source = "ft"
    readings = (
        word_finetune.word_readings(material.vocabulary)
        if source == "ft"
        else bag_ridge_readings(material)
    )
    return replace(material, vocabulary_ft=readings)


def noise(material: Material, name: str) -> None:
    """Bootstrap over OASIS themes and over photos (each photo's captions together): the spread
    of the shipped recipe's cross-validated rho and the 5-95% range of (row - shipped)."""
    source, recipe = ROWS[name]
    shipped = CrossValidation(material, train_mood.SHIPPED)
    other = CrossValidation(source_material(material, source), recipe)
    rng = np.random.RandomState(BOOTSTRAP_SEED)
    for label, rated, a, b in (
        ("OASIS", material.oasis, shipped.oasis(), other.oasis()),
        ("captions", material.captions, shipped.captions(), other.captions()),
    ):
        groups = np.array(rated.groups if label == "captions" else range(len(rated.texts)))
        units = np.unique(groups)
        for column, target in enumerate((rated.valence, rated.arousal)):
            base, diff = [], []
            for _ in range(BOOTSTRAP_DRAWS):
                picked = rng.choice(units, len(units))
                rows = np.concatenate([np.flatnonzero(groups == u) for u in picked])
                r_a = rho(a[rows, column], target[rows])
                base.append(r_a)
                diff.append(rho(b[rows, column], target[rows]) - r_a)
            low, high = np.percentile(diff, [5, 95])
            print(
                f"  {label} {('valence', 'arousal')[column]}: shipped rho sd {np.std(base):.3f};"
                f" {name} - shipped {np.mean(diff):+.3f} (5-95%: {low:+.3f} .. {high:+.3f})",
                flush=True,
            )


def words_first(model: train_mood.MoodModel, r: train_mood.Readings) -> np.ndarray:
    """train_mood.standardised with the word table's reading, not the sentence's, standing in
    for a missing one (the sentence's when the text has no table word)."""
    raw = np.array(r.raw, dtype=np.float32)
    present: np.ndarray = ~np.isnan(raw).any(axis=2)
    first = np.where(present[:, 1], 1, present.argmax(axis=1))
    fill = raw[np.arange(len(raw)), first]
    for i in range(raw.shape[1]):
        raw[~present[:, i], i] = fill[~present[:, i]]
    return np.asarray((raw - model.feature_mean) / model.feature_scale)


def fill_rows(material: Material) -> None:
    """Captions LOPO and OASIS category-fold rho with each fill rule (shipped recipe)."""
    shipped_rule = train_mood.standardised
    for name, rule in (("sentence first (shipped)", shipped_rule), ("words first", words_first)):
        train_mood.standardised = rule  # read by fit_blend and predict
        cv = CrossValidation(material)
        (cv_v, cv_a), (o_v, o_a) = (
            pair_of(cv.captions(), material.captions),
            pair_of(cv.oasis(), material.oasis),
        )
        print(f"  {name:<26}  {cv_v:+.3f} / {cv_a:+.3f}  {o_v:+.3f} / {o_a:+.3f}", flush=True)
    train_mood.standardised = shipped_rule


def pair_of(pred: np.ndarray, rated: mood_data.Rated) -> tuple[float, float]:
    """(valence, arousal) rho."""
    return rho(pred[:, 0], rated.valence), rho(pred[:, 1], rated.arousal)


def theme_readings(material: Material) -> None:
    """Each OASIS dev theme's raw valence readings (sentence, shipped table, fine-tuned table),
    and how each alone ranks the themes it reads."""
    shipped = CrossValidation(material).options[30.0].themes.raw
    tuned = (
        CrossValidation(source_material(material, "ft"), train_mood.Recipe(finetuned="replace"))
        .options[30.0]
        .themes.raw
    )
    target = material.oasis.valence
    for name, values in (
        ("sentence", shipped[:, 0, 0]),
        ("shipped table", shipped[:, 1, 0]),
        ("fine-tuned table", tuned[:, 1, 0]),
        ("hand lexicon", shipped[:, 2, 0]),
    ):
        known = ~np.isnan(values)
        print(f"  {name:<18} rho {rho(values[known], target[known]):+.3f} on {known.sum()} themes")
    order = np.argsort(target)
    for i in order:
        print(
            f"  {material.oasis.texts[i]:<30} rated {target[i]:.2f}  sentence "
            f"{shipped[i, 0, 0]:.2f}  table {shipped[i, 1, 0]:.2f}  fine-tuned {tuned[i, 1, 0]:.2f}"
        )


def main() -> int:
    """Print the rows."""
    embedder = Embedder()
    material = train_mood.load_material(embedder)
    if sys.argv[1:] == ["themes"]:
        theme_readings(material)
        return 0
    if sys.argv[1:] == ["fill"]:
        print("  fill rule                   captions LOPO rho  OASIS cat-fold rho")
        fill_rows(material)
        return 0
    if sys.argv[1:2] == ["noise"]:
        noise(material, " ".join(sys.argv[2:]) or "fine-tuned added")
        return 0
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
            sources[source] = source_material(material, source)
        figures = recipe_figures(sources[source], recipe, warriner, wx)
        print(line(name, figures), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
