"""The mood reader before issue 9 (hand lexicon + anchor kernel regression), kept as a baseline.

benchmarks/mood_cv.py measures it beside the learned reader. Original docstring:

Reads mood from words (a listener's words or a vision model's prose) into target audio traits.

Two estimates are blended by how much each has to go on: a hand-written valence/arousal lexicon
(with negation, intensifiers and simple stemming; vision-model boilerplate discounted) and a
kernel regression of the text's embedding against anchor descriptions of known mood.
"""

from __future__ import annotations

import logging
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from recsys.embedder import Embedder
from recsys.lexicon import (
    GENERIC,
    INTENSIFIERS,
    LEXICON,
    MUSIC_CONTEXT,
    MUSIC_ONLY,
    MUSIC_WEIGHT,
    NEGATORS,
    MoodWord,
    word_set,
)
from recsys.models import THEMES, AudioTraits, MoodReading, TrackFeatures
from recsys.themes import THEME_KEYWORDS, ThemeTagger, pick_tags, rule_scores
from recsys.track_moods import mood_words_for

log = logging.getLogger(__name__)

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

# A negation reaches this many words ahead ("not at all happy"), never past a clause.
NEGATION_SPAN = 3
# Lexicon weight at which the lexicon estimate is about 63% sure of itself.
LEXICON_SATURATION = 2.5
# Sentences that talk about mood or the music to play say more than scene inventory does.
CUE_WORDS = word_set("mood atmosphere evokes evoke feel feels feeling vibe vibes emotion "
                      "emotions music song songs tone ambiance ambience energy")  # fmt: skip
CUE_BOOST = 1.4
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
# How many found and inferred mood words a reading reports.
MAX_FOUND_WORDS = 6
MAX_INFERRED_WORDS = 3
# Averaging many words pulls every reading toward the middle; this much spreads it back, so
# a sad photo asks for sad songs rather than bittersweet ones.
STRETCH = 1.25
# Distinct words remembered by the look-up; a bot reads open-ended text for months.
LOOKUP_CACHE_WORDS = 50_000
# Confidence below this is "the text said nothing": traits stay None.
MIN_CONFIDENCE = 0.05
# Words that ask for (or against) voices and acoustic instruments.
INSTRUMENTAL_CUES = word_set("instrumental ambient piano classical orchestral meditation")
VOCAL_CUES = word_set("vocal vocals singing singer lyric lyrics sing-along")
ACOUSTIC_CUES = word_set("acoustic unplugged folk guitar piano strings")
ELECTRONIC_CUES = word_set("electronic edm techno synth synths house dubstep trance")
CLAUSE_BREAKS = word_set("but though although however yet while")
SENTENCE_SPLIT = re.compile(r"[.!?;:\n]+|,\s*(?:but|though|yet)\b")
TOKEN = re.compile(r"[a-z][a-z'&-]*")


@dataclass(frozen=True)
class WordHit:
    """A lexicon word found in a text, as counted (after negation and intensity)."""

    word: str
    valence: float
    arousal: float
    weight: float
    negated: bool = False


def _stems(word: str) -> list[str]:
    """Candidate base forms of an inflected word, most likely first."""
    out = [word]
    rules = (
        ("iness", "y"), ("ily", "y"), ("iest", "y"), ("ier", "y"), ("ies", "y"),
        ("ness", ""), ("ful", ""), ("ing", ""), ("ing", "e"), ("ed", ""), ("ed", "e"),
        ("es", ""), ("s", ""), ("ly", ""), ("ly", "le"), ("er", ""), ("est", ""),
    )  # fmt: skip
    for suffix, repl in rules:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            base = word[: -len(suffix)] + repl
            out.append(base)
            if repl == "" and len(base) > 3 and base[-1] == base[-2]:
                out.append(base[:-1])  # running -> run, hugged -> hug
    return out


class _Lookup:
    """Lexicon look-up by inflected form, cached per word."""

    def __init__(self) -> None:
        self._cache: dict[str, tuple[str, MoodWord] | None] = {}

    def find(self, word: str) -> tuple[str, MoodWord] | None:
        if word not in self._cache:
            if len(self._cache) >= LOOKUP_CACHE_WORDS:
                self._cache.clear()
            self._cache[word] = self._find(word)
        return self._cache[word]

    @staticmethod
    def _find(word: str) -> tuple[str, MoodWord] | None:
        if word in GENERIC:
            return None
        for stem in _stems(word):
            if stem in GENERIC:
                return None
            if stem in LEXICON:
                return stem, LEXICON[stem]
        return None

    def base(self, word: str) -> str:
        found = self.find(word)
        return found[0] if found else word


_LOOKUP = _Lookup()


def _negated(entry: MoodWord) -> tuple[float, float]:
    # "not happy" is mildly unhappy, not miserable; "not loud" is quietish.
    return 0.5 - 0.6 * (entry.valence - 0.5), 0.5 - 0.5 * (entry.arousal - 0.5)


def _scan_clause(tokens: list[str], boost: float) -> list[WordHit]:
    hits: list[WordHit] = []
    negate = 0
    intensity = 1.0
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token in NEGATORS or token.endswith("n't"):
            negate, i = NEGATION_SPAN, i + 1
            continue
        if token in INTENSIFIERS:
            intensity, i = INTENSIFIERS[token], i + 1
            continue
        found, width = _match(tokens, i)
        if found is not None:
            word, entry = found
            valence, arousal = _negated(entry) if negate else (entry.valence, entry.arousal)
            weight = entry.weight * intensity * boost * (0.7 if negate else 1.0)
            hits.append(WordHit(word, valence, arousal, weight, negate > 0))
            intensity = 1.0
        negate = max(0, negate - width)
        i += width
    return hits


