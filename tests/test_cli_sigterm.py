"""A CLI command stopped with SIGTERM (`kill`, a container stop) releases the embedded
PostgreSQL it started instead of leaving the server running (issue 21)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.catalog_fixture import write_catalog

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
# Start-up (the server, then the embedding model) is slow on a busy machine.
START_TIMEOUT_S = 240.0
# The server's own shutdown, once its last handle is released.
STOP_TIMEOUT_S = 60.0


@pytest.fixture
def data_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="mlst-", dir="/tmp"))  # short: the socket path
    yield path
    shutil.rmtree(path, ignore_errors=True)


def postmaster_pid(data_dir: Path) -> int | None:
    """The running server's process id, from its postmaster.pid (None when stopped)."""
    pid_file = data_dir / "pg" / "postmaster.pid"
    try:
        return int(pid_file.read_text().split()[0])
    except (FileNotFoundError, IndexError, ValueError):
        return None


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_sigterm_during_catalog_import_stops_the_embedded_server(data_dir: Path) -> None:
    catalog = write_catalog(data_dir / "catalog.csv")
    env = {**os.environ, "MELODICLENS_DATA_DIR": str(data_dir), "DATABASE_URL": ""}
    child = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "-v", "catalog", "import", str(catalog)],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    lines: list[str] = []
    ready = threading.Event()

    def read() -> None:
        assert child.stderr is not None
        for line in child.stderr:
            lines.append(line)
            if "embedded PostgreSQL ready" in line:
                ready.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert ready.wait(START_TIMEOUT_S), "".join(lines)
        server = postmaster_pid(data_dir)
        assert server is not None and alive(server)
        child.send_signal(signal.SIGTERM)
        child.wait(timeout=STOP_TIMEOUT_S)
        reader.join(STOP_TIMEOUT_S)
    finally:
        if child.poll() is None:
            child.kill()
    stderr = "".join(lines)
    assert child.returncode == -signal.SIGTERM, stderr  # it still dies by the signal
    assert "releasing the embedded PostgreSQL" in stderr
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while alive(server) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not alive(server), "the embedded PostgreSQL outlived the command"
