"""Peak memory and time of a real `melodiclens recommend IMAGE` process on hostile images (issue
10's 49 MP PNG and float TIFF; issue 21's 1,562,500 x 32 strip, progressive-JPEG scan bomb,
20 MP WebP and 36 MP full-colour progressive JPEG), against the same command on a small JPEG
(the baseline, measured in the same run); and of four of each prepared at once through the
Pipeline on its default two decode threads, against four small JPEGs.

The images are generated in a temporary directory (in a throwaway process); the command runs as a
subprocess against its own embedded database holding the small fictional test catalog, with
Ollama pointed at a closed port (the answer then comes from the photo's pixels: the decode is
the same). Each child's peak RSS comes from os.wait4's rusage (ru_maxrss of that child alone).
A refused image counts like an answered one: the command ends either way.
Targets: each image at most +250 MB over the small JPEG (four at once: +250 MB per decode
thread), answered or refused within 20 s of the small JPEG.

Run: python -m benchmarks.intake_memory [--repeats 3] [--decode-only]
(--decode-only: only the time prepare_image takes to answer or refuse each image, in one process)
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import ROOT
from support.catalog_fixture import write_catalog
from support.fakes.fake_ollama import closed_port_url

BUDGET_MB = 250.0
BUDGET_S = 20.0
CLI = [sys.executable, "-m", "bot.cli"]
# Four photos of one album, on the Pipeline's default number of decode threads.
ALBUM, DECODE_SLOTS = 4, 2

MAKE = """
import sys
from PIL import Image
from support.image_bombs import scan_bomb, wide_png
d = sys.argv[1]
Image.new("RGB", (640, 480), (40, 90, 160)).save(f"{d}/small.jpg", quality=90)
Image.new("RGBA", (7000, 7000), (10, 200, 30, 128)).save(f"{d}/rgba49mp.png")
Image.new("F", (7000, 7000), 0.5).save(f"{d}/float49mp.tiff", compression="tiff_deflate")
open(f"{d}/wide_strip.png", "wb").write(wide_png())
open(f"{d}/scan_bomb.jpg", "wb").write(scan_bomb(2000))
Image.new("RGB", (5000, 4000), (90, 120, 30)).save(f"{d}/webp20mp.webp", quality=10)
Image.new("RGB", (6000, 6000), (200, 90, 30)).save(
    f"{d}/prog444_36mp.jpg", progressive=True, subsampling=0, quality=50)
"""
IMAGES = (
    "small.jpg", "rgba49mp.png", "float49mp.tiff", "wide_strip.png", "scan_bomb.jpg",
    "webp20mp.webp", "prog444_36mp.jpg",
)  # fmt: skip

# Peak RSS growth of preparing one file ALBUM times at once through the Pipeline, in a fresh
# process after every import; prints "MB outcome" (outcome: answered or the refusal's reason).
ALBUM_RUN = """
import asyncio, resource, sys
from handlers.pipeline import Pipeline
from handlers.throttle import VisionGate
from recsys.image_intake import ImageLimits, ImageRejected

data = open(sys.argv[1], "rb").read()
copies, slots = int(sys.argv[2]), int(sys.argv[3])
pipeline = Pipeline(None, None, ImageLimits(), VisionGate(1, 1), decode_concurrency=slots)

async def one():
    try:
        await pipeline.prepare([data])
        return "answered"
    except ImageRejected as err:
        return err.reason.value

async def main():
    return await asyncio.gather(*(one() for _ in range(copies)))

