"""What every benchmark shares: paths, the machine's description, timing summaries, results."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import platform
import re
import statistics
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

from recsys.embedder import Embedder

# The paths and the stopwatch the tests' helpers use too (support/), re-exported here.
from support.common import CACHE_DIR as CACHE_DIR
from support.common import CATALOG_CSV as CATALOG_CSV
from support.common import ROOT as ROOT
from support.common import SHARED_DATA as SHARED_DATA
from support.common import stopwatch as stopwatch

RESULTS_DIR = ROOT / "benchmarks" / "results"
README = ROOT / "benchmarks" / "README.md"

# The README table sits between these markers; run.py rewrites only what lies between them.
TABLE_BEGIN = "<!-- results:begin -->"
TABLE_END = "<!-- results:end -->"


@dataclass(frozen=True)
class Machine:
    """Where a benchmark ran."""

    cpu: str
    cores: int
    ram_gb: float
    python: str

    def line(self) -> str:
        """One line for tables and logs."""
        return f"{self.cpu}, {self.cores} cores, {self.ram_gb:.0f} GB RAM"


def machine() -> Machine:
    """Describe this machine: CPU model, logical cores, RAM."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = re.sub(r"\s+", " ", line.split(":", 1)[1]).strip()
                break
    except OSError:
        pass
    return Machine(
        cpu=cpu,
        cores=os.cpu_count() or 1,
        ram_gb=psutil.virtual_memory().total / 2**30,
        python=platform.python_version(),
    )


@dataclass(frozen=True)
class Timings:
    """A sample of durations in milliseconds, summarised."""

    samples_ms: tuple[float, ...]

    @property
    def p50(self) -> float:
        """The median."""
        return statistics.median(self.samples_ms)

    @property
    def p95(self) -> float:
        """The 95th percentile (nearest rank)."""
        return percentile(self.samples_ms, 95)

    @property
    def p99(self) -> float:
        """The 99th percentile (nearest rank)."""
        return percentile(self.samples_ms, 99)

    def summary(self) -> dict[str, float]:
        """p50, p95 and the sample size, for JSON."""
        return {"p50_ms": round(self.p50, 2), "p95_ms": round(self.p95, 2), "n": len(self)}

    def __len__(self) -> int:
        return len(self.samples_ms)


def percentile(values: tuple[float, ...] | list[float], pct: float) -> float:
    """Nearest-rank percentile: the smallest value with at least pct% of the sample at or below."""
    if not values:
        raise ValueError("percentile of an empty sample")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), -(-len(ordered) * pct // 100)))
    return ordered[int(rank) - 1]


def now_utc() -> str:
    """The current time, ISO 8601 in UTC to the minute."""
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


def write_json(result: dict[str, Any], path: Path | None = None) -> Path:
    """Write a result as indented JSON (default benchmarks/results/latest.json)."""
    target = path or RESULTS_DIR / "latest.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(result, indent=2, sort_keys=False, default=str) + "\n")
    return target


@dataclass(frozen=True)
class Row:
    """One line of the README table: a figure beside its target."""

    name: str
    figure: str
    target: str
    verdict: str  # "pass", "FAIL", or "-" when there is no target


def update_readme_table(rows: list[Row], header: str, readme: Path = README) -> None:
    """Replace the results table in benchmarks/README.md (between the markers) with `rows`."""
    lines = [header, "", "| figure | measured | target | |", "|---|---|---|---|"]
    lines += [f"| {r.name} | {r.figure} | {r.target} | {r.verdict} |" for r in rows]
    block = "\n".join([TABLE_BEGIN, *lines, TABLE_END])
    text = readme.read_text() if readme.exists() else ""
    if TABLE_BEGIN in text and TABLE_END in text:
        before, rest = text.split(TABLE_BEGIN, 1)
        after = rest.split(TABLE_END, 1)[1]
        text = before + block + after
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    readme.write_text(text)


def print_figures(work: Callable[[Embedder], Coroutine[Any, Any, dict[str, Any]]]) -> int:
    """Run an async benchmark with one embedder (closed after, whatever happens), INFO logging
    on, and print its figures as JSON; the exit code."""
    logging.basicConfig(level="INFO", format="%(asctime)s %(name)s: %(message)s")
    embedder = Embedder()
    try:
        result = asyncio.run(work(embedder))
    finally:
        embedder.close()
    print(json.dumps(result, indent=2))
    return 0
