"""Two versions of the code, one machine: the 28k text answer of each, in alternated rounds.

Each round runs `python -m benchmarks.search_scale --scale 28k` once in an older checkout and
once in this one, each on its own copy of the cached 28k benchmark database (byte-identical
but for the older copy's alembic_version, set back to a revision the older code knows: the
later revisions only add columns and tables it does not read). search_scale measures each
answer beside the bare embedding of the same text in the same loop; this compares the two
codes round by round (paired), so slow and fast spells of the machine fall on both.

    python -m benchmarks.code_ab --prepare --old-revision 0008
    python -m benchmarks.code_ab --old ../old-checkout --rounds 10
    python -m benchmarks.code_ab --summarize benchmarks/results/<date>-code-ab.json

`--prepare` copies MELODICLENS_BENCH_CACHE's 28k database to the two copies (under
/tmp/mlbench-ab by default). The result, every round and the paired summary with 95%
bootstrap intervals, goes to benchmarks/results/<date>-code-ab.json; run it on a quiet
machine (nothing else running: the load is recorded per round).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.common import RESULTS_DIR, ROOT, machine, now_utc, write_json
from support import synthetic
from support.common import CACHE_DIR

SCALE = "28k"
COPIES = Path("/tmp/mlbench-ab")
# One search_scale run takes ~40 s here; far longer means a build or a hang, not a round.
RUN_TIMEOUT_S = 900
BOOTSTRAP_DRAWS = 10_000
SEED = 20261206
# The figures compared, each read from one search_scale latency result.
FIGURES = {
    "answer_p50_ms": lambda r: r["answer"]["p50_ms"],
    "answer_p95_ms": lambda r: r["answer"]["p95_ms"],
    "bare_embed_p50_ms": lambda r: r["bare_embed"]["p50_ms"],
    "answer_over_embed_p50": lambda r: r["answer_over_embed_p50"],
    "answer_minus_embed_p95_ms": lambda r: r["answer_minus_embed_p95_ms"],
    "candidate_sql_p50_ms": lambda r: r["candidate_sql"]["p50_ms"],
    "search_stage_p50_ms": lambda r: r["recommender_stages_p50_ms"]["search"],
    "answer_minus_embed_p50_ms": lambda r: r["answer"]["p50_ms"] - r["bare_embed"]["p50_ms"],
    "rank_stage_p50_ms": lambda r: r["recommender_stages_p50_ms"]["rank"],
}


def prepare(copies: Path, old_revision: str) -> None:
    """Two copies of the cached 28k database; the older code's says `old_revision`."""
    source = synthetic.data_dir_for(SCALE)
    if synthetic.cached(SCALE) is None:
        raise SystemExit(f"no cached {SCALE} database: run `python -m benchmarks.search_scale`")
    for side in ("old", "new"):
        target = copies / side
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        _copy_with_owners(source, target / source.name)
        marker = CACHE_DIR / f"{source.name}.json"
        shutil.copy2(marker, target / marker.name)
    asyncio.run(_set_revision(copies / "old" / source.name, old_revision))


def _copy_with_owners(source: Path, target: Path) -> None:
    """A copy of the database folder; run as root, each file keeps its owner (the embedded
    server runs as its own user and must own its files)."""
    shutil.copytree(source, target, symlinks=True)
    if os.geteuid() != 0:
        return
    for path in [source, *source.rglob("*")]:
        owner = path.lstat()
        os.lchown(target / path.relative_to(source), owner.st_uid, owner.st_gid)


async def _set_revision(data_dir: Path, revision: str) -> None:
    from db.pool import connect

    database = await connect("", data_dir, pool_size=1)
    try:
        await database.pool.execute("UPDATE alembic_version SET version_num = $1", revision)
    finally:
        await database.close()


