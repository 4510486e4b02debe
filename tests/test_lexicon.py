"""The hand-written lexicon file (recsys/data/lexicon.txt) as recsys.lexicon reads it."""

from __future__ import annotations

import pytest

from recsys.lexicon import (
    APPRAISAL_WEIGHT,
    EMOTION_WEIGHT,
    LEXICON,
    SCENE_WEIGHT,
    MoodWord,
    build_lexicon,
)


def test_the_shipped_file_gives_each_kind_its_weight() -> None:
    assert LEXICON["joyful"] == MoodWord(0.95, 0.75, EMOTION_WEIGHT)
    assert LEXICON["rainy"] == MoodWord(0.22, 0.28, SCENE_WEIGHT)
    assert LEXICON["high energy"].weight == EMOTION_WEIGHT  # a two-word phrase
    assert {word.weight for word in LEXICON.values()} >= {APPRAISAL_WEIGHT, SCENE_WEIGHT}
    assert all(0 <= w.valence <= 1 and 0 <= w.arousal <= 1 for w in LEXICON.values())


def test_the_stronger_kind_wins_and_comments_are_not_entries() -> None:
    text = """
# a comment line: 1 2 | not an entry 3 4
[scene]
sun 80 60 | rain 25 30
[emotion]
sun 90 70
"""
    lexicon = build_lexicon(text)
    assert lexicon == {
        "sun": MoodWord(0.9, 0.7, EMOTION_WEIGHT),
        "rain": MoodWord(0.25, 0.3, SCENE_WEIGHT),
    }


def test_an_unknown_section_is_an_error_not_silence() -> None:
    with pytest.raises(ValueError, match="unknown sections"):
        build_lexicon("[emotions]\njoy 95 75\n")
