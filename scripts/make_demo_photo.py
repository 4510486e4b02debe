"""Draw the bundled demo photo (docs/demo/sunset_beach.jpg): a sunset over the sea, made here.

The picture is drawn by this script with Pillow from a fixed seed (sky gradient, sun, sea with
its reflection, a headland, palms and a few birds), so the project owns it outright and anyone
can draw it again: `.venv/bin/python scripts/make_demo_photo.py [OUT.jpg]`.
"""

from __future__ import annotations

import itertools
import math
import random
import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

WIDTH, HEIGHT = 1024, 683
HORIZON = 430
SEED = 2026
OUT = Path(__file__).resolve().parent.parent / "docs" / "demo" / "sunset_beach.jpg"
# Quality 85 keeps the file well under the 200 KB a bundled photo may weigh.
JPEG_QUALITY = 85

SKY = [(0.0, (38, 36, 92)), (0.45, (196, 84, 110)), (0.8, (250, 150, 80)), (1.0, (255, 205, 120))]
SEA_TOP, SEA_BOTTOM = (120, 70, 100), (24, 30, 64)
SUN = (WIDTH * 0.58, HORIZON - 64, 58)


def _blend(a: tuple[int, ...], b: tuple[int, ...], t: float) -> tuple[int, ...]:
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b, strict=True))


def _sky_colour(t: float) -> tuple[int, ...]:
    for (t0, c0), (t1, c1) in itertools.pairwise(SKY):
        if t <= t1:
            return _blend(c0, c1, (t - t0) / (t1 - t0))
    return SKY[-1][1]


def _sky_and_sea(draw: ImageDraw.ImageDraw) -> None:
    for y in range(HORIZON):
        draw.line([(0, y), (WIDTH, y)], fill=_sky_colour(y / HORIZON))
    for y in range(HORIZON, HEIGHT):
        t = (y - HORIZON) / (HEIGHT - HORIZON)
        draw.line([(0, y), (WIDTH, y)], fill=_blend(SEA_TOP, SEA_BOTTOM, t**0.7))


def _sun(image: Image.Image) -> None:
    glow = Image.new("RGB", image.size, (0, 0, 0))
    x, y, r = SUN
    ImageDraw.Draw(glow).ellipse([x - 3 * r, y - 3 * r, x + 3 * r, y + 3 * r], fill=(120, 60, 20))
    lit = Image.composite(
        Image.new("RGB", image.size, (255, 190, 110)),
        image,
        glow.convert("L").filter(ImageFilter.GaussianBlur(60)),
    )
    image.paste(lit)
    draw = ImageDraw.Draw(image)
    draw.ellipse([x - r, y - r, x + r, y + r], fill=(255, 226, 150))


def _reflection(draw: ImageDraw.ImageDraw, rng: random.Random) -> None:
    x = SUN[0]
    for y in range(HORIZON + 2, HEIGHT, 5):
        depth = (y - HORIZON) / (HEIGHT - HORIZON)
        half = 70 * (1 - depth) + rng.uniform(5, 40)
        colour = _blend((255, 200, 120), SEA_TOP, depth * 0.8)
        draw.line([(x - half, y), (x + half, y)], fill=colour, width=2)


def _headland(draw: ImageDraw.ImageDraw) -> None:
    points = [(0, HORIZON + 5)]
    for i in range(0, 361, 8):
        px = i
        points.append((px, HORIZON - 70 * math.sin(math.pi * i / 360) ** 0.6 - 10))
    points += [(360, HORIZON + 5)]
    draw.polygon(points, fill=(46, 28, 56))
    beach = [(0, HEIGHT), (0, HEIGHT - 90), (WIDTH, HEIGHT - 40), (WIDTH, HEIGHT)]
    draw.polygon(beach, fill=(58, 40, 52))


def _palm(draw: ImageDraw.ImageDraw, base: tuple[float, float], height: float, lean: float) -> None:
    bx, by = base
    top = (bx + lean, by - height)
    draw.line([base, (bx + lean * 0.6, by - height * 0.5), top], fill=(20, 14, 24), width=9)
    for angle in range(0, 360, 40):
        rad = math.radians(angle)
        tip = (top[0] + 95 * math.cos(rad), top[1] + 40 * math.sin(rad) + 25)
        mid = (top[0] + 55 * math.cos(rad), top[1] - 12 + 20 * math.sin(rad))
        draw.line([top, mid, tip], fill=(20, 14, 24), width=6)


def _birds(draw: ImageDraw.ImageDraw, rng: random.Random) -> None:
    for _ in range(7):
        x, y, s = rng.uniform(420, 900), rng.uniform(90, 260), rng.uniform(6, 13)
        draw.line([(x - s, y - s / 2), (x, y), (x + s, y - s / 2)], fill=(40, 26, 50), width=2)


def draw_scene() -> Image.Image:
    """The whole picture, the same every time."""
    rng = random.Random(SEED)
    image = Image.new("RGB", (WIDTH, HEIGHT))
    _sky_and_sea(ImageDraw.Draw(image))
    _sun(image)
    draw = ImageDraw.Draw(image)
    _reflection(draw, rng)
    _headland(draw)
    _palm(draw, (860, HEIGHT - 45), 260, -40)
    _palm(draw, (950, HEIGHT - 38), 200, 30)
    _birds(draw, rng)
    return image.filter(ImageFilter.SMOOTH)


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT
    out.parent.mkdir(parents=True, exist_ok=True)
    draw_scene().save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    print(f"{out}: {out.stat().st_size // 1024} KB")
