"""Catalog import rate against the bare embedding rate of the same texts, in one run.

    python benchmarks/import_rate.py [--csv PATH] [--limit N] [--json OUT]

The bare rate is `Embedder.embed_texts` over the catalog's describe() texts in one call, taken
before and after the import (the machine may be shared; their mean is the reference). The
import runs into a fresh embedded PostgreSQL in a temporary data directory under /tmp.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from db import migrations  # noqa: E402
from db.pool import connect  # noqa: E402
from handlers.catalog_import import DEFAULT_BATCH_ROWS, import_catalog  # noqa: E402
from recsys.catalog_csv import CatalogReader  # noqa: E402
from recsys.embedder import Embedder  # noqa: E402
from recsys.enrichment import TrackEnricher  # noqa: E402

DEFAULT_CSV = ROOT.parent / "shared" / "data" / "trending_catalog.csv"
# The import must keep at least this share of the bare embedding rate (issue 2).
TARGET_RATIO = 0.8


def machine() -> dict[str, Any]:
    """CPU count, CPU model and load: the figures mean little without them."""
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpus": os.cpu_count(), "cpu_model": model, "load_avg": os.getloadavg()}


def limited_copy(source: Path, limit: int, work: Path) -> Path:
    """The first `limit` data rows of `source` as a new CSV (the file itself when no limit)."""
    if limit <= 0:
        return source
    target = work / source.name
    with source.open(newline="", encoding="utf-8-sig") as src, target.open("w", newline="") as dst:
        rows = csv.reader(src)
        writer = csv.writer(dst)
        writer.writerow(next(rows))
        for _, row in zip(range(limit), rows, strict=False):
            writer.writerow(row)
    return target


def bare_rate(embedder: Embedder, texts: list[str]) -> float:
    """Texts per second of one embed_texts call over all the texts."""
    began = time.perf_counter()
    embedder.embed_texts(texts)
    return len(texts) / (time.perf_counter() - began)


def percentile(values: tuple[float, ...], share: float) -> float:
    """The nearest-rank percentile of `values` (0 when empty)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def measure(csv_path: Path, limit: int, batch_rows: int) -> dict[str, Any]:
    """Run the bare embedding passes and a full import; return every figure."""
    at_start = machine()
    work = Path(tempfile.mkdtemp(prefix="mlb-", dir="/tmp"))
    try:
        path = limited_copy(csv_path, limit, work)
        embedder = Embedder()
        enricher = TrackEnricher(embedder)
        embedder.warm()
        texts = [enricher.describe(info)[1] for info in CatalogReader(path)]
        embedder.embed_texts(texts[:256])  # first calls pay for allocations; not measured
        before = bare_rate(embedder, texts)
        database = await connect("", work / "data", pool_size=4)
        try:
            await migrations.upgrade(database.url)
            summary = await import_catalog(database, enricher, path, batch_rows=batch_rows)
        finally:
            await database.close()
        after = bare_rate(embedder, texts)
        embedder.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    bare = (before + after) / 2
    import_rate = summary.embedded / summary.seconds
    return {
        "machine": at_start,
        "csv": str(csv_path),
        "texts": len(texts),
        "rows": summary.rows,
        "skipped": summary.skipped,
        "batch_rows": batch_rows,
        "bare_rate_before": round(before, 1),
        "bare_rate_after": round(after, 1),
        "bare_rate": round(bare, 1),
        "import_seconds": round(summary.seconds, 2),
        "import_rate": round(import_rate, 1),
        "ratio": round(import_rate / bare, 3),
        # share of the import's wall time spent enriching: near 1 means the writes and the
        # CSV work hid behind embedding (a figure less swayed by a shared machine's load)
        "embedding_share": round(sum(summary.embed_batch_seconds) / summary.seconds, 3),
        "load_avg_after": os.getloadavg(),
        "embed_batch_s": _spread(summary.embed_batch_seconds),
        "write_batch_s": _spread(summary.write_batch_seconds),
    }


def _spread(values: tuple[float, ...]) -> dict[str, float]:
    return {
        "median": round(statistics.median(values), 3) if values else 0.0,
        "p95": round(percentile(values, 0.95), 3),
        "total": round(sum(values), 2),
    }


def report(result: dict[str, Any]) -> str:
    """The figures as lines for a terminal."""
    m = result["machine"]
    verdict = "meets" if result["ratio"] >= TARGET_RATIO else "MISSES"
    return "\n".join(
        [
            f"machine: {m['cpus']} CPUs, {m['cpu_model']}, load {m['load_avg'][0]:.2f}",
            f"texts: {result['texts']:,} ({result['rows']:,} rows, skipped {result['skipped']})",
            f"bare embedding: {result['bare_rate']:.1f} texts/s "
            f"(before {result['bare_rate_before']:.1f}, after {result['bare_rate_after']:.1f})",
            f"import: {result['import_rate']:.1f} tracks/s ({result['import_seconds']:.1f} s, "
            f"batches of {result['batch_rows']})",
            f"ratio: {result['ratio']:.2f} ({verdict} the {TARGET_RATIO:.0%} target)",
            f"embedding share of import time: {result['embedding_share']:.0%} "
            f"(load after {result['load_avg_after'][0]:.2f})",
            "embed batch s: median {median}, p95 {p95}, total {total}".format(
                **result["embed_batch_s"]
            ),
            "write batch s: median {median}, p95 {p95}, total {total}".format(
                **result["write_batch_s"]
            ),
        ]
    )


def main() -> int:
    """Parse arguments, measure, print (and optionally save) the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", type=Path, default=DEFAULT_CSV)
    parser.add_argument("--limit", type=int, default=0, help="only the first N rows")
    parser.add_argument("--batch-rows", type=int, default=DEFAULT_BATCH_ROWS)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    if not args.csv.exists():
        print(f"no catalog at {args.csv}", file=sys.stderr)
        return 2
    result = asyncio.run(measure(args.csv, args.limit, args.batch_rows))
    print(report(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
