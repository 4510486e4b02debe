"""The one benchmark entry point: speed at 28k and 1M tracks, import rate, load and memory.

    python -m benchmarks.run [--quick] [--skip-1m]

Runs, in order: catalog import rate against the bare embedding rate (benchmarks/import_rate.py),
text query -> top-5 latency at 28k and 1M beside the bare embedding time (search_scale.py),
HNSW recall@50 against exact search at 1M, 100 photos at once through the handler layer
(load.py), and the resident memory of `melodiclens run` idle and under that burst (memory.py).
Prints a table, writes benchmarks/results/latest.json and rewrites the results table in
benchmarks/README.md. A section that fails is recorded with its error; the others still run.

The benchmark databases are cached under ~/.cache/mlbench: the first run builds them (the
million takes long: see benchmarks/README.md), later runs reuse them.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import sys
import time
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from benchmarks import load, memory, search_scale
from benchmarks.common import (
    CATALOG_CSV,
    RESULTS_DIR,
    Row,
    machine,
    now_utc,
    update_readme_table,
    write_json,
)
from recsys.embedder import Embedder
from support import synthetic

log = logging.getLogger(__name__)

# Rows imported to measure the import rate: the rate settles within a couple of thousand rows,
# and each row is embedded three times (bare before, import, bare after); on a loaded 2-core
# machine 10,000 rows took over 15 minutes, most of the 20-minute budget.
IMPORT_ROWS = 2_000
QUICK_IMPORT_ROWS = 500
TARGET_IMPORT_RATIO = 0.8


async def _section(result: dict[str, Any], name: str, action: Callable[[], Awaitable[Any]]) -> None:
    """Run one benchmark, recording its figures or its error and how long it took."""
    print(f"== {name} ...", flush=True)
    start = time.perf_counter()
    try:
        result[name] = await action()
    except Exception as err:
        log.error("%s failed: %s", name, err)
        result[name] = {"error": f"{type(err).__name__}: {err}", "trace": traceback.format_exc()}
    result.setdefault("seconds", {})[name] = round(time.perf_counter() - start, 1)
    print(f"   done in {result['seconds'][name]:.0f} s", flush=True)


async def _import_rate(quick: bool) -> dict[str, Any]:
    from benchmarks import import_rate

    limit = QUICK_IMPORT_ROWS if quick else IMPORT_ROWS
    figures: dict[str, Any] = await import_rate.measure(
        CATALOG_CSV, limit, import_rate.DEFAULT_BATCH_ROWS
    )
    return figures


async def collect(quick: bool, skip_1m: bool, skip_import: bool = False) -> dict[str, Any]:
    """Every figure, in one dict."""
    result: dict[str, Any] = {"date": now_utc(), "machine": machine().__dict__, "quick": quick}
    started = time.perf_counter()
    embedder = Embedder()
    try:
        embedder.warm()
        scales = ["28k"] if skip_1m else ["28k", "1m"]
        if not skip_import:
            await _section(result, "import", lambda: _import_rate(quick))
        await _section(result, "search", lambda: search_scale.run(scales, quick, embedder))
        if not skip_1m:
            await _section(result, "realism", lambda: _realism(embedder))
        bench = await synthetic.ensure("28k", embedder)
        await _section(result, "load", lambda: _load(bench, embedder))
        await _section(result, "memory", lambda: memory.run(bench))
        result["builds"] = {
            scale: built.build for scale in scales if (built := synthetic.cached(scale))
        }
    finally:
        embedder.close()
    result["total_s"] = round(time.perf_counter() - started, 1)
    return result


async def _realism(embedder: Embedder) -> dict[str, Any]:
    real = await asyncio.to_thread(synthetic.load_real_rows, embedder)
    return await asyncio.to_thread(synthetic.realism, real.embeddings, synthetic.SCALES["1m"])


async def _load(bench: synthetic.BenchDatabase, embedder: Embedder) -> dict[str, Any]:
    return (await load.run(bench, embedder)).as_dict()


def _verdict(ok: bool) -> str:
    return "pass" if ok else "FAIL"


def _import_rows(figures: dict[str, Any]) -> list[Row]:
    ratio = figures["ratio"]
    return [
        Row(
            f"catalog import rate ({figures['texts']:,} rows)",
            f"{figures['import_rate']:.0f} tracks/s vs {figures['bare_rate']:.0f} texts/s "
            f"bare embedding = {ratio:.0%}",
            "≥ 80% of bare embedding",
            _verdict(ratio >= TARGET_IMPORT_RATIO),
        )
    ]


def _search_rows(figures: dict[str, Any]) -> list[Row]:
    rows = []
    for latency in figures["latency"]:
        answer, embed = latency["answer"], latency["bare_embed"]
        over, allowed = latency["answer_minus_embed_p95_ms"], latency["target_minus_embed_p95_ms"]
        repeat = latency["repeated_words_answer"]
        rows.append(
            Row(
                f"text answer (new words) → top-5 at {latency['tracks']:,} tracks "
                f"({latency['path']})",
                f"p95 {answer['p95_ms']:.1f} ms beside bare embedding p95 {embed['p95_ms']:.1f} ms "
                f"(+{over:.1f} ms; p50 {answer['p50_ms']:.1f} vs {embed['p50_ms']:.1f} ms; "
                f"repeated words p50 {repeat['p50_ms']:.1f} ms)",
                f"≤ embedding p95 + {allowed:.0f} ms",
                _verdict(over <= allowed),
            )
        )
    recall = figures.get("recall")
    if recall:
        index = recall["index"]
        graph = re.search(r"m='?(\d+)'?, ef_construction='?(\d+)", index["definition"])
        built_as = f"m {graph[1]} / ef_construction {graph[2]}" if graph else index["definition"]
        rows.append(
            Row(
                f"HNSW recall@50 vs exact at {recall['tracks']:,} tracks (halfvec graph "
                f"{built_as}, its {recall['pool']} re-ordered exactly, ef_search "
                f"{recall['ef_search']}, {recall['iterative_scan']})",
                f"{recall['recall_at_50']:.3f} over {recall['queries']} queries, "
                f"p50 {recall['shipped_ms']['p50_ms']:.1f} ms; index {index['hnsw_index_mb']} MB, "
                f"built in {index['build_s']:.0f} s",
                f"≥ {search_scale.TARGET_RECALL}",
                _verdict(recall["recall_at_50"] >= search_scale.TARGET_RECALL),
            )
        )
        wider = [
            f"{key.split('_')[0][2:]}: {point['recall']:.3f} (p50 {point['p50_ms']:.0f} ms)"
            for key, point in recall["sweep"].items()
            if key.endswith("_pool100") and key != f"ef{recall['ef_search']}_pool100"
        ]
        rows.append(
            Row(
                "the same at a wider `ef_search` (pool 100)",
                "; ".join(wider),
                "-",
                "-",
            )
        )
        if spread := recall.get("median_cosine_at_rank"):
            rows.append(
                Row(
                    "a query's exact neighbours: median cosine at rank " + " / ".join(spread),
                    " / ".join(f"{value:.3f}" for value in spread.values()),
                    "-",
                    "-",
                )
            )
    return rows


def _realism_rows(figures: dict[str, Any]) -> list[Row]:
    real, grown, iso = figures["real"], figures["interpolated_sample"], figures["isotropic_sample"]
    line = lambda p: f"{p['nn1']:.2f} / {p['nn10']:.2f} / {p['nn50']:.2f}"  # noqa: E731
    return [
        Row(
            "synthetic million, sampled to the real size: median cosine to 1st/10th/50th NN",
            f"{line(grown)} (real 28k {line(real)}; old isotropic noise {line(iso)})",
            "close to the real catalog's",
            "-",
        )
    ]


def _load_rows(figures: dict[str, Any]) -> list[Row]:
    lag = figures["loop_lag_ms"]
    return [
        Row(
            "100 photos at once, 1.5 s vision, concurrency 4: makespan",
            f"{figures['makespan_s']:.1f} s vs ideal {figures['ideal_s']:.1f} s "
            f"({figures['makespan_over_ideal']:.2f}x)",
            "≤ 1.10x ideal",
            _verdict(figures["makespan_over_ideal"] <= 1 + load.MAKESPAN_SLACK),
        ),
        Row(
            "100 photos at once: answered from the vision model",
            f"{figures['answered_from_vision']} / {figures['photos']}",
            "all",
            _verdict(figures["answered_from_vision"] == figures["photos"]),
        ),
        Row(
            "100 photos at once: event-loop lag",
            f"p99 {lag['p99']:.1f} ms (max {lag['max']:.1f} ms)",
            f"p99 < {load.TARGET_LAG_P99_MS:.0f} ms",
            _verdict(lag["p99"] < load.TARGET_LAG_P99_MS),
        ),
    ]


def _memory_rows(figures: dict[str, Any]) -> list[Row]:
    return [
        Row(
            "resident memory of `melodiclens run`",
            f"idle {figures['rss_idle_mb']:.0f} MB, peak {figures['rss_peak_mb']:.0f} MB under "
            f"100 photos ({figures['answered']} answered via the Telegram protocol in "
            f"{figures['makespan_s']:.1f} s)",
            "-",
            "-",
        )
    ]


@dataclass(frozen=True)
class Section:
    """One benchmark's part of the table: its key in the result, the rows its figures make, and
    the one row it shows instead when it failed (or, unless optional, did not run)."""

    key: str
    rows: Callable[[dict[str, Any]], list[Row]]
    failed: str
    target: str = ""
    verdict: str = "FAIL"
    optional: bool = False

    def rows_of(self, result: dict[str, Any]) -> list[Row]:
        """This section's rows of a result."""
        if self.optional and self.key not in result:
            return []
        figures = result.get(self.key, {"error": "not run"})
        if "error" in figures:
            return [Row(self.failed, figures["error"], self.target, self.verdict)]
        return self.rows(figures)


