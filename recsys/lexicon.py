"""Hand-written mood words: valence and arousal of emotion, music and scene words.

The entries live in recsys/data/lexicon.txt. Every number there is this project's own
estimate on a 0..100 scale (valence: miserable .. joyful; arousal: still .. frantic), written
for how people describe photos and music. Words are grouped by how much they say about mood:
an emotion word says more than a scene noun.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources


def word_set(text: str) -> frozenset[str]:
    """The whitespace-separated words of a text, as a set."""
    return frozenset(text.split())


@dataclass(frozen=True)
class MoodWord:
    """One lexicon entry: valence and arousal in 0..1 and how much the word says (weight)."""

    valence: float
    arousal: float
    weight: float


# How much each kind of word says about the mood of the whole text.
EMOTION_WEIGHT = 1.0  # "joyful", "lonely": the mood itself
MUSIC_WEIGHT = 1.0  # "upbeat", "ballad": vision models say what music would fit
SCENE_WEIGHT = 0.45  # "beach", "rain": scenes lean one way but can be read both ways
APPRAISAL_WEIGHT = 0.15  # "beautiful", "stunning": influencer praise, faintly positive

# The entries themselves, by kind, in a data file of the package (format in its header).
LEXICON_FILE = "data/lexicon.txt"
# Each section of the file and its weight, in the order they are read: a word in two kinds
# keeps the later one's (the stronger kind wins on a clash). Two-word phrases are matched
# before single words ("high energy" is not "energy").
SECTIONS: tuple[tuple[str, float], ...] = (
    ("appraisal", APPRAISAL_WEIGHT),
    ("scene", SCENE_WEIGHT),
    ("music", MUSIC_WEIGHT),
    ("emotion", EMOTION_WEIGHT),
    ("phrases", EMOTION_WEIGHT),
)

# Words that carry no mood: vision-model boilerplate and talk about music itself.
GENERIC = word_set("""
    music musical musician musicians song songs track tracks playlist soundtrack melody melodies
    tune tunes rhythm rhythms beat beats genre genres style image photo photograph picture scene
    captures capture frame lover lovers hey perfect perfectly inspire inspiration evoke evokes
    evoking vibe vibes mood moods atmosphere feeling feelings emotion emotions overall sense
    description describe influencer social media okay wow attempt sound sounds listener listeners
    color colors colour colours light lighting tone tones feel feels
    """)

# Genre and sound words that name things in photos too ("a metal bucket", "a house", "pops of
# colour", "shades of blues"): counted only in a sentence that talks about music.
MUSIC_ONLY = word_set(
    "metal rock house country soul pop strings folk heavy driving classical latin blues "
    "pounding trance indie electronic"
)
MUSIC_CONTEXT = word_set(
    "music musical song songs genre genres track tracks tune tunes sound sounds soundtrack "
    "playlist melody melodies beat beats band style styles musician musicians"
)

NEGATORS = word_set(
    "not no never without nor neither lacks lacking lack hardly barely isn't aren't wasn't "
    "don't doesn't didn't won't can't cannot nothing"
)
INTENSIFIERS = {
    "very": 1.5, "extremely": 1.8, "so": 1.3, "incredibly": 1.6, "deeply": 1.6, "utterly": 1.7,
    "pure": 1.6, "really": 1.4, "truly": 1.4, "highly": 1.5, "super": 1.5, "totally": 1.4,
    "overwhelmingly": 1.8, "intensely": 1.6, "profoundly": 1.6, "deep": 1.3, "major": 1.3,
    "slightly": 0.5, "somewhat": 0.5, "bit": 0.5, "subtle": 0.45, "hint": 0.45, "touch": 0.5,
    "little": 0.6, "mildly": 0.5, "faint": 0.45, "undercurrent": 0.5, "almost": 0.7,
}  # fmt: skip


def _parse(block: str, weight: float) -> dict[str, MoodWord]:
    entries: dict[str, MoodWord] = {}
    for item in block.replace("\n", "|").split("|"):
        parts = item.split()
        if len(parts) < 3:
            continue
        *words, valence, arousal = parts
        entries[" ".join(words)] = MoodWord(int(valence) / 100, int(arousal) / 100, weight)
    return entries


def _sections(text: str) -> dict[str, str]:
    """The file's sections by name ("[scene]" opens one), their comment lines left out."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        if line.startswith("[") and line.rstrip().endswith("]"):
            current = sections.setdefault(line.strip()[1:-1], [])
        elif current is not None and not line.startswith("#"):
            current.append(line)
    return {name: "\n".join(lines) for name, lines in sections.items()}


def build_lexicon(text: str | None = None) -> dict[str, MoodWord]:
    """Every entry by its word or two-word phrase, from the shipped file (or `text` in its
    format); a section SECTIONS does not name is an error, not ignored."""
    if text is None:
        text = resources.files("recsys").joinpath(LEXICON_FILE).read_text(encoding="utf-8")
    blocks = _sections(text)
    unknown = set(blocks) - {name for name, _ in SECTIONS}
    if unknown:
        raise ValueError(f"{LEXICON_FILE}: unknown sections {sorted(unknown)}")
    lexicon: dict[str, MoodWord] = {}
    for name, weight in SECTIONS:
        lexicon.update(_parse(blocks.get(name, ""), weight))
    return lexicon


LEXICON: dict[str, MoodWord] = build_lexicon()
