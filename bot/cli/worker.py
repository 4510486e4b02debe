"""`melodiclens worker`: runs background jobs (library syncs, trending refreshes) until stopped.

Start as many as you like, on one machine or several: they share the job table safely.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
from typing import TYPE_CHECKING, Any

from bot.cli.arguments import add_command

if TYPE_CHECKING:
    from bot.settings import Settings

log = logging.getLogger(__name__)


def register(subparsers: Any) -> None:
    """Add the `worker` subcommand."""
    parser = add_command(
        subparsers,
        "worker",
        run_worker,
        help="run background jobs (library sync, trending)",
        description=(
            "Run background jobs (Spotify library syncs, trending refreshes, old-data pruning) "
            "until SIGINT/SIGTERM. `run` has a worker of its own; start more with this, on this "
            "machine or others: they share the job table safely."
        ),
    )
    parser.add_argument(
        "--once", action="store_true", help="run the jobs that are due now, then exit"
    )


async def run_worker(settings: Settings, args: argparse.Namespace) -> int:
    """Run jobs until SIGINT/SIGTERM (or, with --once, until none is due)."""
    import asyncio

    from bot.app import build_jobs, open_runtime
    from handlers.edge.worker import Worker
    from handlers.notifier import LogNotifier

    async with open_runtime(settings) as runtime:
        handlers, schedulers = build_jobs(settings, runtime.db, runtime.embedder, LogNotifier())
        worker = Worker(runtime.db, handlers, schedulers=schedulers)
        if args.once:
            count = await worker.drain()
            log.info("worker %s ran %d job%s", worker.worker_id, count, "" if count == 1 else "s")
            return 0
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, worker.stop)
        log.info("worker %s running: %s", worker.worker_id, ", ".join(sorted(handlers)))
        await worker.run()
    return 0
