"""The shipped mood model file: it loads, has the expected shapes and names its licence."""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pytest

from recsys.mood_model import FEATURES, MODEL_FILE, MoodModel, MoodModelError

ROOT = Path(__file__).resolve().parent.parent


def test_shipped_model_loads_with_expected_shapes() -> None:
    model = MoodModel.load()
    assert model.sentence_weights.shape == (384, 2)
    assert model.sentence_bias.shape == (2,)
    assert model.word_values.shape == (len(model.word_index), 2)
    assert len(model.word_index) > 10_000
    for name in ("feature_mean", "feature_scale", "blend", "blend_short"):
        assert getattr(model, name).shape == (len(FEATURES), 2), name
    assert np.isfinite(model.word_values).all() and (model.feature_scale > 0).all()
    # small enough to ship in the package
    assert MODEL_FILE.stat().st_size < 1_000_000


def test_word_table_orders_feeling_words() -> None:
    model = MoodModel.load()
    joy, grief = model.word("joy"), model.word("grief")
    riot, nap = model.word("riot"), model.word("nap")
    assert joy is not None and grief is not None and riot is not None and nap is not None
    assert joy[0] > grief[0]
    assert riot[1] > nap[1]


def test_word_table_reads_scene_nouns() -> None:
    """Photo themes are mostly nouns: the table orders plain ones as people would."""
    model = MoodModel.load()

    def read(word: str) -> np.ndarray:
        values = model.word(word)
        assert values is not None, word
        return values

    for pleasant, unpleasant in (("wedding", "funeral"), ("meadow", "cemetery"), ("puppy", "gun")):
        assert read(pleasant)[0] > read(unpleasant)[0], (pleasant, unpleasant)
    for busy, still in (("crowd", "meadow"), ("storm", "meadow")):
        assert read(busy)[1] > read(still)[1], (busy, still)


def test_word_table_reads_everyday_nouns_as_people_rate_them() -> None:
    """Pleasant animals, people and places read above the table's median word, unpleasant ones
    below (the round-4 table read "kitten" and "mother" below it: EmoBank gives nouns no
    valence; labMT's ratings do)."""
    model = MoodModel.load()
    median = float(np.median(model.word_values[:, 0]))

    def valence(word: str) -> float:
        values = model.word(word)
        assert values is not None, word
        return float(values[0])

    for word in ("dog", "puppy", "kitten", "mother", "beach", "baby"):
        assert valence(word) > median, word
    for word in ("snake", "spider", "prison", "garbage", "funeral", "cemetery"):
        assert valence(word) < median, word


def test_a_missing_model_file_says_how_to_rebuild(tmp_path: Path) -> None:
    with pytest.raises(MoodModelError, match=r"training\.train_mood"):
        MoodModel.load(tmp_path / "absent.npz")


def test_a_model_of_the_wrong_shape_is_refused(tmp_path: Path) -> None:
    model = MoodModel.load()
    broken = tmp_path / "broken.npz"
    words = sorted(model.word_index, key=model.word_index.__getitem__)
    bad = MoodModel(**{**model.__dict__, "sentence_weights": np.zeros((10, 2), np.float32)})
    bad.save(broken, words)
    with pytest.raises(MoodModelError, match="sentence_weights"):
        MoodModel.load(broken)


def test_licence_and_attribution_ship_with_the_model() -> None:
    licence = (MODEL_FILE.parent / "LICENSE-mood-model.txt").read_text()
    assert "EmoBank" in licence and "CC BY-SA 4.0" in licence and "Buechel" in licence
    # the word table mixes in VADER's ratings (MIT: its notice must travel) and GloVe readings
    assert "Copyright (c) 2016 C.J. Hutto" in licence and "PDDL" in licence
    # and labMT 1.0's ratings (CC BY: the authors and the paper must be named)
    assert "labMT 1.0" in licence and "Dodds" in licence and "e26752" in licence
    readme = (ROOT / "README.md").read_text()
    assert "EmoBank" in readme and "CC BY-SA 4.0" in readme
    assert "VADER" in readme and "GloVe" in readme and "labMT" in readme
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"
    ]["recsys"]
    assert "data/*.npz" in package_data and "data/LICENSE-mood-model.txt" in package_data


def test_training_standardises_all_texts_as_the_model_does_one_by_one() -> None:
    from training.train_mood import Readings, standardised

    model = MoodModel.load()
    rng = np.random.default_rng(3)
    raw = rng.normal(0.5, 0.1, size=(6, len(FEATURES), 2)).astype(np.float32)
    raw[1, 1] = np.nan  # no table words
    raw[2, 2] = np.nan  # no lexicon words
    raw[3, 0] = np.nan  # no embedding: the word reading stands in
    raw[4, [0, 2]] = np.nan  # words only
    readings = Readings(raw, np.full(len(raw), 5))
    expected = np.stack([model.standardised(row) for row in raw])
    np.testing.assert_allclose(standardised(model, readings), expected, rtol=1e-6)
    assert not np.isnan(expected).any()


def _word_material(ft: np.ndarray | None = None):  # type: ignore[no-untyped-def]
    """The parts of train_mood.Material that the word-table mix reads, small and made up."""
    from types import SimpleNamespace

    rng = np.random.default_rng(5)
    known = np.array([True, True, False, True, True, False, True, True])
    return SimpleNamespace(
        vocabulary_x=rng.normal(size=(len(known), 4)),
        vocabulary_g=np.where(known[:, None], rng.normal(size=(len(known), 3)), 0.0),
        glove_known=known,
        vocabulary_ft=ft,
    )


