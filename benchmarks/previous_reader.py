"""The mood reader before issue 9 (hand lexicon + anchor kernel regression), kept as a baseline.

benchmarks/mood_cv.py and training/dev_table.py measure it beside the learned reader. Only what
differs from today's reader lives here (the anchors, their kernel regression and the blend of
the two estimates); the lexicon scanner, the trait mapping, the themes and the mood words are
today's own (recsys/mood_reader.py, which kept them unchanged; the reader as it shipped then is
`git show 313bca0^:recsys/mood_reader.py`). Original docstring:

Two estimates are blended by how much each has to go on: a hand-written valence/arousal lexicon
(with negation, intensifiers and simple stemming; vision-model boilerplate discounted) and a
kernel regression of the text's embedding against anchor descriptions of known mood.
"""

from __future__ import annotations

import math

import numpy as np

from recsys.embedder import Embedder
from recsys.models import MoodReading
from recsys.mood_reader import (
    MoodReader,
    _mood_words,
    lexicon_estimate,
    scan,
    tokenize,
    traits_for,
)
from recsys.target_traits import _clip
from recsys.themes import ThemeTagger
from recsys.word_scan import _LOOKUP

# Anchor descriptions with known valence and arousal, for the embedding-based estimate.
ANCHORS: tuple[tuple[str, float, float], ...] = (
    ("a joyful celebration full of laughter and happiness", 0.95, 0.8),
    ("a wild party with loud music and dancing all night", 0.88, 0.95),
    ("friends dancing at a crowded night club", 0.85, 0.93),
    ("an exhilarating thrill ride, screaming with excitement", 0.82, 0.97),
    ("a colorful festival, people throwing colors and cheering", 0.92, 0.88),
    ("kids playing and running happily in the sun", 0.9, 0.8),
    ("a cute puppy playing, goofy and adorable", 0.9, 0.7),
    ("a sunny beach day in summer, carefree and fun", 0.9, 0.7),
    ("a birthday party with balloons and cake", 0.92, 0.8),
    ("a triumphant victory, proud and powerful", 0.9, 0.88),
    ("an energetic workout, pumped and determined", 0.72, 0.93),
    ("a romantic dinner by candlelight, tender love", 0.85, 0.35),
    ("a cozy morning coffee at a cafe, relaxed and content", 0.8, 0.3),
    ("a relaxed picnic in nature with wine and friends", 0.85, 0.35),
    ("a calm misty lake at dawn, serene and still", 0.75, 0.1),
    ("peaceful meditation in a quiet garden", 0.75, 0.08),
    ("a gentle walk through a green forest", 0.75, 0.25),
    ("blooming flowers in a spring garden, fresh and cheerful", 0.88, 0.45),
    ("a slow lazy afternoon, sleepy and mellow", 0.62, 0.12),
    ("a chill ride on a bicycle through the city", 0.72, 0.45),
    ("a nostalgic old photograph, wistful memories", 0.5, 0.25),
    ("a bittersweet goodbye, hopeful but sad", 0.4, 0.35),
    ("a quiet introspective moment, deep in thought", 0.42, 0.15),
    ("a lonely figure on a bench in the rain at night", 0.12, 0.2),
    ("a sad person crying alone, heartbroken", 0.06, 0.35),
    ("a gloomy grey rainy day, empty street", 0.18, 0.2),
    ("grief at a funeral, mourning and sorrow", 0.05, 0.25),
    ("feeling lost and hopeless, deep depression", 0.05, 0.15),
    ("a dark foggy night, mysterious and eerie", 0.25, 0.45),
    ("a violent storm with thunder and lightning", 0.22, 0.88),
    ("angry shouting, rage and aggression", 0.1, 0.95),
    ("anxious and tense, fear and panic", 0.12, 0.85),
    ("a busy city at night with neon lights and traffic", 0.55, 0.75),
    ("gritty urban street with graffiti", 0.45, 0.7),
    ("an epic mountain adventure, wild and free", 0.8, 0.75),
    ("a majestic snowy landscape, quiet and cold", 0.55, 0.15),
    ("a dreamy sunset over the ocean", 0.75, 0.25),
    ("an everyday routine, ordinary and steady", 0.6, 0.4),
    ("upbeat energetic pop song to dance to", 0.88, 0.88),
    ("a slow sad piano ballad", 0.15, 0.15),
    ("soft acoustic folk, warm and gentle", 0.65, 0.25),
    ("ambient calm instrumental music", 0.6, 0.08),
    ("heavy aggressive metal", 0.2, 0.97),
    ("a melancholic haunting ambient piece", 0.2, 0.2),
    ("a happy wedding, love and celebration", 0.93, 0.72),
    ("an abandoned ruined building, desolate", 0.15, 0.25),
)

