"""Two `melodiclens worker --once` processes on one database: every job runs exactly once."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from collections import Counter
from pathlib import Path

import pytest

from db import jobs
from db.pool import Database

JOBS = 40
# Long enough that both processes are up while jobs remain, short enough for a quick test.
JOB_SLEEP_S = 0.15
RAN = re.compile(r"noop job (\d+) ran in pid (\d+)")


async def start_worker(url: str, cwd: Path) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MELODICLENS_", "SPOTIFY_"))}
    env.update(DATABASE_URL=url, MELODICLENS_LOG_LEVEL="INFO")
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "worker", "--once",
        cwd=cwd, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


@pytest.mark.slow
async def test_two_worker_processes_run_each_job_exactly_once(db: Database, tmp_path: Path) -> None:
    ids = [(await jobs.enqueue(db.pool, "noop", {"sleep_s": JOB_SLEEP_S}))[0] for _ in range(JOBS)]
    procs = [await start_worker(db.url, tmp_path) for _ in range(2)]
    outputs = await asyncio.wait_for(asyncio.gather(*(p.communicate() for p in procs)), 120)
    for proc, (_, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err.decode()[-2000:]

    runs = [(int(job), int(pid)) for _, err in outputs for job, pid in RAN.findall(err.decode())]
    per_job = Counter(job for job, _ in runs)
    assert sorted(per_job) == sorted(ids) and set(per_job.values()) == {1}
    rows = await db.pool.fetch("SELECT id, status, attempts, result FROM jobs")
    assert {r["status"] for r in rows} == {"done"} and {r["attempts"] for r in rows} == {1}
    by_pid = Counter(r["result"]["pid"] for r in rows)
    assert set(by_pid) == {p.pid for p in procs}  # both processes did real work
    assert by_pid == Counter(pid for _, pid in runs)
