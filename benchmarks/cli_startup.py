"""How long `melodiclens` takes before it does anything, against a bare `python -c pass`.

    python -m benchmarks.cli_startup [--rounds N] [--doctor-rounds N]

Each command runs as a user runs it (the `melodiclens` console script beside this Python, in a
fresh process, no `.env`, its own data directory), the cases interleaved round by round so that
a busy moment of the machine falls on all of them alike. Printed: median and p95 of each, and
the median over the bare interpreter's from the same run, against the targets of issue 22.
`doctor` is timed on a warm data directory (the embedded database made and at the newest
schema by an untimed first run), with no Ollama listening and no tokens.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.common import RESULTS_DIR, Timings, machine, now_utc, write_json
from support.common import first_time_env
from support.fakes.fake_ollama import closed_port_url

# Quick cases run this many times each (interleaved); doctor, which takes seconds, fewer.
DEFAULT_ROUNDS = 9
DEFAULT_DOCTOR_ROUNDS = 3
# A command that has not finished in this long is broken, not slow.
COMMAND_TIMEOUT_S = 300.0


@dataclass(frozen=True)
class Case:
    """One command line and its target: seconds over the bare interpreter, or in all."""

    name: str
    argv: tuple[str, ...]  # the arguments after `melodiclens` (after `python`, for BASELINE)
    target_s: float
    over_baseline: bool = True


BASELINE = Case("python -c pass", ("-c", "pass"), 0.0)
CASES = (
    Case("--help", ("--help",), 0.5),
    Case("--version", ("--version",), 0.5),
    Case("recommend --help", ("recommend", "--help"), 0.5),
    Case("run --help", ("run", "--help"), 0.5),
    Case("doctor --help", ("doctor", "--help"), 0.5),
    Case("catalog import --help", ("catalog", "import", "--help"), 0.5),
    Case("recommend missing.jpg", ("recommend", "missing.jpg"), 1.0),
)
DOCTOR = Case("doctor (warm data dir)", ("doctor",), 10.0, over_baseline=False)


def command(case: Case) -> list[str]:
    """The process to start: the bare interpreter, or the console script beside it."""
    if case is BASELINE:
        return [sys.executable, *case.argv]
    script = Path(sys.executable).with_name("melodiclens")
    if script.exists():
        return [str(script), *case.argv]
    return [sys.executable, "-m", "bot.cli", *case.argv]


def environment(data_dir: Path) -> dict[str, str]:
    """A first-time user's environment: no settings but a data directory of its own, and no
    Ollama running."""
    return first_time_env(MELODICLENS_DATA_DIR=str(data_dir), OLLAMA_HOST=closed_port_url())


def children_cpu_s() -> float:
    """CPU seconds (user + system) used so far by this process's finished children."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_once(case: Case, env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """Wall-clock and CPU seconds of one run; a traceback means the benchmark is wrong.

    The CPU time (the command's own, not its helpers': the embedded server is no child) is
    reported beside the wall clock because it moves far less when other work shares the cores.
    """
    cpu_before = children_cpu_s()
    started = time.perf_counter()
    done = subprocess.run(
        command(case), env=env, cwd=cwd, capture_output=True, text=True,
        timeout=COMMAND_TIMEOUT_S,
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    if "Traceback" in done.stderr:
        raise SystemExit(f"{case.name} failed:\n{done.stderr}")
    return elapsed, children_cpu_s() - cpu_before


def measure(
    cases: tuple[Case, ...], rounds: int, env: dict[str, str], cwd: Path
) -> tuple[dict[str, Timings], dict[str, Timings]]:
    """Each case `rounds` times, interleaved, after one untimed warm-up run of each: the wall
    clock and the CPU time of every run."""
    wall: dict[str, list[float]] = {case.name: [] for case in cases}
    cpu: dict[str, list[float]] = {case.name: [] for case in cases}
    for case in cases:
        time_once(case, env, cwd)
    for _ in range(rounds):
        for case in cases:
            elapsed, used = time_once(case, env, cwd)
            wall[case.name].append(elapsed * 1000)
            cpu[case.name].append(used * 1000)
    return summarise(wall), summarise(cpu)


def summarise(samples: dict[str, list[float]]) -> dict[str, Timings]:
    """The samples of each case as Timings."""
    return {name: Timings(tuple(values)) for name, values in samples.items()}


def report(
    timings: dict[str, Timings], cpu: dict[str, Timings], baseline_ms: float
) -> list[dict[str, object]]:
    """One row per case: median, p95, median over the baseline, CPU time, target, met or not."""
    rows = []
    for case in (BASELINE, *CASES, DOCTOR):
        if case.name not in timings:
            continue
        summary = timings[case.name]
        over_s = (summary.p50 - baseline_ms) / 1000
        measured_s = over_s if case.over_baseline else summary.p50 / 1000
        rows.append(
            {
                "case": case.name,
                **summary.summary(),
                "cpu_p50_ms": round(cpu[case.name].p50, 1),
                "over_baseline_s": round(over_s, 3),
                "target_s": case.target_s if case is not BASELINE else None,
                "target_is": "over baseline" if case.over_baseline else "in all",
                "met": None if case is BASELINE else measured_s <= case.target_s,
            }
        )
    return rows


def print_rows(rows: list[dict[str, object]]) -> None:
    """The table on stdout."""
    print(f"{'case':<26} {'p50 ms':>9} {'p95 ms':>9} {'over base s':>12} {'cpu ms':>8}  target")
    for row in rows:
        target = "" if row["target_s"] is None else f"<= {row['target_s']} s {row['target_is']}"
        verdict = "" if row["met"] is None else ("  met" if row["met"] else "  MISSED")
        print(
            f"{row['case']:<26} {row['p50_ms']:>9.0f} {row['p95_ms']:>9.0f} "
            f"{row['over_baseline_s']:>12.3f} {row['cpu_p50_ms']:>8.0f}  {target}{verdict}"
        )


def main() -> None:
    """Measure, print, and save benchmarks/results/cli_startup.json."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=DEFAULT_ROUNDS)
    parser.add_argument("--doctor-rounds", type=int, default=DEFAULT_DOCTOR_ROUNDS)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="mlcli-", dir="/tmp"))  # short: a socket lives there
    try:
        env = environment(home / "data")
        quick, quick_cpu = measure((BASELINE, *CASES), args.rounds, env, home)
        slow, slow_cpu = measure((BASELINE, DOCTOR), args.doctor_rounds, env, home)
        # The baseline of the quick rounds is the one each quick case is compared with; the
        # doctor's target is in all, so its own baseline rounds only keep the machine honest.
        timings = {**slow, **quick}
        cpu = {**slow_cpu, **quick_cpu}
    finally:
        shutil.rmtree(home, ignore_errors=True)
    rows = report(timings, cpu, quick[BASELINE.name].p50)
    where = machine()
    print(f"{now_utc()}  {where.line()}, Python {where.python}, load {os.getloadavg()[0]:.1f}")
    print_rows(rows)
    path = write_json(
        {"when": now_utc(), "machine": where.line(), "python": where.python, "rows": rows},
        RESULTS_DIR / "cli_startup.json",
    )
    print(f"saved {path.relative_to(RESULTS_DIR.parent.parent)}")


if __name__ == "__main__":
    main()
