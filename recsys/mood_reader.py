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
from recsys.mood_model import FEATURES, SHORT_TEXT_WORDS, MoodModel
from recsys.themes import THEME_KEYWORDS, ThemeTagger, pick_tags, rule_scores
from recsys.track_moods import mood_words_for

log = logging.getLogger(__name__)

# A negation reaches this many words ahead ("not at all happy"), never past a clause.
NEGATION_SPAN = 3
# Lexicon weight at which the lexicon estimate is about 63% sure of itself.
LEXICON_SATURATION = 2.5
# Sentences that talk about mood or the music to play say more than scene inventory does.
CUE_WORDS = word_set("mood atmosphere evokes evoke feel feels feeling vibe vibes emotion "
                      "emotions music song songs tone ambiance ambience energy")  # fmt: skip
CUE_BOOST = 1.4
# Words shorter than this are particles and typos, not moods.
MIN_WORD_CHARS = 3
# A table word differs from the text's average by this much to count double.
WORD_SALIENCE_SCALE = 0.15
# A known word says this much of what a lexicon mood word says (for the confidence only).
TABLE_WORD_SAY = 0.2
# A text the sentence model has read is never taken as saying nothing at all.
EMBEDDING_CONFIDENCE = 0.1
# Words that carry grammar, not mood; the word table is not consulted for them.
FUNCTION_WORDS = word_set("""
    the and for with from this that these those there here his her its their our your you
    they them she him who whom which what when where while how than then such very just also
    into onto over under about after before again all any both each few more most other some
    own same too can will would could should may might must does did has have had having was
    were are been being is be it as at by of on in to or an a i me my we us
    """)
# How many found and inferred mood words a reading reports.
MAX_FOUND_WORDS = 6
MAX_INFERRED_WORDS = 3
# Distinct words remembered by the look-up; a bot reads open-ended text for months.
LOOKUP_CACHE_WORDS = 50_000
# Words that ask for (or against) voices and acoustic instruments.
INSTRUMENTAL_CUES = word_set("instrumental ambient piano classical orchestral meditation")
VOCAL_CUES = word_set("vocal vocals singing singer lyric lyrics sing-along")
ACOUSTIC_CUES = word_set("acoustic unplugged folk guitar piano strings")
ELECTRONIC_CUES = word_set("electronic edm techno synth synths house dubstep trance")
# Words that ask for calm songs and for sad ones in a listener's few words (TargetLimits says
# what those are). Written in round 6 with the 24 dev requests in view (docs/mood.md).
# "still" is left out: as an adverb ("still sad") it asks for nothing.
CALM_CUES = word_set("calm calming calmness peaceful tranquil tranquility tranquillity "
                     "serene serenity meditation meditative stillness soothing restful hushed "
                     "quiet relaxing relaxation")  # fmt: skip
SAD_CUES = word_set("sad sadness heartbroken heartbreak grief grieving tears tearful crying "
                    "melancholy melancholic lonely loneliness sorrow sorrowful mourning breakup "
                    "depressed gloomy")  # fmt: skip


@dataclass(frozen=True)
class TargetLimits:
    """What a calm or sad request aims at. Calm songs are quiet, acoustic and mostly
    instrumental (instrumental is a lean, not a demand: a sung lullaby still fits); sad songs are
    sung and soft, although people rate grief and tears as aroused. Each default is the median of
    the labelled Calm or Sad tracks of half A of mood_labels_dev.csv (split by artist; round 7,
    `python -m training.calm_split`); half B and its requests judged them (docs/mood.md)."""

    calm_energy_max: float = 0.16
    calm_acoustic_min: float = 0.96
    calm_instrumental: float = 0.9
    sad_energy_max: float = 0.36
    sung: float = 0.0


LIMITS = TargetLimits()

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

    def __len__(self) -> int:
        return len(self._cache)

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


def cached_words() -> int:
    """How many word look-ups are cached (bounded by LOOKUP_CACHE_WORDS; for the metrics)."""
    return len(_LOOKUP)


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


def traits_for(
    valence: float,
    arousal: float,
    words: frozenset[str],
    request: bool = False,
    limits: TargetLimits = LIMITS,
) -> AudioTraits:
    """Target audio traits implied by valence, arousal and a few explicit sound words;
    `request`: a listener's few words, where a calm or sad word asks for calm or sad songs (a
    vision model's paragraph names "serene" in passing)."""
    calm = request and bool(words & CALM_CUES) and not words & ELECTRONIC_CUES
    sad = request and bool(words & SAD_CUES) and not calm
    if calm:
        arousal = min(arousal, limits.calm_energy_max)
    if sad:
        arousal = min(arousal, limits.sad_energy_max)
    dance = 0.15 + 0.4 * arousal + 0.35 * valence
    acoustic = 0.95 - 1.1 * arousal
    if words & ACOUSTIC_CUES:
        acoustic = max(acoustic, 0.7)
    if calm:
        acoustic = max(acoustic, limits.calm_acoustic_min)
    if words & ELECTRONIC_CUES:
        acoustic = min(acoustic, 0.1)
    instrumental = None
    if words & INSTRUMENTAL_CUES or (calm and not words & VOCAL_CUES):
        instrumental = limits.calm_instrumental
    elif words & VOCAL_CUES or sad:
        instrumental = limits.sung
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
        words = frozenset(_LOOKUP.base(t) for clause in tokenize(text) for t in clause)
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


def word_hits(text: str, model: MoodModel) -> list[WordHit]:
    """The words of a text that the model's word table knows, turned around when negated."""
    hits: list[WordHit] = []
    for clause in tokenize(text):
        negate = 0
        for token in clause:
            if token in NEGATORS or token.endswith("n't"):
                negate = NEGATION_SPAN
                continue
            negate = max(0, negate - 1)
            found = _table_word(token, model)
            if found is None:
                continue
            word, (valence, arousal) = found
            if negate:
                valence, arousal = _negated(MoodWord(float(valence), float(arousal), 1.0))
            hits.append(WordHit(word, float(valence), float(arousal), 1.0, negate > 0))
    return _damp_repeats(hits)


def _table_word(token: str, model: MoodModel) -> tuple[str, np.ndarray] | None:
    if token in FUNCTION_WORDS or token in GENERIC or len(token) < MIN_WORD_CHARS:
        return None
    for stem in _stems(token):
        if stem in GENERIC:
            return None
        values = model.word(stem)
        if values is not None:
            return stem, values
    return None


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
