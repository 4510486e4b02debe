"""`melodiclens jobs list|retry` on the real embedded PostgreSQL: what an operator sees and does."""

from __future__ import annotations

import pytest

from bot.cli.errors import CommandError
from bot.cli.main import build_parser
from bot.settings import Settings, load_settings
from db import jobs
from db.pool import Database
from handlers.edge.worker import Worker

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def failed_job(db: Database, kind: str, error: str, dedupe_key: str | None = None) -> int:
    """A job that used up its attempts, as the worker leaves it."""
    job_id, _ = await jobs.enqueue(db.pool, kind, {}, dedupe_key=dedupe_key, max_attempts=1)
    claimed = await jobs.claim(db.pool, "w", 60, [kind])
    assert claimed is not None and claimed.id == job_id
    assert await jobs.fail(db.pool, job_id, "w", error, retry_in_s=30) == "failed"
    return job_id


def settings_for(db: Database) -> Settings:
    return load_settings(None, DATABASE_URL=db.url)


async def cli(db: Database, *argv: str) -> int:
    args = build_parser().parse_args(["jobs", *argv])
    code: int = await args.handler(settings_for(db), args)
    return code


async def test_list_shows_failed_and_pending_with_attempts_and_error(
    db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = await failed_job(db, "library_sync", "SpotifyUnavailable: 503\nfrom the API")
    waiting, _ = await jobs.enqueue(db.pool, "trending_sync", {}, delay_s=600)
    finished, _ = await jobs.enqueue(db.pool, "noop")
    assert await jobs.claim(db.pool, "w", 60, ["noop"]) is not None
    assert await jobs.complete(db.pool, finished, "w")

    assert await cli(db, "list") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:5] == ["id", "kind", "state", "tries", "updated"]
    by_id = {int(line.split()[0]): line for line in lines[1:]}
    assert set(by_id) == {broken, waiting}  # the done job is not listed
    assert "failed" in by_id[broken] and "1/1" in by_id[broken]
    assert by_id[broken].endswith("SpotifyUnavailable: 503 from the API")  # one line
    assert "queued" in by_id[waiting] and "0/5" in by_id[waiting]

    assert await cli(db, "list", "--state", "done") == 0
    assert [int(line.split()[0]) for line in capsys.readouterr().out.splitlines()[1:]] == [finished]


async def test_retry_by_id_runs_the_job_again(
    db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    job_id = await failed_job(db, "noop", "boom")
    assert await cli(db, "retry", str(job_id)) == 0
    assert f"queued again: {job_id}" in capsys.readouterr().out
    row = await jobs.get(db.pool, job_id)
    assert row is not None and row["status"] == "queued" and row["attempts"] == 0

    async def succeed(ctx: object) -> dict[str, bool]:
        return {"ok": True}

    assert await Worker(db, {"noop": succeed}).drain() == 1
    row = await jobs.get(db.pool, job_id)
    assert row is not None and row["status"] == "done" and row["last_error"] is None


async def test_retry_all_failed_skips_keys_already_active(db: Database) -> None:
    plain = await failed_job(db, "noop", "one")
    older = await failed_job(db, "library_sync", "first try", dedupe_key="sync:7")
    newer = await failed_job(db, "library_sync", "second try", dedupe_key="sync:7")
    covered = await failed_job(db, "library_sync", "old", dedupe_key="sync:8")
    await jobs.enqueue(db.pool, "library_sync", {}, dedupe_key="sync:8")  # already queued

    assert await cli(db, "retry", "--all-failed") == 0
    states = dict(await db.pool.fetch("SELECT id, status FROM jobs"))
    assert states[plain] == "queued" and states[newer] == "queued"
    assert states[older] == "failed" and states[covered] == "failed"
    assert await jobs.retry_failed(db.pool) == []  # nothing left that may run


async def test_retry_explains_why_nothing_happened(db: Database) -> None:
    running, _ = await jobs.enqueue(db.pool, "noop")
    with pytest.raises(CommandError, match="no job 999"):
        await cli(db, "retry", "999")
    with pytest.raises(CommandError, match=f"job {running} is queued, not failed"):
        await cli(db, "retry", str(running))
    covered = await failed_job(db, "library_sync", "old", dedupe_key="sync:9")
    await jobs.enqueue(db.pool, "library_sync", {}, dedupe_key="sync:9")
    with pytest.raises(CommandError, match="same key"):
        await cli(db, "retry", str(covered))


async def test_counts_by_state_include_empty_states(db: Database) -> None:
    await failed_job(db, "noop", "x")
    await jobs.enqueue(db.pool, "noop")
    assert await jobs.count_by_state(db.pool) == {"queued": 1, "running": 0, "done": 0, "failed": 1}
