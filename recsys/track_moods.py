"""What a track's audio features mean to a listener, in the words people use for moods.

The same words describe a photo's mood (recsys.mood_reader uses `mood_words_for`), so the
embedded texts of tracks and of captions share one vocabulary.
"""

from __future__ import annotations

import logging
import math

from recsys.models import TrackFeatures

log = logging.getLogger(__name__)

# Spotify's own guidance: speechiness above 0.66 is mostly spoken word, 0.33-0.66 rap-like.
SPEECHY = 0.33
# Spotify's guidance: instrumentalness above 0.5 is meant to be an instrumental track.
INSTRUMENTAL = 0.5
# Below this energy an instrumental track is background calm rather than sad.
AMBIENT_ENERGY = 0.3
# Liveness above 0.8 means the track was very likely recorded live.
LIVE = 0.8
# Tempo bands (BPM) that listeners hear as slow and fast.
SLOW_BPM = 85.0
FAST_BPM = 140.0
# At most this many words per track, so the embedded text stays about mood, not a word list.
MAX_WORDS = 7


# Mood words by band: a value below a band's upper edge takes the band's words (the last band
# has no upper edge).
VALENCE_BANDS: tuple[tuple[float, tuple[str, ...]], ...] = (
    (0.2, ("melancholic", "sad")),
    (0.35, ("sad", "moody")),
    (0.5, ("bittersweet",)),
    (0.7, ("warm",)),
    (0.85, ("happy", "cheerful")),
    (math.inf, ("joyful", "happy")),
)
ENERGY_BANDS: tuple[tuple[float, tuple[str, ...]], ...] = (
    (0.2, ("quiet", "still")),
    (0.4, ("calm", "gentle")),
    (0.6, ("steady",)),
    (0.8, ("energetic", "lively")),
    (math.inf, ("intense", "loud")),
)


def _band_words(value: float, bands: tuple[tuple[float, tuple[str, ...]], ...]) -> list[str]:
    """The words of the first band whose upper edge is above `value` (the last band's for a
    value no band holds, such as NaN)."""
    return list(next((words for upper, words in bands if value < upper), bands[-1][1]))


def _valence_words(valence: float) -> list[str]:
    return _band_words(valence, VALENCE_BANDS)


def _energy_words(energy: float) -> list[str]:
    return _band_words(energy, ENERGY_BANDS)


def _quadrant_words(valence: float, energy: float) -> list[str]:
    """Words that only the pair of valence and energy implies."""
    if valence < 0.35 and energy < 0.4:
        return ["lonely"]
    if valence < 0.35 and energy > 0.7:
        return ["angry", "dark"]
    if valence > 0.7 and energy > 0.7:
        return ["euphoric", "upbeat"]
    if valence > 0.6 and energy < 0.4:
        return ["peaceful", "serene"]
    if valence > 0.55 and energy > 0.6:
        return ["upbeat"]
    return []


def mood_words_for(valence: float | None, energy: float | None) -> list[str]:
    """Mood words for a valence/energy pair; either may be unknown."""
    words: list[str] = []
    if valence is not None and energy is not None:
        words += _quadrant_words(valence, energy)
    by_valence = _valence_words(valence) if valence is not None else []
    by_energy = _energy_words(energy) if energy is not None else []
    # The more extreme of the two is what a listener notices first.
    if abs((energy or 0.5) - 0.5) > abs((valence or 0.5) - 0.5):
        return _unique(words + by_energy + by_valence)
    return _unique(words + by_valence + by_energy)


def _is_ambient(f: TrackFeatures) -> bool:
    """Quiet instrumental music: Spotify scores it low in valence, listeners hear it as calm."""
    quiet = f.energy is not None and f.energy < AMBIENT_ENERGY
    return quiet and (f.instrumentalness or 0.0) > INSTRUMENTAL


def _texture_words(f: TrackFeatures) -> list[str]:
    words: list[str] = []
    if f.danceability is not None and f.danceability > 0.72:
        words.append("danceable")
    if f.acousticness is not None:
        if f.acousticness > 0.7:
            calm = f.energy is not None and f.energy < 0.35
            words += ["acoustic", "intimate"] if calm else ["acoustic"]
        elif f.acousticness < 0.1 and (f.energy or 0.0) > 0.6:
            words.append("electronic")
    if f.instrumentalness is not None and f.instrumentalness > INSTRUMENTAL:
        words.append("instrumental")
    if f.speechiness is not None and f.speechiness > SPEECHY:
        words.append("rap" if f.speechiness < 0.66 else "spoken")
    if f.liveness is not None and f.liveness > LIVE:
        words.append("live")
    return words


def _tempo_words(tempo: float | None) -> list[str]:
    # Spotify reports 0 when it could not find a beat; that says nothing about speed.
    if tempo is None or tempo <= 0:
        return []
    if tempo < SLOW_BPM:
        return ["slow"]
    if tempo > FAST_BPM:
        return ["fast"]
    return []


def describe_features(features: TrackFeatures) -> tuple[str, ...]:
    """Mood words for a track's audio features; missing features give fewer words."""
    core = mood_words_for(features.valence, features.energy)
    if _is_ambient(features):
        core = ["calm", "ambient", *[w for w in core if w not in ("lonely", "sad")]]
    extra = _texture_words(features) + _tempo_words(features.tempo)
    # The first words of the core carry the strongest signal; texture words follow.
    words = _unique(core[:4] + extra + core[4:])
    return tuple(words[:MAX_WORDS])


def _unique(words: list[str]) -> list[str]:
    return list(dict.fromkeys(words))
