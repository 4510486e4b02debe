"""Peak memory of a real `melodiclens recommend IMAGE` process on a 49 MP PNG and a 49 MP float
TIFF, against the same command on a small JPEG (the baseline, measured in the same run).

The images are generated in a temporary directory (in a throwaway process); the command runs as a
subprocess against its own embedded database holding the small fictional test catalog, with
Ollama pointed at a closed port (the answer then comes from the photo's pixels: the decode is
the same). Each child's peak RSS comes from os.wait4's rusage (ru_maxrss of that child alone).
Target: each big image at most +250 MB over the small JPEG (issue 10).

Run: python -m benchmarks.intake_memory [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.common import ROOT
from tests.catalog_fixture import write_catalog
from tests.fakes.fake_ollama import closed_port_url

BUDGET_MB = 250.0
SIDE = 7000  # 49 MP, under the 50 MP default limit
CLI = [sys.executable, "-m", "bot.cli"]

MAKE = """
import sys
from PIL import Image
d = sys.argv[1]
Image.new("RGB", (640, 480), (40, 90, 160)).save(f"{d}/small.jpg", quality=90)
Image.new("RGBA", (7000, 7000), (10, 200, 30, 128)).save(f"{d}/rgba49mp.png")
Image.new("F", (7000, 7000), 0.5).save(f"{d}/float49mp.tiff", compression="tiff_deflate")
"""
IMAGES = ("small.jpg", "rgba49mp.png", "float49mp.tiff")


def peak_rss_mb(args: list[str], env: dict[str, str]) -> float:
    """Run a command to its end; its own peak resident memory in MB."""
    child = subprocess.Popen(
        args, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(child.pid, 0)
    stderr = child.stderr.read().decode() if child.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{stderr}")
    return usage.ru_maxrss / 1024


def main() -> None:
    """Print the median and max peak RSS per image and the growth over the small JPEG."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    repeats = parser.parse_args().repeats
    work = Path(tempfile.mkdtemp(prefix="mlim-", dir="/tmp"))
    try:
        env = {
            **os.environ,
            "MELODICLENS_DATA_DIR": str(work / "data"),
            "DATABASE_URL": "",
            "OLLAMA_HOST": closed_port_url(),
        }
        subprocess.run([sys.executable, "-c", MAKE, str(work)], check=True)
        catalog = write_catalog(work / "catalog.csv")
        subprocess.run([*CLI, "catalog", "import", str(catalog)], env=env, cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        peaks: dict[str, list[float]] = {name: [] for name in IMAGES}
        for _ in range(repeats):  # interleaved, so machine noise hits every image alike
            for name in IMAGES:
                args = [*CLI, "recommend", str(work / name), "--json"]
                peaks[name].append(peak_rss_mb(args, env))
        report(peaks, {name: (work / name).stat().st_size for name in IMAGES})
    finally:
        shutil.rmtree(work, ignore_errors=True)


def report(peaks: dict[str, list[float]], sizes: dict[str, int]) -> None:
    """One line per image: file size, peak RSS median / max, growth over the small JPEG."""
    base = statistics.median(peaks["small.jpg"])
    print(f"machine: {os.cpu_count()} cores; {len(peaks['small.jpg'])} runs per image")
    print(f"{'image':16} {'file':>9} {'peak median':>12} {'peak max':>9} {'vs small JPEG':>14}")
    for name, values in peaks.items():
        growth = statistics.median(values) - base
        verdict = "" if name == "small.jpg" else ("ok" if growth <= BUDGET_MB else "OVER")
        print(f"{name:16} {sizes[name] / 1000:>7.0f}KB {statistics.median(values):>10.0f}MB "
              f"{max(values):>7.0f}MB {growth:>+12.0f}MB {verdict}")  # fmt: skip


if __name__ == "__main__":
    main()
