"""The pixel-statistics fallback: honest words and moderate traits from colours alone."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from recsys.image_stats import caption_from_stats, compute_stats
from recsys.models import TRAIT_NAMES


def noisy(base: tuple[int, int, int], spread: int, size: int = 96) -> Image.Image:
    """A flat colour with a deterministic texture, so that contrast is not zero."""
    image = Image.new("RGB", (size, size))
    image.putdata(
        [
            tuple(
                min(255, max(0, c + ((x * 7 + y * 13) % (2 * spread + 1)) - spread)) for c in base
            )
            for y in range(size)
            for x in range(size)
        ]
    )
    return image


NIGHT_RAIN = noisy((25, 30, 45), 10)  # dark, blue-grey
BEACH_PARTY = noisy((250, 170, 40), 60)  # bright, saturated orange


def test_dark_cool_muted_photo_reads_as_such() -> None:
    caption = caption_from_stats(compute_stats(NIGHT_RAIN))
    assert caption.source == "image-stats"
    assert {"dark", "cool", "muted"} <= set(caption.mood_words)
    assert "bright" not in caption.mood_words
    assert caption.description.startswith("A dark")


def test_bright_warm_vivid_photo_reads_as_such() -> None:
    caption = caption_from_stats(compute_stats(BEACH_PARTY))
    assert {"bright", "warm", "vivid"} <= set(caption.mood_words)
    assert "dark" not in caption.mood_words


def test_bright_warm_photo_gets_happier_livelier_targets_than_a_dark_one() -> None:
    dark = caption_from_stats(compute_stats(NIGHT_RAIN)).traits
    bright = caption_from_stats(compute_stats(BEACH_PARTY)).traits
    assert dark.valence is not None and bright.valence is not None
    assert dark.energy is not None and bright.energy is not None
    assert bright.valence > dark.valence + 0.15
    assert bright.energy > dark.energy + 0.15
    assert dark.valence < 0.4 and dark.energy < 0.4
    assert (dark.tempo_max or 0) < (bright.tempo_max or 0)


@pytest.mark.parametrize(
    "image",
    [
        Image.new("RGB", (64, 64), (0, 0, 0)),
        Image.new("RGB", (64, 64), (255, 255, 255)),
        Image.new("RGB", (64, 64), (255, 0, 0)),
        Image.new("RGB", (64, 64), (0, 0, 255)),
        noisy((128, 128, 128), 127),
    ],
)
def test_estimates_stay_moderate_even_at_extremes(image: Image.Image) -> None:
    traits = caption_from_stats(compute_stats(image)).traits
    for name in TRAIT_NAMES:
        value = getattr(traits, name)
        assert value is None or 0.25 <= value <= 0.75, (name, value)
    assert traits.instrumentalness is None  # pixels say nothing about vocals


def test_grey_image_has_no_colour() -> None:
    stats = compute_stats(Image.new("RGB", (64, 64), (128, 128, 128)))
    assert stats.saturation == 0.0 and stats.colourfulness == 0.0 and stats.warmth == 0.0
    assert stats.brightness == pytest.approx(128 / 255, abs=0.01)


def test_real_photos_get_in_range_estimates(shared_data: Path) -> None:
    for path in sorted((shared_data / "photos").glob("*.jpg"))[:10]:
        with Image.open(path) as image:
            traits = caption_from_stats(compute_stats(image)).traits
        assert traits.valence is not None and 0.25 <= traits.valence <= 0.75
        assert traits.energy is not None and 0.25 <= traits.energy <= 0.75
