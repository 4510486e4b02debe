"""Enrichment: the embedded track text carries mood, so captions find tracks of their mood."""

from __future__ import annotations

import numpy as np
import pytest

from recsys.embedder import Embedder
from recsys.enrichment import TrackEnricher
from recsys.models import TrackFeatures, TrackInfo
from recsys.mood_reader import MoodReader

SAD = TrackFeatures(valence=0.1, energy=0.2, acousticness=0.9, tempo=70.0)
PARTY = TrackFeatures(valence=0.9, energy=0.9, danceability=0.85, acousticness=0.02, tempo=128.0)


@pytest.fixture(scope="module")
def enricher(embedder: Embedder) -> TrackEnricher:
    return TrackEnricher(embedder)


def test_text_carries_title_artist_album_mood_and_themes(enricher: TrackEnricher) -> None:
    info = TrackInfo("4" * 22, "Paper Boats", ("Ana", "Ben"), album="Harbour", features=SAD)
    mood, text = enricher.describe(info)
    assert text.startswith("Paper Boats by Ana, Ben (Harbour).")
    assert "melancholic" in mood and "acoustic" in mood and "slow" in mood
    assert ", ".join(mood) in text and "themes: " in text and "sadness" in text


def test_track_without_features_is_still_enriched(enricher: TrackEnricher) -> None:
    info = TrackInfo("5" * 22, "Unknown Song", ("Nobody",), album="Unknown Song",
                     lyrics_themes=("romance",))  # fmt: skip
    [track] = enricher.enrich([info])
    assert track.mood_words == ()
    assert track.text == "Unknown Song by Nobody. themes: romance."
    assert track.embedding.shape == (384,)
    assert abs(float(np.linalg.norm(track.embedding)) - 1.0) < 1e-3
    assert "romance" in track.theme_tags and len(track.theme_tags) >= 2


def test_empty_batch_embeds_nothing(enricher: TrackEnricher) -> None:
    assert enricher.enrich([]) == []


def test_caption_lands_nearer_tracks_of_its_mood(
    enricher: TrackEnricher, embedder: Embedder
) -> None:
    sad, party = enricher.enrich([
        TrackInfo("6" * 22, "Blue", ("Artist A",), features=SAD),
        TrackInfo("7" * 22, "Gold", ("Artist B",), features=PARTY),
    ])  # fmt: skip
    reader = MoodReader(embedder)
    for caption, near, far in (
        ("A lone figure sits on a bench in the rain at night, melancholy.", sad, party),
        ("Friends dancing at a lively night party, pure joy.", party, sad),
    ):
        words = " ".join(reader.read(caption).mood_words)
        query = embedder.embed_texts([f"{caption} {words}"])[0]
        assert float(query @ near.embedding) > float(query @ far.embedding), caption


def test_enricher_declares_its_version(enricher: TrackEnricher) -> None:
    assert enricher.version == "2"
