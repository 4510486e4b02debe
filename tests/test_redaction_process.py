"""`melodiclens -v run` with a password in OLLAMA_HOST and in DATABASE_URL, answering a photo
while one vision host is down: no credential on /metrics, /healthz or anywhere in its log
(issue 21)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import aiohttp
import pytest

from db.pool import Database
from support.bot_process import free_port, wait_healthy
from support.fakes.fake_ollama import FakeOllama, closed_port_url
from support.fakes.fake_telegram import FakeTelegram, private_chat, user

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="session")]

ROOT = Path(__file__).resolve().parent.parent
SECRET = "hunter2-do-not-show"


def with_password(url: str) -> str:
    """The same address with a user and this test's password in it."""
    scheme, _, rest = url.partition("://")
    authority = rest.split("/", 1)[0]
    if "@" in authority:
        user_part, _, rest = rest.partition("@")
        return f"{scheme}://{user_part.split(':', 1)[0]}:{SECRET}@{rest}"
    return f"{scheme}://postgres:{SECRET}@{rest}"


async def test_no_credential_leaves_a_running_bot(
    db: Database, party_fakes: tuple[FakeTelegram, FakeOllama], tmp_path: Path
) -> None:
    telegram, ollama = party_fakes
    port = free_port()
    dead, alive = with_password(closed_port_url()), with_password(ollama.url)
    env = {
        **os.environ,
        "MELODICLENS_DATA_DIR": str(tmp_path),
        "DATABASE_URL": with_password(db.url),  # the embedded server trusts local connections
        "TELEGRAM_TOKEN": telegram.token,
        "MELODICLENS_TELEGRAM_API_URL": telegram.url,
        "OLLAMA_HOST": f"{dead},{alive}",
        "MELODICLENS_HTTP_PORT": str(port),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "-v", "run", env=env, cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        try:
            await wait_healthy(port, process)
        except AssertionError:
            err = (await process.stderr.read()).decode() if process.stderr else ""
            raise AssertionError(err[-3000:]) from None
        await telegram.next_call("setMyCommands", within_s=60)
        ana = user(4001, "Ana")
        telegram.photo(private_chat(ana), ana, "friday night")
        await telegram.next_sent(within_s=120)
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{port}/metrics") as answer:
                scraped = await answer.text()
            async with session.get(f"http://127.0.0.1:{port}/healthz") as answer:
                health = await answer.text()
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), 60)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    log = (await process.stderr.read()).decode() if process.stderr else ""
    assert "melodiclens_vision_calls_total" in scraped and "last_failure" in health
    assert "cannot reach Ollama at http://127.0.0.1:" in health  # the dead host, by name
    for shown in (scraped, health, log):
        assert SECRET not in shown
