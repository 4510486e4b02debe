"""MoodReader: words and vision-model prose read into the mood a listener would expect."""

from __future__ import annotations

import csv
import statistics
from pathlib import Path

import numpy as np
import pytest

from recsys.embedder import Embedder
from recsys.models import THEMES
from recsys.mood_reader import LIMITS, MoodReader

# Phi 14B and Gemma 3 12B answered these photos with scenes they never saw ("I'm unable to
# view images ... imagine a serene forest glade"), so their captions cannot order the photos.
HALLUCINATING_MODELS = {"Phi_14B", "Gemma3_12B"}


class CountingEmbedder:
    """The real embedder, counting how many embedding calls a reader makes."""

    def __init__(self, real: Embedder) -> None:
        self.real = real
        self.calls = 0

    def embed_texts(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        return self.real.embed_texts(texts)


@pytest.fixture(scope="module")
def reader(embedder: Embedder) -> MoodReader:
    mood_reader = MoodReader(embedder)
    mood_reader.warm()
    return mood_reader


def test_lonely_rainy_evening_reads_sad_and_quiet(reader: MoodReader) -> None:
    reading = reader.read("a lonely rainy evening, empty street")
    assert reading.traits.valence is not None and reading.traits.valence < 0.35
    assert reading.traits.energy is not None and reading.traits.energy < 0.4
    assert "lonely" in reading.mood_words
    assert "sadness" in reading.themes


def test_birthday_party_reads_happy_and_loud(reader: MoodReader) -> None:
    reading = reader.read("birthday party with friends dancing")
    assert reading.traits.valence is not None and reading.traits.valence > 0.7
    assert reading.traits.energy is not None and reading.traits.energy > 0.7
    assert reading.traits.danceability is not None and reading.traits.danceability > 0.65
    assert "party" in reading.themes


def test_calm_misty_lake_reads_pleasant_and_still(reader: MoodReader) -> None:
    reading = reader.read("calm misty lake at dawn")
    party = reader.read("birthday party with friends dancing")
    assert reading.traits.valence is not None and reading.traits.valence > 0.5
    assert reading.traits.energy is not None and reading.traits.energy < 0.4
    assert party.traits.energy is not None and reading.traits.energy + 0.25 < party.traits.energy
    assert party.traits.acousticness is not None and reading.traits.acousticness is not None
    assert reading.traits.acousticness > 0.5 > party.traits.acousticness
    assert {"calm", "nature", "meditation"} & set(reading.themes)


@pytest.mark.parametrize("words", ["peaceful meditation", "gentle and tranquil", "calm", "quiet"])
def test_a_calm_request_aims_at_calm_songs(reader: MoodReader, words: str) -> None:
    """Calm songs are quiet, acoustic and mostly instrumental (issue 23): so are the targets
    of a short calm request, and it does not read sad."""
    traits = reader.read(words).traits
    assert traits.energy is not None and traits.energy <= LIMITS.calm_energy_max <= 0.2
    assert traits.acousticness is not None and traits.acousticness >= 0.8
    assert traits.instrumentalness is not None and traits.instrumentalness >= 0.5
    assert traits.valence is not None and traits.valence > 0.4


def test_a_sad_request_aims_at_soft_sung_songs(reader: MoodReader) -> None:
    """People rate grief and tears as aroused; the catalog's sad songs are sung and soft."""
    for words in ("heartbroken and alone", "tears after the breakup"):
        traits = reader.read(words).traits
        assert traits.instrumentalness == LIMITS.sung <= 0.05, words
        assert traits.energy is not None and traits.energy <= LIMITS.sad_energy_max <= 0.4, words
        assert traits.valence is not None and traits.valence < 0.35, words


def test_a_calm_request_may_still_ask_for_voices(reader: MoodReader) -> None:
    assert reader.read("calm songs with vocals").traits.instrumentalness == LIMITS.sung
    # "still" is no calm word on its own: it is also an adverb
    assert reader.read("still in love with this city").traits.instrumentalness is None


def test_a_long_caption_naming_calm_in_passing_keeps_its_reading(reader: MoodReader) -> None:
    caption = (
        "A crowded stadium at night, fans cheering and jumping as fireworks burst overhead; "
        "only the far corner of the field looks calm and peaceful under the lights."
    )
    traits = reader.read(caption).traits
    assert traits.instrumentalness is None
    assert traits.energy is not None and traits.energy > 0.15


def test_negation_turns_the_mood_around(reader: MoodReader) -> None:
    happy = reader.read("I feel happy today")
    unhappy = reader.read("I do not feel happy today")
    assert unhappy.traits.valence is not None and happy.traits.valence is not None
    assert unhappy.traits.valence < 0.5 < happy.traits.valence
    assert "happy" not in unhappy.mood_words


def test_intensifiers_weigh_words(embedder: Embedder) -> None:
    lexicon_only = MoodReader(None)
    mostly_joy = lexicon_only.read("slightly sad but extremely joyful")
    mostly_sad = lexicon_only.read("extremely sad but slightly joyful")
    assert mostly_joy.traits.valence is not None and mostly_sad.traits.valence is not None
    assert mostly_joy.traits.valence > 0.6 and mostly_sad.traits.valence < 0.45


def test_inflected_words_are_found() -> None:
    reading = MoodReader(None).read("The kids were laughing and dancing happily")
    assert {"laugh", "dancing", "happy"} <= set(reading.mood_words)
    assert reading.traits.valence is not None and reading.traits.valence > 0.75


def test_empty_text_reads_no_traits(reader: MoodReader) -> None:
    for text in ("", "   "):
        reading = reader.read(text)
        assert reading.traits.valence is None and reading.traits.energy is None
        assert reading.confidence == 0.0 and reading.mood_words == ()


def test_scene_words_carry_arousal(reader: MoodReader) -> None:
    """Words without feelings in them still read as loud or quiet scenes."""
    energy = {
        scene: reader.read(f"A photo of a {scene}.").traits.energy
        for scene in ("storm", "crowd", "candle", "meadow")
    }
    assert all(value is not None for value in energy.values())
    assert min(energy["storm"], energy["crowd"]) > max(energy["candle"], energy["meadow"])  # type: ignore[type-var]


def test_boilerplate_carries_no_mood() -> None:
    reading = MoodReader(None).read(
        "Hey there, music lovers! The image captures a scene; this song would be perfect "
        "musical inspiration for a musician."
    )
    assert reading.traits.valence is None and reading.traits.energy is None
    assert reading.confidence == 0.0


def test_words_the_lexicon_lacks_are_read_through_the_embedding(reader: MoodReader) -> None:
    reading = reader.read("screaming crowd at a rave")
    assert reading.traits.energy is not None and reading.traits.energy > 0.6
    assert reading.confidence > 0


def test_sound_words_set_acoustic_and_instrumental_targets(reader: MoodReader) -> None:
    reading = reader.read("a quiet evening with instrumental piano")
    assert reading.traits.instrumentalness is not None and reading.traits.instrumentalness > 0.5
    assert reading.traits.acousticness is not None and reading.traits.acousticness >= 0.7
    assert reading.traits.tempo_max is not None and reading.traits.tempo_max <= 130


def test_read_many_embeds_once_and_matches_read(embedder: Embedder) -> None:
    counting = CountingEmbedder(embedder)
    reader = MoodReader(counting)  # type: ignore[arg-type]
    reader.warm()
    texts = ["a sunny beach party", "", "grief at a funeral"]
    before = counting.calls
    readings = reader.read_many(texts)
    assert counting.calls == before + 1
    assert readings[1].confidence == 0.0
    assert readings[0] == reader.read(texts[0])
    assert all(theme in THEMES for r in readings for theme in r.themes)


@pytest.mark.shared_data
def test_recorded_sad_captions_read_sadder_than_party_captions(
    reader: MoodReader, shared_data: Path
) -> None:
    with (shared_data / "vlm_captions_dev.csv").open(newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["vlm"] not in HALLUCINATING_MODELS]
    wanted = [r for r in rows if r["image"] in ("sadman.jpg", "nightparty.jpeg")]
    readings = reader.read_many([r["caption"] for r in wanted])
    by_model: dict[str, dict[str, tuple[float, float]]] = {}
    for row, reading in zip(wanted, readings, strict=True):
        assert reading.traits.valence is not None and reading.traits.energy is not None
        by_model.setdefault(row["vlm"], {})[row["image"]] = (
            reading.traits.valence,
            reading.traits.energy,
        )
    for model, photos in by_model.items():
        sad, party = photos["sadman.jpg"], photos["nightparty.jpeg"]
        assert sad[0] + 0.2 < party[0], model
        # LLaVA-Llama3's party caption is its calmest (energy 0.48 against the sad one's 0.30)
        assert sad[1] + 0.15 < party[1], model
    assert (
        statistics.mean(p["nightparty.jpeg"][1] - p["sadman.jpg"][1] for p in by_model.values())
        > 0.25
    )
    sad_valences = [p["sadman.jpg"][0] for p in by_model.values()]
    assert statistics.mean(sad_valences) < 0.45