before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
outcomes = asyncio.run(main())
grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
print(grown, ",".join(sorted(set(outcomes))))
"""

# The time prepare_image takes to answer or refuse each image (one process, after the imports).
DECODE_TIMES = """
import os, sys, time
from recsys.image_intake import ImageLimits, ImageRejected, prepare_image
print(f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
for name in sys.argv[2:]:
    data = open(os.path.join(sys.argv[1], name), "rb").read()
    started = time.perf_counter()
    try:
        prepared = prepare_image(data, ImageLimits())
        outcome = f"answered {prepared.width}x{prepared.height}"
    except ImageRejected as err:
        outcome = f"refused {err.reason.value}"
    print(f"{name:18} {outcome:28} {time.perf_counter() - started:6.2f} s", flush=True)
"""


def run_child(args: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Run a command to its end: its own peak RSS in MB, its wall time, and how it ended."""
    started = time.perf_counter()
    child = subprocess.Popen(
        args, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    stdout = child.stdout.read().decode() if child.stdout else ""
    stderr = child.stderr.read().decode() if child.stderr else ""
    code = os.waitstatus_to_exitcode(status)
    if code == 0:
        return usage.ru_maxrss / 1024, seconds, "answered"
    if code == 1 and "Traceback" not in stderr and "That " in stderr:  # a refusal's sentence
        return usage.ru_maxrss / 1024, seconds, "refused"
    raise SystemExit(f"{' '.join(args)} failed ({code}):\n{stdout}\n{stderr}")


def album_growth(path: Path, env: dict[str, str]) -> tuple[float, str]:
    """Peak RSS growth of preparing the file ALBUM times at once, and the outcomes."""
    done = subprocess.run(
        [sys.executable, "-c", ALBUM_RUN, str(path), str(ALBUM), str(DECODE_SLOTS)],
        env=env, cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    grown, outcome = done.stdout.split()
    return float(grown), outcome


def main() -> None:
    """Print per image: peak RSS and time of one recommend, and the album's memory growth."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--decode-only", action="store_true")
    options = parser.parse_args()
    repeats = options.repeats
    work = Path(tempfile.mkdtemp(prefix="mlim-", dir="/tmp"))
    if options.decode_only:
        subprocess.run([sys.executable, "-c", MAKE, str(work)], check=True, cwd=ROOT)
        subprocess.run([sys.executable, "-c", DECODE_TIMES, str(work), *IMAGES], check=True,
                       cwd=ROOT)  # fmt: skip
        shutil.rmtree(work, ignore_errors=True)
        return
    try:
        env = {
            **os.environ,
            "MELODICLENS_DATA_DIR": str(work / "data"),
            "DATABASE_URL": "",
            "OLLAMA_HOST": closed_port_url(),
        }
        subprocess.run([sys.executable, "-c", MAKE, str(work)], check=True, cwd=ROOT)
        catalog = write_catalog(work / "catalog.csv")
        subprocess.run([*CLI, "catalog", "import", str(catalog)], env=env, cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        runs: dict[str, list[tuple[float, float, str]]] = {name: [] for name in IMAGES}
        albums: dict[str, list[tuple[float, str]]] = {name: [] for name in IMAGES}
        for _ in range(repeats):  # interleaved, so machine noise hits every image alike
            for name in IMAGES:
                args = [*CLI, "recommend", str(work / name), "--json"]
                runs[name].append(run_child(args, env))
                albums[name].append(album_growth(work / name, env))
                peak, secs, outcome = runs[name][-1]
                print(f"  {name}: {outcome}, peak {peak:.0f} MB, {secs:.1f} s; album "
                      f"+{albums[name][-1][0]:.0f} MB", flush=True)  # fmt: skip
        report(runs, albums, {name: (work / name).stat().st_size for name in IMAGES})
    finally:
        shutil.rmtree(work, ignore_errors=True)


def report(
    runs: dict[str, list[tuple[float, float, str]]],
    albums: dict[str, list[tuple[float, str]]],
    sizes: dict[str, int],
) -> None:
    """One line per image: file size, outcome, peak RSS and time over the small JPEG, and the
    album's growth over four small JPEGs."""
    base_mb = statistics.median(peak for peak, _, _ in runs["small.jpg"])
    base_s = statistics.median(secs for _, secs, _ in runs["small.jpg"])
    base_album = statistics.median(grown for grown, _ in albums["small.jpg"])
    print(f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; "
          f"{len(runs['small.jpg'])} runs per image; album: {ALBUM} at once on {DECODE_SLOTS} "
          "decode threads")  # fmt: skip
    print(f"{'image':17} {'file':>8} {'outcome':9} {'peak med (max)':>15} {'vs small':>9} "
          f"{'time med':>9} {'vs small':>9} {'album +MB':>10} {'vs small':>9}  "
          "verdict")  # fmt: skip
    for name, values in runs.items():
        peaks = [peak for peak, _, _ in values]
        secs = statistics.median(s for _, s, _ in values)
        grown = statistics.median(g for g, _ in albums[name]) - base_album
        over_mb = statistics.median(peaks) - base_mb
        outcome = "/".join(sorted({o for _, _, o in values}))
        fits = (over_mb <= BUDGET_MB and secs - base_s <= BUDGET_S
                and grown <= BUDGET_MB * DECODE_SLOTS)  # fmt: skip
        verdict = "" if name == "small.jpg" else ("ok" if fits else "OVER")
        print(f"{name:17} {sizes[name] / 1000:>6.0f}KB {outcome:9} "
              f"{statistics.median(peaks):>7.0f}MB ({max(peaks):>4.0f}) {over_mb:>+7.0f}MB "
              f"{secs:>8.1f}s {secs - base_s:>+8.1f}s {grown + base_album:>8.0f}MB "
              f"{grown:>+7.0f}MB  {verdict}")  # fmt: skip


if __name__ == "__main__":
    main()