# The table's sections, in the order they show (the database builds follow them).
SECTIONS = (
    Section(
        "import", _import_rows, "catalog import rate", "≥ 80% of bare embedding", optional=True
    ),
    Section("search", _search_rows, "search"),
    Section(
        "realism",
        _realism_rows,
        "synthetic million: spacing like the real catalog",
        verdict="-",
        optional=True,
    ),
    Section("load", _load_rows, "100 photos at once"),
    Section("memory", _memory_rows, "memory of melodiclens run"),
)


def table_rows(result: dict[str, Any]) -> list[Row]:
    """The README table's rows for a result."""
    rows = [row for section in SECTIONS for row in section.rows_of(result)]
    for scale, build in result.get("builds", {}).items():
        rows.append(
            Row(
                f"benchmark database build ({scale}, cached)",
                f"embed real rows {build['embed_real_s']:.0f} s, COPY {build['load_s']:.0f} s, "
                f"HNSW index {build['index_s']:.0f} s ({build.get('index_mb', '?')} MB)",
                "-",
                "-",
            )
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    """Run every benchmark; print the table; write the JSON and the README table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer queries and import rows")
    parser.add_argument("--skip-1m", action="store_true", help="leave out the million")
    parser.add_argument("--skip-import", action="store_true", help="leave out the import rate")
    args = parser.parse_args(argv)
    logging.basicConfig(level="WARNING", format="%(asctime)s %(name)s: %(message)s")
    result = asyncio.run(collect(args.quick, args.skip_1m, args.skip_import))
    rows = table_rows(result)
    m = machine()
    header = (
        f"Last run: {result['date']} on {m.line()}; `python -m benchmarks.run"
        f"{' --quick' if args.quick else ''}{' --skip-1m' if args.skip_1m else ''}"
        f"{' --skip-import' if args.skip_import else ''}` "
        f"took {result['total_s'] / 60:.1f} min (load average at the end "
        f"{result.get('load', {}).get('load_avg_1m', '?')})."
    )
    path = write_json(result)
    if not args.quick:
        # The dated copy is committed, so the figures the README quotes can be checked later.
        path = write_json(result, RESULTS_DIR / f"{result['date'][:10]}.json")
        update_readme_table(rows, header)
    print()
    print(header)
    for row in rows:
        print(f"  [{row.verdict:>4}] {row.name}: {row.figure}  (target {row.target})")
    print(f"\nfull figures: {path}")
    return 0 if all(row.verdict != "FAIL" for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
