"""The query: a caption and the user's words fused into one text embedding and a ranking plan."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from recsys.embedder import Embedder
from recsys.models import TRAIT_NAMES, AudioTraits, Caption, MoodLine, MoodReading, Scene
from recsys.mood_reader import MoodReader
from recsys.mood_shift import apply_shifts
from recsys.ranking import W_SEMANTIC, RankingPlan
from recsys.steering import Steering, parse_steering
from recsys.track_moods import mood_words_for

# How far a user's own words pull the target away from the photo: at least this much, and
# up to WORDS_PULL_MAX when the words say a lot about mood.
WORDS_PULL_MIN = 0.35
WORDS_PULL_MAX = 0.75
# A "different vibe" leans less on the text match, so other corners of the mood get a turn.
VARIATION_SEMANTIC_WEIGHT = 0.1
MAX_MOOD_WORDS = 6
MOOD_LINE_CHARS = 160
# Nouns worth naming in a reason ("like the misty lake"); checked in the caption's text.
SCENE_NOUNS = (
    "lake beach ocean sea river waterfall forest woods mountain mountains desert field meadow "
    "garden park city street skyline night sunset sunrise sky rain snow storm fog mist road "
    "highway bridge party concert crowd stage club bar cafe kitchen room bedroom wedding "
    "birthday festival friends family couple dog puppy cat kitten bird horse flowers fire "
    "candle train car bike harbor island countryside village temple church graveyard"
).split()


@dataclass(frozen=True)
class MoodQuery:
    """What the candidate search and the ranker need for one request."""

    text: str
    embedding: np.ndarray
    plan: RankingPlan
    mood_words: tuple[str, ...]
    mood_line: MoodLine
    steering: Steering


def build_query(
    caption: Caption | None,
    words: str,
    reader: MoodReader,
    embedder: Embedder,
    variation: int = 0,
    shifts: tuple[str, ...] = (),
) -> MoodQuery:
    """Fuse photo and words into a query (blocking: one embedding call for both texts);
    `shifts` then step the target to neighbouring moods ("brighter", "calmer"...)."""
    words = words.strip()
    steering = parse_steering(words)
    caption_words = _mood_words(
        caption, MoodReading(), caption.traits if caption else AudioTraits()
    )
    caption_themes = _themes(caption, MoodReading(), steering)
    text = _query_text(caption, words, caption_words, caption_themes, steering)
    # The query text and the user's words go through the model in one batch; with no photo
    # the query text is the words themselves, embedded once.
    vectors = embedder.embed_texts([text, words] if words and words != text else [text])
    reading = reader.read_embedded(words, vectors[-1]) if words else MoodReading()
    target, shifted = apply_shifts(steering.apply(_fuse(caption, reading)), shifts)
    themes = _themes(caption, reading, steering)
    # A shifted mood is no longer the photo's: its words come from the new target alone.
    mood_words = _mood_words(None if shifted else caption, reading, target)
    plan = RankingPlan(
        target=target,
        themes=themes,
        scene=_scene(caption),
        want_trending=steering.want_trending,
        exclude_sad=steering.exclude_sad,
        genres=steering.genres,
        year_range=steering.year_range,
        semantic_weight=VARIATION_SEMANTIC_WEIGHT if variation else W_SEMANTIC,
        variation=variation,
    )
    return MoodQuery(
        text, vectors[0], plan, mood_words, _mood_line(caption, mood_words, shifted), steering
    )


def _fuse(caption: Caption | None, reading: MoodReading) -> AudioTraits:
    """The photo's traits pulled toward the words' traits by how much the words say."""
    base = caption.traits if caption is not None else AudioTraits()
    pull = WORDS_PULL_MIN + (WORDS_PULL_MAX - WORDS_PULL_MIN) * reading.confidence
    fused: dict[str, float | None] = {}
    for name in (*TRAIT_NAMES, "tempo_min", "tempo_max"):
        photo, said = getattr(base, name), getattr(reading.traits, name)
        if photo is None or said is None:
            fused[name] = said if photo is None else photo
        else:
            fused[name] = (1 - pull) * photo + pull * said
    return AudioTraits(**fused)


def _themes(caption: Caption | None, reading: MoodReading, steering: Steering) -> tuple[str, ...]:
    themes = list(reading.themes) + list(caption.themes if caption else ())
    return tuple(t for t in dict.fromkeys(themes) if t not in steering.avoid_themes)[:4]


def _mood_words(
    caption: Caption | None, reading: MoodReading, target: AudioTraits
) -> tuple[str, ...]:
    found = list(reading.mood_words) + list(caption.mood_words if caption else ())
    if target.valence is not None or target.energy is not None:
        found += mood_words_for(target.valence, target.energy)
    return tuple(dict.fromkeys(w.lower() for w in found if w))[:MAX_MOOD_WORDS]


def _query_text(
    caption: Caption | None,
    words: str,
    mood_words: tuple[str, ...],
    themes: tuple[str, ...],
    steering: Steering,
) -> str:
    parts: list[str] = []
    if caption is not None and caption.description:
        parts.append(caption.description)
    if words.strip():
        parts.append(words.strip())
    if mood_words:
        parts.append(", ".join(mood_words) + ".")
    if themes:
        parts.append("themes: " + ", ".join(themes) + ".")
    if steering.genres:
        parts.append("genre: " + ", ".join(steering.genres) + ".")
    return " ".join(parts)


def _scene(caption: Caption | None) -> Scene | None:
    """The first scene noun the caption names ("lake") with a mood word for it ("misty")."""
    if caption is None or caption.source == "image-stats" or not caption.description:
        return None
    tokens = re.findall(r"[a-z]+", caption.description.lower())
    for noun in tokens:
        if noun in SCENE_NOUNS:
            adjective = next((w for w in caption.mood_words if " " not in w), "")
            return Scene(noun, adjective)
    return None


def _mood_line(caption: Caption | None, mood_words: tuple[str, ...], shifted: str) -> MoodLine:
    """The values of the answer's first line: a shifted mood is no longer the photo's, so it
    carries no description."""
    if shifted or caption is None or not caption.description:
        return MoodLine(mood_words[:3], "", shifted)
    description = caption.description.strip()
    if len(description) > MOOD_LINE_CHARS:
        description = description[: MOOD_LINE_CHARS - 1].rsplit(" ", 1)[0] + "…"
    return MoodLine(mood_words[:3], description)
