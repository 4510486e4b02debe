"""Different vibe, Calmer, More energy: a step to the neighbouring mood, said in the answer, and
songs that really move that way in the real catalog."""

from __future__ import annotations

from statistics import fmean

import pytest

from handlers.texts import worded
from recsys.models import AudioTraits, Caption, Recommendation
from recsys.mood_shift import SHIFTS, apply_shifts, different_vibe, shift_traits, step
from recsys.recommender import Recommender, RecommendRequest


def caption(description: str, valence: float, energy: float, *words: str) -> Caption:
    return Caption(
        description=description,
        mood_words=words,
        traits=AudioTraits(valence=valence, energy=energy, danceability=0.5, tempo_min=60,
                           tempo_max=90),
        source="vision",
        model="test-model",
    )  # fmt: skip


SAD = caption("A lonely figure at a rainy window, grey light.", 0.12, 0.18, "lonely", "gloomy")
PARTY = caption("Friends dancing at a birthday party, confetti.", 0.92, 0.93, "joyful", "wild")
CALM = caption("A misty lake at dawn, still water, pines.", 0.62, 0.15, "misty", "serene")


def test_a_step_lands_in_the_middle_of_the_next_band() -> None:
    assert step(0.12, +1) == pytest.approx(0.5)
    assert step(0.5, +1) == pytest.approx(5 / 6)
    assert step(0.5, -1) == pytest.approx(1 / 6)
    assert step(None, +1) == pytest.approx(5 / 6)  # no opinion: from the middle
    # At the edge it still moves toward the end, never back.
    assert step(0.9, +1) == pytest.approx(0.94) and step(0.97, +1) == pytest.approx(0.97)
    assert step(0.2, -1) == pytest.approx(0.06)


def test_different_vibe_goes_where_there_is_room() -> None:
    assert different_vibe(SAD.traits).name == "brighter"
    assert different_vibe(PARTY.traits).name == "moodier"
    assert different_vibe(AudioTraits()).name == "brighter"


def test_energy_steps_carry_the_texture_and_drop_the_old_tempo() -> None:
    calmer = shift_traits(PARTY.traits, SHIFTS["calmer"])
    assert calmer.energy == pytest.approx(0.5) and calmer.valence == PARTY.traits.valence
    assert calmer.danceability is not None and calmer.danceability < 0.5
    assert calmer.tempo_min is None and calmer.tempo_max is None
    livelier = shift_traits(CALM.traits, SHIFTS["more_energy"])
    assert livelier.energy == pytest.approx(0.5)
    assert livelier.danceability is not None and livelier.danceability > 0.5


def test_shifts_chain_and_say_the_last_one() -> None:
    traits, taken = apply_shifts(SAD.traits, ("different", "more_energy"))
    assert traits.valence == pytest.approx(0.5) and traits.energy == pytest.approx(0.5)
    assert taken == "more_energy"  # the text layer words it: "A take with more energy"
    assert apply_shifts(SAD.traits, ()) == (SAD.traits, "")
    assert apply_shifts(SAD.traits, ("sideways",)) == (SAD.traits, "")  # an unknown old button


def said(rec: Recommendation) -> str:
    """The answer's mood line as the text layer words it in English."""
    return worded(rec, "en").mood_line


def mean(rec: Recommendation, trait: str) -> float:
    return fmean(v for t in rec.tracks if (v := getattr(t, trait)) is not None)


async def test_different_vibe_on_a_sad_photo_is_a_brighter_take(
    catalog: dict[str, int], recommender: Recommender
) -> None:
    plain = await recommender.recommend(RecommendRequest(caption=SAD, top=5))
    brighter = await recommender.recommend(
        RecommendRequest(caption=SAD, top=5, shifts=("different",), variation=7)
    )
    assert said(brighter).startswith("A brighter take: ")
    assert "lonely" not in said(brighter) and "gloomy" not in said(brighter)
    assert brighter.traits.valence == pytest.approx(0.5)
    assert mean(brighter, "valence") > mean(plain, "valence") + 0.15


async def test_different_vibe_on_a_party_is_moodier(
    catalog: dict[str, int], recommender: Recommender
) -> None:
    plain = await recommender.recommend(RecommendRequest(caption=PARTY, top=5))
    moodier = await recommender.recommend(
        RecommendRequest(caption=PARTY, top=5, shifts=("different",))
    )
    assert said(moodier).startswith("A moodier take: ")
    assert mean(moodier, "valence") < mean(plain, "valence") - 0.15


async def test_calmer_and_more_energy_move_the_songs(
    catalog: dict[str, int], recommender: Recommender
) -> None:
    party = await recommender.recommend(RecommendRequest(caption=PARTY, top=5))
    calmer = await recommender.recommend(RecommendRequest(caption=PARTY, top=5, shifts=("calmer",)))
    assert said(calmer).startswith("A calmer take: ")
    assert mean(calmer, "energy") < mean(party, "energy") - 0.15
    lake = await recommender.recommend(RecommendRequest(caption=CALM, top=5))
    livelier = await recommender.recommend(
        RecommendRequest(caption=CALM, top=5, shifts=("more_energy",))
    )
    assert said(livelier).startswith("A take with more energy: ")
    assert mean(livelier, "energy") > mean(lake, "energy") + 0.15
