"""Reads mood from words (a listener's words or a vision model's prose) into target audio traits.

Up to three readings of valence and arousal, standardised, are averaged with equal weights
(fitting the weights lost on held-out folds; recsys/mood_model.py, benchmarks/README.md): a
ridge regression from the text's embedding learned from human ratings (EmoBank), a table of
word readings averaged over the text's words, and the hand-written lexicon (negation,
intensifiers, simple stemming, boilerplate discounted). Short texts (a theme, a listener's
words) average all three; long ones (a vision model's paragraph) leave the lexicon out.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence

import numpy as np

from recsys.embedder import Embedder
from recsys.lexicon import LEXICON, MUSIC_WEIGHT
from recsys.models import THEMES, MoodReading, TrackFeatures
from recsys.mood_model import FEATURES, SHORT_TEXT_WORDS, MoodModel
from recsys.target_traits import LIMITS, TargetLimits, traits_for
from recsys.themes import THEME_KEYWORDS, ThemeTagger, pick_tags, rule_scores
from recsys.track_moods import mood_words_for
from recsys.word_scan import WordHit, base_words, cached_words, scan, tokenize, word_hits

# What the reader was split from stays importable here (tests, training, the CLI's metrics).
__all__ = [
    "LIMITS",
    "MoodReader",
    "TargetLimits",
    "WordHit",
    "cached_words",
    "lexicon_estimate",
    "scan",
    "tokenize",
    "traits_for",
    "word_hits",
]

log = logging.getLogger(__name__)

# Lexicon weight at which the lexicon estimate is about 63% sure of itself.
LEXICON_SATURATION = 2.5
# A table word differs from the text's average by this much to count double.
WORD_SALIENCE_SCALE = 0.15
# A known word says this much of what a lexicon mood word says (for the confidence only).
TABLE_WORD_SAY = 0.2
# A text the sentence model has read is never taken as saying nothing at all.
EMBEDDING_CONFIDENCE = 0.1
# How many found and inferred mood words a reading reports.
MAX_FOUND_WORDS = 6
MAX_INFERRED_WORDS = 3


def _salience(value: float) -> float:
    """Extreme values say more about mood than middling ones."""
    return 0.3 + 1.4 * abs(value - 0.5)


def lexicon_estimate(hits: Sequence[WordHit]) -> tuple[float, float, float] | None:
    """(valence, arousal, confidence) from lexicon hits, or None without any."""
    if not hits:
        return None
    wv = np.array([h.weight * _salience(h.valence) for h in hits])
    wa = np.array([h.weight * _salience(h.arousal) for h in hits])
    valence = float(np.dot(wv, [h.valence for h in hits]) / wv.sum())
    arousal = float(np.dot(wa, [h.arousal for h in hits]) / wa.sum())
    total = sum(h.weight for h in hits)
    return valence, arousal, 1 - math.exp(-total / LEXICON_SATURATION)


class MoodReader:
    """Reads mood words, themes and target audio traits from text; one embedding per text."""

    def __init__(
        self,
        embedder: Embedder | None,
        tagger: ThemeTagger | None = None,
        model: MoodModel | None = None,
        limits: TargetLimits = LIMITS,
    ) -> None:
        self.embedder = embedder
        self.limits = limits
        self.tagger = tagger if tagger is not None else ThemeTagger(embedder)
        self.model = model if model is not None else MoodModel.load()

    def warm(self) -> None:
        """Embed the theme hypotheses now rather than on the first read."""
        if self.embedder is not None:
            self.tagger.hypothesis_vectors()

    def read(self, text: str) -> MoodReading:
        """The mood of one text (blocking: embeds the text once when there is an embedder)."""
        return self.read_many([text])[0]

    def read_many(self, texts: Sequence[str]) -> list[MoodReading]:
        """The mood of several texts, embedded in one batch."""
        vectors: list[np.ndarray | None] = [None] * len(texts)
        if self.embedder is not None:
            todo = [i for i, t in enumerate(texts) if t.strip()]
            embedded = self.embedder.embed_texts([texts[i] for i in todo])
            for i, vector in zip(todo, embedded, strict=True):
                vectors[i] = vector
        return [self.read_embedded(t, v) for t, v in zip(texts, vectors, strict=True)]

    def read_embedded(self, text: str, vector: np.ndarray | None) -> MoodReading:
        """The mood of a text whose embedding the caller already has (None: words only)."""
        if not text.strip():
            return MoodReading()
        hits = scan(text)
        found = word_hits(text, self.model)
        features = self.features(text, vector, hits, found)
        if features is None:
            return MoodReading()
        valence, arousal = self.model.combine(features, len(text.split()))
        words = base_words(text)
        return MoodReading(
            mood_words=_mood_words(hits, found, valence, arousal),
            themes=self._themes(words, vector, valence, arousal),
            traits=traits_for(
                valence, arousal, words, len(text.split()) <= SHORT_TEXT_WORDS, self.limits
            ),
            confidence=round(_confidence(hits, found, vector), 3),
        )

    def features(
        self,
        text: str,
        vector: np.ndarray | None,
        hits: Sequence[WordHit] | None = None,
        found: Sequence[WordHit] | None = None,
    ) -> np.ndarray | None:
        """The readings the blend combines (FEATURES x 2, NaN where one has nothing to go on)."""
        hits = scan(text) if hits is None else hits
        found = word_hits(text, self.model) if found is None else found
        rows = np.full((len(FEATURES), 2), np.nan, dtype=np.float32)
        if vector is not None:
            rows[0] = self.model.sentence(vector)
        if found:
            rows[1] = _mean_of(found)
        lexical = lexicon_estimate(hits)
        if lexical is not None:
            rows[2] = lexical[:2]
        if np.isnan(rows[:3]).all():
            return None
        return rows

    def _themes(
        self, words: frozenset[str], vector: np.ndarray | None, valence: float, arousal: float
    ) -> tuple[str, ...]:
        scores = {t: 0.6 * len(words & THEME_KEYWORDS[t]) for t in THEMES}
        pseudo = TrackFeatures(valence=valence, energy=arousal, danceability=arousal)
        for theme, score in rule_scores(pseudo).items():
            scores[theme] += 0.5 * score
        if vector is not None and self.embedder is not None:
            for theme, score in self.tagger.embedding_scores(vector).items():
                scores[theme] += score
        return pick_tags(scores)


def _mean_of(hits: Sequence[WordHit]) -> tuple[float, float]:
    """Weighted mean (valence, arousal) of table words; strong words count more."""
    values = np.array([(h.valence, h.arousal) for h in hits], dtype=np.float32)
    weights = np.array([h.weight for h in hits], dtype=np.float32)[:, None]
    salience = weights * (1.0 + np.abs(values - values.mean(axis=0)) / WORD_SALIENCE_SCALE)
    mean = (values * salience).sum(axis=0) / salience.sum(axis=0)
    return float(mean[0]), float(mean[1])


def _confidence(hits: Sequence[WordHit], found: Sequence[WordHit], vector: object) -> float:
    """How much the text said about mood: lexicon words most, other known words a little."""
    said = sum(h.weight for h in hits) + TABLE_WORD_SAY * sum(h.weight for h in found)
    floor = EMBEDDING_CONFIDENCE if vector is not None else 0.0
    return max(floor, 1 - math.exp(-said / LEXICON_SATURATION))


def _mood_words(
    hits: Sequence[WordHit], found: Sequence[WordHit], valence: float, arousal: float
) -> tuple[str, ...]:
    """The mood words the reading counted (lexicon emotion and music words), then inferred."""
    strength: dict[str, float] = {}
    for hit in hits:
        # Only emotion and music words name a mood; scene nouns ("evening") do not.
        strong = LEXICON[hit.word].weight >= MUSIC_WEIGHT
        if " " not in hit.word and strong and not hit.negated:
            said = hit.weight * _salience(hit.valence) * _salience(hit.arousal)
            strength[hit.word] = strength.get(hit.word, 0.0) + said
    named = sorted(strength, key=lambda word: -strength[word])[:MAX_FOUND_WORDS]
    inferred = mood_words_for(valence, arousal)[:MAX_INFERRED_WORDS]
    return tuple(dict.fromkeys(named + inferred))
