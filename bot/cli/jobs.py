"""`melodiclens jobs list|retry`: see the background jobs that failed or wait, and retry them."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bot.cli.arguments import add_command, add_command_group
from bot.cli.errors import CommandError

if TYPE_CHECKING:  # the database modules load only once a command runs
    import asyncpg

    from bot.settings import Settings

# db.jobs.LIST_LIMIT, written out so `--help` need not load the database modules
# (tests/test_cli_startup.py checks that the two agree).
LIST_LIMIT = 50

# A job's last error is cut to this many characters in the listing; the row keeps all of it.
ERROR_WIDTH = 100
PENDING = ("queued", "running")


def register(subparsers: Any) -> None:
    """Add the `jobs` command."""
    actions = add_command_group(
        subparsers, "jobs", help="list failed or pending background jobs; retry"
    )
    listing = add_command(actions, "list", run_list, help="failed and pending jobs, newest first")
    listing.add_argument(
        "--state",
        choices=("failed", "pending", "done", "all"),
        help="only failed, only pending (queued or running), only done, or every job",
    )
    listing.add_argument("--limit", type=int, default=LIST_LIMIT, help="at most this many")
    retry = add_command(
        actions, "retry", run_retry, help="queue a failed job again (by id, or --all-failed)"
    )
    which = retry.add_mutually_exclusive_group(required=True)
    which.add_argument("job_id", nargs="?", type=int, help="the id shown by `jobs list`")
    which.add_argument("--all-failed", action="store_true", help="every failed job")


def _states(choice: str | None) -> tuple[str, ...]:
    from db import jobs

    if choice is None:
        return ("failed", *PENDING)
    if choice == "pending":
        return PENDING
    if choice == "all":
        return jobs.JOB_STATES
    return (choice,)


async def run_list(settings: Settings, args: argparse.Namespace) -> int:
    """Print the jobs in the chosen states, one line each."""
    from bot.app import open_database
    from db import jobs

    async with open_database(settings) as database:
        rows = await jobs.list_jobs(database.pool, _states(args.state), args.limit)
    if not rows:
        print("no jobs in that state")
        return 0
    for line in format_jobs(rows):
        print(line)
    return 0


def format_jobs(rows: Sequence[asyncpg.Record]) -> list[str]:
    """A header and one aligned line per job: id, kind, state, attempts, when, last error."""
    lines = [f"{'id':>6}  {'kind':<16} {'state':<8} {'tries':<6} {'updated (UTC)':<19}  last error"]
    for row in rows:
        error = " ".join((row["last_error"] or "").split())
        if len(error) > ERROR_WIDTH:
            error = error[: ERROR_WIDTH - 1] + "…"
        tries = f"{row['attempts']}/{row['max_attempts']}"
        updated = row["updated_at"].strftime("%Y-%m-%d %H:%M:%S")
        kind, state = row["kind"], row["status"]
        lines.append(f"{row['id']:>6}  {kind:<16} {state:<8} {tries:<6} {updated:<19}  {error}")
    return lines


async def run_retry(settings: Settings, args: argparse.Namespace) -> int:
    """Queue one failed job (or all of them) again; a worker picks it up at once."""
    from bot.app import open_database
    from db import jobs

    async with open_database(settings) as database:
        retried = await jobs.retry_failed(database.pool, None if args.all_failed else args.job_id)
        if not retried and not args.all_failed:
            row = await jobs.get(database.pool, args.job_id)
    if retried:
        ids = ", ".join(str(job_id) for job_id in retried)
        print(f"queued again: {ids} (a running worker takes them; or `melodiclens worker --once`)")
        return 0
    if args.all_failed:
        print("no failed jobs to retry")
        return 0
    if row is None:
        raise CommandError(f"there is no job {args.job_id} (see `melodiclens jobs list`)")
    if row["status"] != "failed":
        raise CommandError(f"job {args.job_id} is {row['status']}, not failed: nothing to retry")
    raise CommandError(
        f"job {args.job_id} was not retried: a job with the same key ({row['dedupe_key']}) "
        "is already queued or running"
    )