# Kernel width of the anchor regression (cosine similarity units).
ANCHOR_TEMPERATURE = 0.04
# Anchor similarity below which the embedding says nothing, and where it says plenty.
ANCHOR_SIM_FLOOR = 0.15
ANCHOR_SIM_FULL = 0.55
# The embedding estimate's top weight against the lexicon's confidence: high for a few words
# (the lexicon may know none of them), low for long prose, where whole-text embeddings of
# vision-model captions rank mood worse than the lexicon does (benchmarks/mood_quality.py).
EMBEDDING_WEIGHT_SHORT = 0.55
EMBEDDING_WEIGHT_LONG = 0.1
SHORT_TEXT_WORDS = 12
LONG_TEXT_WORDS = 60
# Averaging many words pulls every reading toward the middle; this much spreads it back, so
# a sad photo asks for sad songs rather than bittersweet ones.
STRETCH = 1.25
# Confidence below this is "the text said nothing": traits stay None.
MIN_CONFIDENCE = 0.05


class PreviousReader(MoodReader):
    """Today's reader with the old estimate: batching, themes and mood words are inherited
    (they did not change), only `read_embedded` reads mood the old way. The parent loads
    today's mood model; this reader never consults it."""

    def __init__(self, embedder: Embedder | None, tagger: ThemeTagger | None = None) -> None:
        super().__init__(embedder, tagger)
        self._anchors: np.ndarray | None = None
        self._anchor_va = np.array([(v, a) for _, v, a in ANCHORS], dtype=np.float32)

    def warm(self) -> None:
        """Embed the anchors and theme hypotheses now rather than on the first read."""
        super().warm()
        if self.embedder is not None:
            self._anchor_vectors()

    def read_embedded(self, text: str, vector: np.ndarray | None) -> MoodReading:
        """The mood of a text whose embedding the caller already has (None: lexicon only)."""
        hits = scan(text)
        lexical = lexicon_estimate(hits)
        semantic = None
        if vector is not None:
            semantic = self._embedding_estimate(vector, _embedding_weight(text))
        blended = _blend(lexical, semantic)
        if blended is None:
            return MoodReading()
        valence, arousal = _stretch(blended[0]), _stretch(blended[1])
        confidence = blended[2]
        words = frozenset(_LOOKUP.base(t) for clause in tokenize(text) for t in clause)
        return MoodReading(
            # Today's mood words with no table words found are the old reader's mood words.
            mood_words=_mood_words(hits, (), valence, arousal),
            themes=self._themes(words, vector, valence, arousal),
            traits=traits_for(valence, arousal, words),
            confidence=round(confidence, 3),
        )

    def _anchor_vectors(self) -> np.ndarray:
        if self._anchors is None:
            assert self.embedder is not None
            self._anchors = self.embedder.embed_texts([text for text, _, _ in ANCHORS])
        return self._anchors

    def _embedding_estimate(
        self, vector: np.ndarray, weight: float = EMBEDDING_WEIGHT_SHORT
    ) -> tuple[float, float, float]:
        """Kernel regression of (valence, arousal) over the anchors nearest the text."""
        sims = self._anchor_vectors() @ np.asarray(vector, dtype=np.float32)
        weights = np.exp((sims - sims.max()) / ANCHOR_TEMPERATURE)
        valence, arousal = (weights @ self._anchor_va) / weights.sum()
        reach = (float(sims.max()) - ANCHOR_SIM_FLOOR) / (ANCHOR_SIM_FULL - ANCHOR_SIM_FLOOR)
        return float(valence), float(arousal), weight * min(1.0, max(0.0, reach))


def _stretch(x: float) -> float:
    """Undo the averaging's pull toward the middle: a sad caption also names a soft light."""
    return _clip(0.5 + STRETCH * (x - 0.5))


def _embedding_weight(text: str) -> float:
    n = len(text.split())
    share = min(1.0, max(0.0, (n - SHORT_TEXT_WORDS) / (LONG_TEXT_WORDS - SHORT_TEXT_WORDS)))
    return EMBEDDING_WEIGHT_SHORT + share * (EMBEDDING_WEIGHT_LONG - EMBEDDING_WEIGHT_SHORT)


def _blend(
    lexical: tuple[float, float, float] | None, semantic: tuple[float, float, float] | None
) -> tuple[float, float, float] | None:
    parts = [p for p in (lexical, semantic) if p is not None and p[2] > 0]
    if not parts:
        return None
    total = sum(p[2] for p in parts)
    valence = sum(p[0] * p[2] for p in parts) / total
    arousal = sum(p[1] * p[2] for p in parts) / total
    confidence = 1 - math.prod(1 - p[2] for p in parts)
    if confidence < MIN_CONFIDENCE:
        return None
    return valence, arousal, confidence
