"""Finding the mood words of a text: the hand-written lexicon's words (negation,
intensifiers, simple stemming, two-word phrases, cue sentences, repeats damped) and the words
the mood model's table knows. recsys/mood_reader.py turns what is found into a reading."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import numpy as np

from recsys.lexicon import (
    GENERIC,
    INTENSIFIERS,
    LEXICON,
    MUSIC_CONTEXT,
    MUSIC_ONLY,
    NEGATORS,
    MoodWord,
    word_set,
)
from recsys.mood_model import MoodModel

# A negation reaches this many words ahead ("not at all happy"), never past a clause.
NEGATION_SPAN = 3
# Sentences that talk about mood or the music to play say more than scene inventory does.
CUE_WORDS = word_set("mood atmosphere evokes evoke feel feels feeling vibe vibes emotion "
                      "emotions music song songs tone ambiance ambience energy")  # fmt: skip
CUE_BOOST = 1.4
# Words shorter than this are particles and typos, not moods.
MIN_WORD_CHARS = 3
# Words that carry grammar, not mood; the word table is not consulted for them.
FUNCTION_WORDS = word_set("""
    the and for with from this that these those there here his her its their our your you
    they them she him who whom which what when where while how than then such very just also
    into onto over under about after before again all any both each few more most other some
    own same too can will would could should may might must does did has have had having was
    were are been being is be it as at by of on in to or an a i me my we us
    """)
# Distinct words remembered by the look-up; a bot reads open-ended text for months.
LOOKUP_CACHE_WORDS = 50_000
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


def base_words(text: str) -> frozenset[str]:
    """Every word of a text in its lexicon base form (the word itself when the lexicon lacks it)."""
    return frozenset(_LOOKUP.base(t) for clause in tokenize(text) for t in clause)


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