def _match(tokens: list[str], i: int) -> tuple[tuple[str, MoodWord] | None, int]:
    """The lexicon entry at position i (two-word phrases first) and how many tokens it spans."""
    if i + 1 < len(tokens):
        phrase = f"{_LOOKUP.base(tokens[i])} {_LOOKUP.base(tokens[i + 1])}"
        if phrase in LEXICON:
            return (phrase, LEXICON[phrase]), 2
        raw = f"{tokens[i]} {tokens[i + 1]}"
        if raw in LEXICON:
            return (raw, LEXICON[raw]), 2
    token = tokens[i]
    found = _LOOKUP.find(token)
    if found is None and "-" in token:
        parts = [p for p in token.split("-") if p]
        found = _LOOKUP.find(parts[-1]) if parts else None
    return found, 1


def tokenize(text: str) -> list[list[str]]:
    """Lower-case word tokens per clause."""
    text = text.lower().replace("\u2019", "'").replace("\u2014", ",")
    return [TOKEN.findall(clause) for clause in SENTENCE_SPLIT.split(text)]


def scan(text: str) -> list[WordHit]:
    """Every mood word of a text, as counted (negated, intensified, boosted by cue sentences)."""
    hits: list[WordHit] = []
    for clause in tokenize(text):
        boost = CUE_BOOST if CUE_WORDS.intersection(clause) else 1.0
        musical = not MUSIC_CONTEXT.isdisjoint(clause)
        start = 0
        for j, token in enumerate([*clause, "but"]):
            if token in CLAUSE_BREAKS:
                found = _scan_clause(clause[start:j], boost)
                hits += [h for h in found if musical or h.word not in MUSIC_ONLY]
                start = j + 1
    return _damp_repeats(hits)


def _damp_repeats(hits: list[WordHit]) -> list[WordHit]:
    # The k-th use of a word counts 1/k: boilerplate that repeats "vibrant" five times
    # should not outvote the one "melancholy".
    seen: Counter[str] = Counter()
    out = []
    for hit in hits:
        seen[hit.word] += 1
        out.append(
            WordHit(hit.word, hit.valence, hit.arousal, hit.weight / seen[hit.word], hit.negated)
        )
    return out


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


def traits_for(valence: float, arousal: float, words: frozenset[str]) -> AudioTraits:
    """Target audio traits implied by valence, arousal and a few explicit sound words."""
    dance = 0.15 + 0.4 * arousal + 0.35 * valence
    acoustic = 0.95 - 1.1 * arousal
    if words & ACOUSTIC_CUES:
        acoustic = max(acoustic, 0.7)
    if words & ELECTRONIC_CUES:
        acoustic = min(acoustic, 0.1)
    instrumental = None
    if words & INSTRUMENTAL_CUES:
        instrumental = 0.6
    elif words & VOCAL_CUES:
        instrumental = 0.05
    low, high = _tempo_range(arousal)
    return AudioTraits(
        valence=round(valence, 3), energy=round(arousal, 3), danceability=round(_clip(dance), 3),
        acousticness=round(_clip(acoustic), 3), instrumentalness=instrumental,
        tempo_min=low, tempo_max=high,
    )  # fmt: skip


def _tempo_range(arousal: float) -> tuple[float, float]:
    # Broad bands: tempo follows arousal only loosely in real catalogs.
    if arousal < 0.3:
        return 60.0, 110.0
    if arousal < 0.55:
        return 75.0, 130.0
    if arousal < 0.75:
        return 95.0, 145.0
    return 110.0, 185.0


def _clip(x: float) -> float:
    return float(min(0.97, max(0.03, x)))


class MoodReader:
    """Reads mood words, themes and target audio traits from text; one embedding per text."""

    def __init__(self, embedder: Embedder | None, tagger: ThemeTagger | None = None) -> None:
        self.embedder = embedder
        self.tagger = tagger if tagger is not None else ThemeTagger(embedder)
        self._anchors: np.ndarray | None = None
        self._anchor_va = np.array([(v, a) for _, v, a in ANCHORS], dtype=np.float32)

    def warm(self) -> None:
        """Embed the anchors and theme hypotheses now rather than on the first read."""
        if self.embedder is not None:
            self._anchor_vectors()
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
            mood_words=_mood_words(hits, valence, arousal),
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


def _mood_words(hits: list[WordHit], valence: float, arousal: float) -> tuple[str, ...]:
    strength: dict[str, float] = {}
    for hit in hits:
        # Only emotion and music words name a mood; scene nouns ("evening") do not.
        strong = LEXICON[hit.word].weight >= MUSIC_WEIGHT
        if " " not in hit.word and strong and not hit.negated:
            said = hit.weight * _salience(hit.valence) * _salience(hit.arousal)
            strength[hit.word] = strength.get(hit.word, 0.0) + said
    found = sorted(strength, key=lambda word: -strength[word])[:MAX_FOUND_WORDS]
    inferred = mood_words_for(valence, arousal)[:MAX_INFERRED_WORDS]
    return tuple(dict.fromkeys(found + inferred))
