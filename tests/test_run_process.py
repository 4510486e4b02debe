"""`melodiclens run` as a real process: serves Telegram and the health check, and on SIGTERM
answers the photo it already accepted before it exits."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest

from support.catalog_fixture import write_catalog
from support.fakes.fake_ollama import STRUCTURED_ANSWERS, FakeOllama
from support.fakes.fake_telegram import FakeTelegram, private_chat, user

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="session")]

ROOT = Path(__file__).resolve().parent.parent
# The vision model takes this long, so SIGTERM lands while the answer is in flight.
VISION_DELAY_S = 4.0
START_TIMEOUT_S = 240.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def data_dir() -> Iterator[Path]:
    """Its own data directory with the fictional catalog imported (short path for the socket)."""
    path = Path(tempfile.mkdtemp(prefix="mlr-", dir="/tmp"))
    env = {**os.environ, "MELODICLENS_DATA_DIR": str(path), "DATABASE_URL": ""}
    catalog = write_catalog(path / "catalog.csv")
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "catalog", "import", str(catalog)],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
async def fakes() -> AsyncIterator[tuple[FakeTelegram, FakeOllama]]:
    telegram = FakeTelegram()
    await telegram.start()
    async with FakeOllama(reply=STRUCTURED_ANSWERS["party"], delay_s=VISION_DELAY_S) as ollama:
        yield telegram, ollama
    await telegram.close()


async def wait_healthy(port: int, process: asyncio.subprocess.Process) -> None:
    deadline = asyncio.get_running_loop().time() + START_TIMEOUT_S
    async with aiohttp.ClientSession() as session:
        while asyncio.get_running_loop().time() < deadline:
            assert process.returncode is None, "melodiclens run exited during start-up"
            try:
                async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.5)
    raise AssertionError("melodiclens run did not become healthy")


async def test_sigterm_answers_the_accepted_photo_then_exits(
    data_dir: Path, fakes: tuple[FakeTelegram, FakeOllama]
) -> None:
    telegram, ollama = fakes
    port = free_port()
    env = {
        **os.environ,
        "MELODICLENS_DATA_DIR": str(data_dir),
        "DATABASE_URL": "",
        "TELEGRAM_TOKEN": telegram.token,
        "MELODICLENS_TELEGRAM_API_URL": telegram.url,
        "OLLAMA_HOST": ollama.url,
        "MELODICLENS_VISION_TIMEOUT_S": "30",
        "MELODICLENS_HTTP_PORT": str(port),
        "MELODICLENS_TOP_N": "3",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", env=env, cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        await wait_healthy(port, process)
        await telegram.next_call("setMyCommands", within_s=60)
        ana = user(4001, "Ana")
        photo = telegram.photo(private_chat(ana), ana, "friday night")
        await telegram.fetched(within_s=60)
        # The fake has no event for "a request arrived"; poll its counter briefly.
        while not ollama.in_flight:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        answer = await telegram.next_sent(within_s=60)
        assert answer.reply_to == photo["message_id"]
        assert "https://open.spotify.com/track/" in answer.text
        code = await asyncio.wait_for(process.wait(), 60)
        assert code == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    stderr = (await process.stderr.read()).decode() if process.stderr else ""
    assert telegram.token not in stderr
    assert "stopping: finishing the answers already accepted" in stderr
    assert "search index preloaded" in stderr  # the embedded server has pg_prewarm
