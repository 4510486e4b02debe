"""Track enrichment: mood words from audio features, theme tags, and the text that is embedded.

INTERIM VERSION: the interface is fixed; the mood vocabulary and the theme classifier are being
built out (see recsys/track_moods.py and recsys/themes.py when they land).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from recsys.embedder import Embedder
from recsys.models import TrackFeatures


@dataclass(frozen=True)
class TrackInfo:
    """What an import or a library sync knows about a track before enrichment."""

    spotify_id: str
    title: str
    artists: tuple[str, ...]
    album: str | None = None
    popularity: int | None = None
    release_year: int | None = None
    genres: tuple[str, ...] = ()
    features: TrackFeatures = field(default_factory=TrackFeatures)
    lyrics_themes: tuple[str, ...] = ()


@dataclass(frozen=True)
class EnrichedTrack:
    """A track with its derived mood words, theme tags, embedded text and embedding."""

    info: TrackInfo
    mood_words: tuple[str, ...]
    theme_tags: tuple[str, ...]
    text: str
    embedding: np.ndarray


class TrackEnricher:
    """Derives mood words and theme tags and embeds a mood-carrying text, in one embedding pass."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def describe(self, info: TrackInfo) -> tuple[tuple[str, ...], str]:
        """The track's mood words and the text to embed for it."""
        words: list[str] = []
        f = info.features
        if f.valence is not None:
            words.append(
                "happy" if f.valence > 0.6 else "sad" if f.valence < 0.35 else "bittersweet"
            )
        if f.energy is not None:
            words.append(
                "energetic" if f.energy > 0.65 else "calm" if f.energy < 0.35 else "steady"
            )
        mood = tuple(words)
        text = f"{info.title} by {', '.join(info.artists)}."
        if mood:
            text += " Mood: " + ", ".join(mood) + "."
        return mood, text

    def enrich(self, infos: list[TrackInfo]) -> list[EnrichedTrack]:
        """Enrich a batch (blocking: call it off the event loop)."""
        described = [self.describe(info) for info in infos]
        vectors = self.embedder.embed_texts([text for _, text in described])
        return [
            EnrichedTrack(info, mood, (), text, vector)
            for info, (mood, text), vector in zip(infos, described, vectors, strict=True)
        ]
