"""A rough mood estimate from a photo's pixels, used when the vision model cannot read it."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from PIL import Image

from recsys.models import AudioTraits, Caption

log = logging.getLogger(__name__)

# Statistics do not need detail; 128 px on the long side keeps this under a millisecond or two.
STATS_SIDE = 128
# Pixels say little about mood, so estimates stay near the middle instead of claiming extremes.
TRAIT_FLOOR = 0.25
TRAIT_CEILING = 0.75
# Hasler & Süsstrunk's colourfulness tops out near 110 for very vivid photos; scale to 0..1.
COLOURFULNESS_SCALE = 110.0


@dataclass(frozen=True)
class ImageStats:
    """Simple pixel statistics, each roughly in 0..1 (warmth in -1..1)."""

    brightness: float  # mean luma
    warmth: float  # mean red minus mean blue; >0 warm, <0 cool
    saturation: float  # mean chroma (max - min channel)
    colourfulness: float  # Hasler & Süsstrunk (2003), scaled
    contrast: float  # standard deviation of luma


def compute_stats(image: Image.Image) -> ImageStats:
    """Brightness, warmth, saturation, colourfulness and contrast of an RGB image."""
    small = image.convert("RGB")
    small.thumbnail((STATS_SIDE, STATS_SIDE), Image.Resampling.BOX)
    rgb = np.asarray(small, dtype=np.float32) / 255.0
    red, green, blue = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    luma = 0.299 * red + 0.587 * green + 0.114 * blue
    # Chroma (max - min), not HSV saturation, which explodes in near-black pixels.
    saturation = rgb.max(axis=2) - rgb.min(axis=2)
    rg = (red - green) * 255.0
    yb = (0.5 * (red + green) - blue) * 255.0
    colourfulness = np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean())
    return ImageStats(
        brightness=float(luma.mean()),
        warmth=float((red - blue).mean()),
        saturation=float(saturation.mean()),
        colourfulness=float(min(colourfulness / COLOURFULNESS_SCALE, 1.0)),
        contrast=float(luma.std()),
    )


def _squeeze(value: float) -> float:
    """Map 0..1 onto the moderate band, clamping anything outside."""
    clamped = min(max(value, 0.0), 1.0)
    return round(TRAIT_FLOOR + (TRAIT_CEILING - TRAIT_FLOOR) * clamped, 3)


def estimate_traits(stats: ImageStats) -> AudioTraits:
    """Target audio traits from pixels; deliberately moderate (0.25..0.75)."""
    # Valdez & Mehrabian (1994): pleasure rises with brightness and saturation; arousal rises
    # with saturation and falls with brightness. Warmth and contrast add a little on top.
    pleasure = 0.69 * stats.brightness + 0.22 * stats.saturation + 0.5 * stats.warmth
    arousal = 0.60 * stats.saturation - 0.31 * stats.brightness + 0.8 * stats.contrast
    valence = _squeeze((pleasure - 0.15) / 0.6)
    energy = _squeeze((arousal + 0.05) / 0.45)
    return AudioTraits(
        valence=valence,
        energy=energy,
        danceability=_squeeze(0.5 * (valence + energy) + 0.3 * (stats.colourfulness - 0.3)),
        acousticness=_squeeze(1.0 - energy - 0.3 * (stats.colourfulness - 0.3)),
        tempo_min=round(70 + 50 * energy),
        tempo_max=round(100 + 60 * energy),
    )


def mood_words(stats: ImageStats) -> tuple[str, ...]:
    """A few honest words for what the pixels show (no claims about the scene)."""
    words = []
    if stats.brightness < 0.3:
        words.append("dark")
    elif stats.brightness > 0.62:
        words.append("bright")
    if stats.saturation < 0.18 and stats.colourfulness < 0.25:
        words.append("muted")
    elif stats.saturation > 0.45 or stats.colourfulness > 0.5:
        words.append("vivid")
    if stats.warmth > 0.06:
        words.append("warm")
    elif stats.warmth < -0.04:
        words.append("cool")
    if stats.contrast < 0.12:
        words.append("soft")
    elif stats.contrast > 0.3:
        words.append("high-contrast")
    return tuple(words)


def caption_from_stats(stats: ImageStats) -> Caption:
    """A fallback Caption built only from pixel statistics."""
    words = mood_words(stats)
    traits = estimate_traits(stats)
    themes = ("calm",) if (traits.energy or 0.5) < 0.4 else ()
    described = ", ".join(words) if words else "balanced"
    return Caption(
        description=f"A {described} photo (read from its colours only).",
        mood_words=words,
        themes=themes,
        traits=traits,
        source="image-stats",
    )
