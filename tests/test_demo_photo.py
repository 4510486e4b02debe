"""The bundled demo photo: drawn by the project's own script, small, and a photo intake accepts."""

from __future__ import annotations

import re
import runpy
from pathlib import Path

from PIL import Image, ImageChops

from recsys.image_intake import ImageLimits, prepare_image

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "docs" / "demo" / "sunset_beach.jpg"
# What the issue allows a bundled photo to weigh.
MAX_DEMO_BYTES = 200_000


def test_the_demo_photo_is_a_small_jpeg_that_intake_accepts() -> None:
    data = DEMO.read_bytes()
    assert len(data) < MAX_DEMO_BYTES
    prepared = prepare_image(data, ImageLimits())
    assert prepared.source_format == "JPEG" and (prepared.width, prepared.height) == (1024, 683)


def test_the_script_draws_the_same_picture_again() -> None:
    script = runpy.run_path(str(ROOT / "scripts" / "make_demo_photo.py"))
    drawn = script["draw_scene"]()
    with Image.open(DEMO) as shipped:
        assert shipped.size == drawn.size
        # JPEG changes pixels a little; the picture itself is the same
        small = [im.convert("RGB").resize((32, 21)) for im in (shipped, drawn)]
        extrema = ImageChops.difference(*small).getextrema()
        assert max(high for _, high in extrema) < 24


def test_quickstart_answers_the_bundled_photo_and_names_the_catalog_variable() -> None:
    script = (ROOT / "scripts" / "quickstart.sh").read_text()
    assert re.search(r"photo=\$\{2:-docs/demo/sunset_beach\.jpg\}", script)
    assert "MELODICLENS_CATALOG_URL" in script
    assert "MELODICLENS_CATALOG_URL" in (ROOT / "README.md").read_text()
