"""Paths, a first-time user's environment and a stopwatch shared by the tests' and the
benchmarks' helpers."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"
CATALOG_CSV = SHARED_DATA / "trending_catalog.csv"
# Built benchmark databases live outside the repository (they are gigabytes) and under a short
# path: the embedded server's Unix socket path must stay under ~107 bytes.
CACHE_DIR = Path(os.environ.get("MELODICLENS_BENCH_CACHE", Path.home() / ".cache" / "mlbench"))
# The ecosystem names the bot reads besides its own MELODICLENS_ settings.
ECOSYSTEM_SETTINGS = frozenset({"DATABASE_URL", "OLLAMA_HOST", "XDG_DATA_HOME"})


def first_time_env(**env: str) -> dict[str, str]:
    """This process's environment as a first-time user's: none of the bot's settings, the text
    model read offline from its cache; then `env`."""
    kept = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("MELODICLENS_") and k not in ECOSYSTEM_SETTINGS
    }
    return {**kept, "HF_HUB_OFFLINE": "1", **env}


@contextmanager
def stopwatch() -> Iterator[Callable[[], float]]:
    """`with stopwatch() as elapsed:` ... `elapsed()` gives seconds since the block began."""
    start = time.perf_counter()
    yield lambda: time.perf_counter() - start
