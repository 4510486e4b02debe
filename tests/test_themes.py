"""Theme tags: zero-shot from the track's own embedding plus feature rules; BART optional."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from recsys.embedder import Embedder
from recsys.enrichment import TrackEnricher
from recsys.models import THEMES, TrackFeatures, TrackInfo
from recsys.themes import ThemeClassifierError, ThemeTagger, load_bart_mnli, rule_scores

CALM = TrackFeatures(valence=0.55, energy=0.08, acousticness=0.95, instrumentalness=0.9,
                     danceability=0.2, tempo=70.0)  # fmt: skip
PARTY = TrackFeatures(valence=0.85, energy=0.92, danceability=0.88, acousticness=0.03,
                      tempo=126.0)  # fmt: skip
SAD = TrackFeatures(valence=0.08, energy=0.3, acousticness=0.7, danceability=0.35)


class FakeZeroShot:
    """Answers like transformers' zero-shot-classification pipeline, from a fixed ranking."""

    def __init__(self, favourite: str) -> None:
        self.favourite = favourite
        self.calls: list[dict[str, Any]] = []

    def __call__(self, texts: list[str], **kwargs: Any) -> list[dict[str, Any]]:
        self.calls.append({"texts": texts, **kwargs})
        labels = [self.favourite] + [t for t in kwargs["candidate_labels"] if t != self.favourite]
        scores = [0.97] + [0.01] * (len(labels) - 1)
        return [{"sequence": t, "labels": labels, "scores": scores} for t in texts]


@pytest.fixture(scope="module")
def enricher(embedder: Embedder) -> TrackEnricher:
    return TrackEnricher(embedder)


def _tags(enricher: TrackEnricher, title: str, artist: str, features: TrackFeatures) -> tuple:
    info = TrackInfo("0" * 22, title, (artist,), features=features)
    return enricher.enrich([info])[0].theme_tags


def test_clearly_calm_track_gets_calm_tags(enricher: TrackEnricher) -> None:
    tags = _tags(enricher, "Still Waters", "Quiet Harbour", CALM)
    assert 2 <= len(tags) <= 3
    assert {"calm", "meditation"} & set(tags)
    assert not {"party", "energy"} & set(tags)


def test_clearly_party_track_gets_party_tags(enricher: TrackEnricher) -> None:
    tags = _tags(enricher, "All Night Long", "Club Kids", PARTY)
    assert "party" in tags or "energy" in tags
    assert not {"calm", "meditation", "sadness"} & set(tags)


def test_sad_track_gets_sadness(enricher: TrackEnricher) -> None:
    assert "sadness" in _tags(enricher, "Empty Rooms", "Grey Sky", SAD)


def test_track_without_features_is_tagged_from_its_words(enricher: TrackEnricher) -> None:
    tags = _tags(enricher, "Dancing at the Summer Party", "DJ Sunny", TrackFeatures())
    assert len(tags) >= 2 and all(t in THEMES for t in tags)
    assert {"party", "energy", "friendship"} & set(tags)


def test_lyrics_themes_are_kept(enricher: TrackEnricher) -> None:
    info = TrackInfo(
        "1" * 22, "Letters", ("Someone",), features=PARTY, lyrics_themes=("nostalgia",)
    )
    assert "nostalgia" in enricher.enrich([info])[0].theme_tags


def test_rules_alone_follow_the_features() -> None:
    calm, party = rule_scores(CALM), rule_scores(PARTY)
    assert calm["calm"] > calm["party"] and party["party"] > party["calm"]
    assert set(rule_scores(TrackFeatures()).values()) == {0.0}


def test_hypotheses_are_embedded_once(embedder: Embedder) -> None:
    tagger = ThemeTagger(embedder)
    first = tagger.hypothesis_vectors()
    assert tagger.hypothesis_vectors() is first and first.shape == (len(THEMES), 384)


def test_bart_classifier_is_used_when_configured(embedder: Embedder) -> None:
    fake = FakeZeroShot("romance")
    tagger = ThemeTagger(embedder, classifier="bart-mnli", zero_shot=fake)
    enricher = TrackEnricher(embedder, tagger=tagger)
    tracks = enricher.enrich([TrackInfo("2" * 22, "Song", ("Band",), features=PARTY)])
    assert "romance" in tracks[0].theme_tags
    assert fake.calls and fake.calls[0]["candidate_labels"] == list(THEMES)
    assert fake.calls[0]["hypothesis_template"] == "This song is about {}."
    assert fake.calls[0]["texts"] == [tracks[0].text]


def test_missing_bart_weights_give_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ThemeClassifierError, match="MELODICLENS_THEME_CLASSIFIER=embedding"):
        load_bart_mnli("facebook/bart-large-mnli-not-on-this-machine")
    with pytest.raises(ThemeClassifierError, match="Cannot load the theme classifier"):
        load_bart_mnli(str(tmp_path))


def test_enrichment_with_bart_configured_but_absent_fails_clearly(embedder: Embedder) -> None:
    enricher = TrackEnricher(embedder, theme_classifier="bart-mnli",
                             bart_model="facebook/bart-large-mnli-absent")  # fmt: skip
    with pytest.raises(ThemeClassifierError, match="not on this machine"):
        enricher.enrich([TrackInfo("3" * 22, "Song", ("Band",))])