def test_word_table_mix_averages_the_two_ridge_readings() -> None:
    """Each word's two standardised readings averaged; a word GloVe lacks keeps its own."""
    from training.train_mood import Ridge, mixed_word_readings

    material = _word_material()
    heads = (
        Ridge(np.array([1.0, -2.0, 0.5, 0.0]), 0.5),
        Ridge(np.array([0.0, 1.0, 1.0, 3.0]), 0.4),
    )
    vectors = (Ridge(np.array([1.0, 1.0, -1.0]), 0.0), Ridge(np.array([2.0, 0.0, 1.0]), 1.0))
    table = mixed_word_readings(material, heads, vectors)
    known = material.glove_known
    for column in range(2):
        own = heads[column](material.vocabulary_x)
        other = vectors[column](material.vocabulary_g[known])
        z_own = (own - own.mean()) / own.std()
        z_other = z_own.copy()
        z_other[known] = (other - other.mean()) / other.std()
        mixed = (z_own + z_other) / 2
        expected = own.mean() + own.std() * mixed / mixed.std()
        np.testing.assert_allclose(table[:, column], expected, rtol=1e-12)


def test_word_table_mix_can_take_the_fine_tuned_reading_in_place_of_the_heads() -> None:
    """With no GloVe reading, a fine-tuned reading in place of the heads' sets the order alone,
    on the heads' scale."""
    from training.train_mood import Ridge, mixed_word_readings

    ft = np.random.default_rng(6).normal(size=(8, 2))
    material = _word_material(ft)
    heads = (
        Ridge(np.array([1.0, -2.0, 0.5, 0.0]), 0.5),
        Ridge(np.array([0.0, 1.0, 1.0, 3.0]), 0.4),
    )
    table = mixed_word_readings(material, heads, None, "replace")
    for column in range(2):
        own = heads[column](material.vocabulary_x)
        z = (ft[:, column] - ft[:, column].mean()) / ft[:, column].std()
        np.testing.assert_allclose(table[:, column], own.mean() + own.std() * z, rtol=1e-12)


# labMT 1.0's layout (word, rank, mean happiness, sd, corpus ranks); made-up words and numbers.
LABMT_SAMPLE = """word\thappiness_rank\thappiness_average\thappiness_sd\ttwitter_rank
glimmerberry\t1\t9.00\t0.5\t--
sadmoss\t2\t1.00\t0.5\t12
ok\t3\t5.00\t1.0\t--
café\t4\t7.00\t1.0\t--
Middling\t5\t5.00\t1.0\t--
"""


def test_labmt_ratings_are_read_as_minus_one_to_one() -> None:
    from training.train_mood import parse_labmt

    # 9 -> +1, 1 -> -1, 5 -> 0; words of under 3 letters or not plain ASCII letters are left out
    assert parse_labmt(LABMT_SAMPLE) == {"glimmerberry": 1.0, "sadmoss": -1.0, "middling": 0.0}


def _rated_material():  # type: ignore[no-untyped-def]
    """Five made-up words: two rated by VADER, two by labMT (one by both), one by neither."""
    from types import SimpleNamespace

    words = ["alpha", "bravo", "charlie", "delta", "echo"]
    return SimpleNamespace(
        vocabulary=words,
        vocabulary_x=np.eye(5)[:, :4] + 0.1,
        vader={"alpha": 0.5, "bravo": -0.5},
        labmt={"bravo": 0.25, "charlie": 0.75, "delta": -0.25},
    )


def test_rated_words_take_their_share_of_the_peoples_ratings() -> None:
    """A rated word's valence moves its source's share toward the rating put on the table's
    scale; a word both rate takes the mean share and rating; an unrated word and arousal stay."""
    from training.train_mood import Ridge, base_model

    material = _rated_material()
    valence = Ridge(np.array([0.3, -0.2, 0.1, 0.4]), 0.5)
    arousal = Ridge(np.array([0.1, 0.1, -0.3, 0.2]), 0.4)
    read = valence(material.vocabulary_x)

    def on_scale(words: list[str], ratings: dict[str, float]) -> dict[str, float]:
        idx = [material.vocabulary.index(w) for w in words]
        given = np.array([ratings[w] for w in words])
        own = read[idx]
        scaled = own.mean() + own.std() * (given - given.mean()) / given.std()
        return dict(zip(words, scaled, strict=True))

    vader = on_scale(["alpha", "bravo"], material.vader)
    labmt = on_scale(["bravo", "charlie", "delta"], material.labmt)
    model = base_model(material, valence, arousal, 0.25, None, "", 0.5)
    expected = read.copy()
    expected[0] = 0.75 * read[0] + 0.25 * vader["alpha"]
    expected[1] = 0.625 * read[1] + 0.375 * (vader["bravo"] + labmt["bravo"]) / 2
    expected[2] = 0.5 * read[2] + 0.5 * labmt["charlie"]
    expected[3] = 0.5 * read[3] + 0.5 * labmt["delta"]
    np.testing.assert_allclose(model.word_values[:, 0], expected, rtol=2e-3)
    np.testing.assert_allclose(model.word_values[:, 1], arousal(material.vocabulary_x), rtol=2e-3)
    # with no labMT share the table is VADER's alone, as in round 4
    vader_only = base_model(material, valence, arousal, 0.25, None, "", 0.0)
    assert vader_only.word_values[2, 0] == pytest.approx(read[2], rel=2e-3)
    assert vader_only.word_values[0, 0] == pytest.approx(expected[0], rel=2e-3)


def test_a_recipe_with_labmt_refuses_to_train_without_its_ratings() -> None:
    from types import SimpleNamespace

    from training.train_mood import Recipe, candidates

    material = SimpleNamespace(labmt={})
    with pytest.raises(RuntimeError, match="labMTsimple"):
        candidates(material, Recipe(labmt=True))  # type: ignore[arg-type]
