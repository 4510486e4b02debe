"""Decoding stays within a fixed memory budget: a 49 MP PNG or float TIFF, or the 1,562,500 x 32
strip of issue 21, alone or several at once, raises a fresh process's peak memory by at most
250 MB per decode slot (each measured in its own subprocess, so nothing else this suite
allocates is counted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
# The bound for one `melodiclens recommend` process; the decode alone must keep to it.
BUDGET_MB = 250.0
SIDE = 7000  # 49 MP, just under the 50 MP default limit

MAKE = """
import sys
from PIL import Image
path, kind, side = sys.argv[1], sys.argv[2], int(sys.argv[3])
if kind == "png":
    Image.new("RGBA", (side, side), (10, 200, 30, 128)).save(path, "PNG")
elif kind == "wide":
    from support.image_bombs import wide_png
    open(path, "wb").write(wide_png())
else:
    Image.new("F", (side, side), 0.5).save(path, "TIFF", compression="tiff_deflate")
"""

# Peak RSS growth (MB) of preparing the file `copies` times at once through the Pipeline's
# decode gate (concurrency 1), after every import is done.
DECODE = """
import asyncio, resource, sys
from handlers.pipeline import Pipeline
from handlers.throttle import VisionGate
from recsys.image_intake import ImageLimits

data = open(sys.argv[1], "rb").read()
copies, slots = int(sys.argv[2]), int(sys.argv[3])
pipeline = Pipeline(None, None, ImageLimits(), VisionGate(1, 1), decode_concurrency=slots)

async def main():
    return await asyncio.gather(*(pipeline.prepare([data]) for _ in range(copies)))

before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
prepared = asyncio.run(main())
assert all(p[0].width == 1024 for p in prepared), [p[0].width for p in prepared]
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024)
"""


def make_image(tmp_path: Path, kind: str) -> Path:
    """Write the 49 MP image in a throwaway process (its memory is not this test's)."""
    path = tmp_path / f"big.{kind}"
    subprocess.run([sys.executable, "-c", MAKE, str(path), kind, str(SIDE)], cwd=ROOT, check=True)
    assert path.stat().st_size < 400_000  # small files, huge pixel counts: the attack
    return path


def decode_growth_mb(path: Path, copies: int, slots: int = 1) -> float:
    """Peak memory growth of decoding `path` `copies` times at once on `slots` decode threads,
    in a fresh process."""
    done = subprocess.run(
        [sys.executable, "-c", DECODE, str(path), str(copies), str(slots)],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return float(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("kind", ["png", "tiff"])
def test_a_49_megapixel_image_decodes_within_the_budget(tmp_path: Path, kind: str) -> None:
    growth = decode_growth_mb(make_image(tmp_path, kind), copies=1)
    assert growth <= BUDGET_MB, f"{kind}: +{growth:.0f} MB"


def test_three_big_pngs_at_once_wait_for_the_decode_slot(tmp_path: Path) -> None:
    growth = decode_growth_mb(make_image(tmp_path, "png"), copies=3)
    assert growth <= BUDGET_MB, f"three at once: +{growth:.0f} MB"


def test_the_wide_strip_decodes_within_the_budget(tmp_path: Path) -> None:
    # Issue 21: 1,562,500 x 32 RGBA (194 KB) added +1,146 MB when one band held all 32 rows.
    growth = decode_growth_mb(make_image(tmp_path, "wide"), copies=1)
    assert growth <= BUDGET_MB, f"wide strip: +{growth:.0f} MB"


def test_four_wide_strips_at_once_stay_within_the_budget_per_decode_slot(tmp_path: Path) -> None:
    # An album of four on the default two decode threads (issue 21 measured +2,291 MB).
    growth = decode_growth_mb(make_image(tmp_path, "wide"), copies=4, slots=2)
    assert growth <= 2 * BUDGET_MB, f"four wide strips on two slots: +{growth:.0f} MB"
