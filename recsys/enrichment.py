"""Track enrichment: mood words from audio features, theme tags, and the text that is embedded.

The embedded text carries mood ("Title by Artist (Album). melancholic, quiet, acoustic, slow.
themes: sadness, calm."), in the same vocabulary MoodReader uses for photos and words, so a
caption's embedding lands near tracks of its mood. Theme tags reuse each track's own
embedding: enrichment costs one embedding pass.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import numpy as np

from recsys.embedder import Embedder
from recsys.models import THEMES, TrackInfo
from recsys.themes import LYRICS_BONUS, ThemeTagger, pick_tags, rule_scores
from recsys.track_moods import describe_features

log = logging.getLogger(__name__)

# Bumped whenever the embedded text changes, so an import re-embeds stored tracks.
ENRICHMENT_VERSION = "2"
# Long titles (classical movements, medleys) would crowd the mood words out of the text.
MAX_TITLE_CHARS = 120
MAX_ARTISTS = 3


@dataclass(frozen=True)
class EnrichedTrack:
    """A track with its derived mood words, theme tags, embedded text and embedding."""

    info: TrackInfo
    mood_words: tuple[str, ...]
    theme_tags: tuple[str, ...]
    text: str
    embedding: np.ndarray
    # what tracks.content_hash holds for this embedding (TrackEnricher.content_hash)
    content_hash: str


def as_stored(info: TrackInfo) -> TrackInfo:
    """The track with its audio features at the precision the tracks table keeps (real).

    A text described from a catalog file and one described again from the stored row must be
    the same (so must their content hash): thresholds such as energy 0.2 sit exactly on values
    that float32 moves by a hair, which flips ties between themes.
    """
    f = info.features
    stored: dict[str, Any] = {
        spec.name: float(np.float32(value))
        for spec in fields(f)
        if isinstance(value := getattr(f, spec.name), float)
    }
    return replace(info, features=replace(f, **stored)) if stored else info


def text_themes(info: TrackInfo) -> tuple[str, ...]:
    """Themes known before embedding (features and lyrics), as written into the text."""
    known = [t for t in info.lyrics_themes if t in THEMES]
    f = info.features
    if f.valence is None and f.energy is None:
        return tuple(dict.fromkeys(known))
    scores = rule_scores(f)
    for theme in known:
        scores[theme] += LYRICS_BONUS
    return pick_tags(scores)


def track_text(info: TrackInfo, mood: tuple[str, ...], themes: tuple[str, ...]) -> str:
    """The mood-carrying text embedded for a track."""
    title = info.title.strip()[:MAX_TITLE_CHARS]
    artists = ", ".join(a.strip() for a in info.artists[:MAX_ARTISTS] if a.strip())
    text = f"{title} by {artists}" if artists else title
    album = (info.album or "").strip()
    if album and album.casefold() != title.casefold():
        text += f" ({album[:MAX_TITLE_CHARS]})"
    text += "."
    if mood:
        text += " " + ", ".join(mood) + "."
    if themes:
        text += " themes: " + ", ".join(themes) + "."
    if info.genres:
        text += " genre: " + ", ".join(info.genres[:MAX_ARTISTS]) + "."
    return text


class TrackEnricher:
    """Derives mood words and theme tags and embeds a mood-carrying text, in one embedding pass."""

    version = ENRICHMENT_VERSION

    def __init__(
        self,
        embedder: Embedder,
        tagger: ThemeTagger | None = None,
        theme_classifier: str = "embedding",
        bart_model: str = "facebook/bart-large-mnli",
    ) -> None:
        self.embedder = embedder
        self.tagger = tagger or ThemeTagger(embedder, theme_classifier, bart_model)

    @property
    def fingerprint(self) -> str:
        """What besides the text decides an embedding: the model and the enrichment version."""
        model = Path(self.embedder.model_name)
        # A bundled model's absolute path moves with the virtualenv; its last parts do not.
        model_id = "/".join(model.parts[-2:]) if model.is_absolute() else str(model)
        return f"{model_id}|enrichment {self.version}"

    def content_hash(self, text: str) -> str:
        """The tracks.content_hash of an embedded text: equal hashes mean an equal embedding.

        Every writer of tracks takes it from here, so a track embedded by one (a library sync)
        is not embedded again by another (a catalog import) when its text is the same.
        """
        return hashlib.blake2b(f"{self.fingerprint}\n{text}".encode(), digest_size=16).hexdigest()

    def describe(self, info: TrackInfo) -> tuple[tuple[str, ...], str]:
        """The track's mood words and the text to embed for it."""
        info = as_stored(info)
        mood = describe_features(info.features)
        return mood, track_text(info, mood, text_themes(info))

    def enrich(self, infos: list[TrackInfo]) -> list[EnrichedTrack]:
        """Enrich a batch (blocking: call it off the event loop)."""
        if not infos:
            return []
        described = [self.describe(info) for info in infos]
        texts = [text for _, text in described]
        vectors = self.embedder.embed_texts(texts)
        classified: list[dict[str, float] | None] = [None] * len(infos)
        classified = list(self.tagger.classify_texts(texts) or classified)
        enriched = []
        for info, (mood, text), vector, zero_shot in zip(
            infos, described, vectors, classified, strict=True
        ):
            features = as_stored(info).features
            tags = self.tagger.tag(features, vector, info.lyrics_themes, zero_shot)
            enriched.append(EnrichedTrack(info, mood, tags, text, vector, self.content_hash(text)))
        return enriched
