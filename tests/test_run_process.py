"""`melodiclens run` as a real process: serves Telegram and the health check, and on SIGTERM
answers the photo it already accepted before it exits."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

import pytest

from support.bot_process import ROOT, free_port, telegram_env, wait_healthy
from support.fakes.fake_ollama import FakeOllama
from support.fakes.fake_telegram import FakeTelegram, private_chat, user

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="session")]

# The vision model takes this long, so SIGTERM lands while the answer is in flight.
VISION_DELAY_S = 4.0


async def test_sigterm_answers_the_accepted_photo_then_exits(
    process_data_dir: Path, party_fakes: tuple[FakeTelegram, FakeOllama]
) -> None:
    telegram, ollama = party_fakes
    port = free_port()
    env = telegram_env(process_data_dir, telegram, ollama, port, MELODICLENS_TOP_N="3")
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
    assert "start-up objects kept out of garbage collection" in stderr