def one_run(checkout: Path, cache: Path) -> dict[str, Any]:
    """search_scale's 28k latency result, run in `checkout` on the database under `cache`."""
    env = {**os.environ, "MELODICLENS_BENCH_CACHE": str(cache), "PYTHONPATH": str(checkout)}
    # its log goes to stderr, shown as it runs; its figures to stdout, as JSON
    printed = subprocess.check_output(
        [sys.executable, "-m", "benchmarks.search_scale", "--scale", SCALE],
        cwd=checkout,
        env=env,
        text=True,
        timeout=RUN_TIMEOUT_S,
    )
    latency: dict[str, Any] = json.loads(printed)["latency"][0]
    latency["load_avg_1m_after"] = round(os.getloadavg()[0], 2)
    return latency


def paired_summary(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """Per figure: each side's median over the rounds, and the median paired difference
    (new - old) with a 95% bootstrap interval over the rounds."""
    rng = np.random.default_rng(SEED)
    summary: dict[str, Any] = {}
    for name, read in FIGURES.items():
        old = np.array([read(r["old"]) for r in rounds], dtype=float)
        new = np.array([read(r["new"]) for r in rounds], dtype=float)
        diffs = new - old
        draws = rng.integers(0, len(diffs), size=(BOOTSTRAP_DRAWS, len(diffs)))
        medians = np.median(diffs[draws], axis=1)
        summary[name] = {
            "old_median": round(float(np.median(old)), 3),
            "new_median": round(float(np.median(new)), 3),
            "old_range": [round(float(old.min()), 3), round(float(old.max()), 3)],
            "new_range": [round(float(new.min()), 3), round(float(new.max()), 3)],
            "paired_diff_median": round(float(np.median(diffs)), 3),
            "paired_diff_ci95": [round(float(v), 3) for v in np.percentile(medians, [2.5, 97.5])],
            "rounds_new_higher": int((diffs > 0).sum()),
        }
    return summary


def main(argv: list[str] | None = None) -> int:
    """Prepare the copies, or run the alternated rounds and print the paired summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", type=Path, help="the older checkout (a git worktree)")
    parser.add_argument("--copies", type=Path, default=COPIES)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--prepare", action="store_true")
    parser.add_argument("--old-revision", default="0008")
    parser.add_argument("--out", type=Path)
    parser.add_argument(
        "--summarize", type=Path, help="print the paired summary of a results file's rounds"
    )
    args = parser.parse_args(argv)
    if args.summarize:
        rounds = json.loads(args.summarize.read_text())["rounds"]
        print(json.dumps(paired_summary(rounds), indent=2))
        return 0
    if args.prepare:
        prepare(args.copies, args.old_revision)
        return 0
    if args.old is None:
        parser.error("--old is needed (or --prepare)")
    old_commit = _commit(args.old)
    rounds = []
    for i in range(args.rounds):
        old = one_run(args.old.resolve(), args.copies / "old")
        new = one_run(ROOT, args.copies / "new")
        rounds.append({"round": i + 1, "old": old, "new": new})
        ratios = old["answer_over_embed_p50"], new["answer_over_embed_p50"]
        print(f"round {i + 1}: answer over embedding p50, old {ratios[0]}x, new {ratios[1]}x")
    result = {
        "benchmark": "code_ab",
        "when": now_utc(),
        "machine": machine().line(),
        "old_commit": old_commit,
        "new_commit": _commit(ROOT),
        "summary": paired_summary(rounds),
        "rounds": rounds,
    }
    date = datetime.now(UTC).strftime("%Y-%m-%d")
    path = write_json(result, args.out or RESULTS_DIR / f"{date}-code-ab.json")
    print(json.dumps(result["summary"], indent=2))
    print(f"written to {path}")
    return 0


def _commit(checkout: Path) -> str:
    done = subprocess.run(
        ["git", "-C", str(checkout), "log", "-1", "--format=%h %s"],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip()[:120] or "unknown"


if __name__ == "__main__":
    sys.exit(main())
