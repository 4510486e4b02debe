"""SIGKILL in the middle of an answer loses no photo (issue 10, finding 4): `melodiclens run`
stores each Telegram update in the inbox before confirming it, and each Discord photo before
working on it, and a restarted process answers what the killed one had accepted."""

from __future__ import annotations

import asyncio
import io
import os
import signal
import sys
from pathlib import Path

import pytest
from PIL import Image

from handlers.texts import REPLAYED_AS_MESSAGE
from support.bot_process import ROOT, free_port, telegram_env, wait_healthy
from support.fakes.discord_api import FakeDiscord
from support.fakes.discord_payloads import APP_ID, CHANNEL_ID, TOKEN, USER_ID
from support.fakes.fake_ollama import STRUCTURED_ANSWERS, FakeOllama
from support.fakes.fake_telegram import FakeTelegram, private_chat, user

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="session")]

# Long enough for the kill to land while the photo is at the vision model.
VISION_DELAY_S = 6.0
# The killed process's inbox lease (30 s) must lapse, then the next upkeep tick (10 s) replays.
REPLAY_WITHIN_S = 150.0
LINK = "https://open.spotify.com/track/"
# Older than the 15 minutes a Discord interaction token lives.
STALE_S = 20 * 60.0


async def start_bot(env: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    with log.open("ab") as out:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "run", env=env, cwd=ROOT, stdout=out, stderr=out
        )


def answers(telegram: FakeTelegram) -> list[dict[str, object]]:
    return [c.params for c in telegram.calls_of("sendMessage") if LINK in str(c.params["text"])]


async def test_a_photo_accepted_before_sigkill_is_answered_after_restart(
    process_data_dir: Path, party_fakes: tuple[FakeTelegram, FakeOllama], tmp_path: Path
) -> None:
    telegram, ollama = party_fakes
    port = free_port()
    env = telegram_env(process_data_dir, telegram, ollama, port, MELODICLENS_LOG_LEVEL="INFO")
    log = tmp_path / "run.log"
    first = await start_bot(env, log)
    second: asyncio.subprocess.Process | None = None
    try:
        await wait_healthy(port, first)
        ana = user(4101, "Ana")
        photo = telegram.photo(private_chat(ana), ana, "friday night")
        await telegram.fetched(within_s=60)  # confirmed to Telegram: it will not come again
        for _ in range(600):  # wait until the photo is at the vision model
            if ollama.in_flight:
                break
            await asyncio.sleep(0.05)
        assert ollama.in_flight, "the photo never reached the vision model"
        first.send_signal(signal.SIGKILL)
        assert await asyncio.wait_for(first.wait(), 30) == -signal.SIGKILL
        assert answers(telegram) == []  # killed before it could answer

        second = await start_bot(env, log)
        await wait_healthy(port, second)
        async with asyncio.timeout(REPLAY_WITHIN_S):
            while not answers(telegram):  # noqa: ASYNC110 (the fake has no event for it)
                await asyncio.sleep(0.5)
        (answer,) = answers(telegram)
        assert int(str(answer["chat_id"])) == ana["id"]
        quoted = answer.get("reply_parameters") or {}
        reply_to = quoted.get("message_id") if isinstance(quoted, dict) else None
        assert int(str(reply_to or answer.get("reply_to_message_id"))) == photo["message_id"]
        second.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(second.wait(), 120) == 0
        assert len(answers(telegram)) == 1  # answered once, not twice
    finally:
        for process in (first, second):
            if process is not None and process.returncode is None:
                process.kill()
                await process.wait()
    text = log.read_text(errors="replace")
    assert "left by a stopped process" in text
    assert telegram.token not in text


def jpeg(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), colour).save(out, "JPEG")
    return out.getvalue()


async def start_discord_bot(env: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    """The real `melodiclens run`, discord.py pointed at the fake (support/fakes/discord_run.py)."""
    with log.open("ab") as out:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "support.fakes.discord_run",
            env=env, cwd=ROOT, stdout=out, stderr=out,
        )  # fmt: skip


def discord_answers(fake: FakeDiscord, path: str) -> list[dict[str, object]]:
    return [r.json for r in fake.find("POST", path) if LINK in str(r.json)]


def replayed(fake: FakeDiscord, fresh_token: str) -> bool:
    """Both channel replies and the /vibe followup are out."""
    channel = discord_answers(fake, f"/channels/{CHANNEL_ID}/messages")
    return len(channel) >= 2 and bool(discord_answers(fake, f"/webhooks/{APP_ID}/{fresh_token}"))


async def test_discord_photos_accepted_before_sigkill_are_answered_after_restart(
    process_data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeDiscord()
    await fake.start()
    ollama = FakeOllama(reply=STRUCTURED_ANSWERS["party"], delay_s=VISION_DELAY_S)
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM")},
        "MELODICLENS_DATA_DIR": str(process_data_dir),
        "DATABASE_URL": "",
        "DISCORD_TOKEN": TOKEN,
        "FAKE_DISCORD_URL": fake.base,
        "MELODICLENS_VISION_TIMEOUT_S": "30",
        "MELODICLENS_VISION_CONCURRENCY": "4",
        "MELODICLENS_HTTP_PORT": str(port),
        "MELODICLENS_LOG_LEVEL": "INFO",
    }
    log = tmp_path / "run.log"
    first = second = None
    channel = f"/channels/{CHANNEL_ID}/messages"
    try:
        async with ollama:
            env["OLLAMA_HOST"] = ollama.url
            first = await start_discord_bot(env, log)
            await wait_healthy(port, first)
            # a photo in the channel, /vibe with an upload, and "Songs for this photo" used on
            # a message 20 minutes ago (its token has expired by the time it is answered)
            dusk = fake.attachment("dusk.jpg", jpeg((40, 60, 140)), "image/jpeg")
            photo_id = await fake.post_message("friday night", [dusk])
            upload = fake.attachment("rain.jpg", jpeg((90, 90, 100)), "image/jpeg")
            options = [{"name": "image", "type": 11, "value": upload["id"]}]
            fresh = await fake.slash("vibe", options, {"attachments": {upload["id"]: upload}})
            beach = fake.attachment("sun.jpg", jpeg((250, 200, 40)), "image/jpeg")
            target_id = await fake.post_message("beach", [beach], deliver=False)
            stale = await fake.message_command(
                "Songs for this photo", fake.messages[target_id], age_s=STALE_S
            )
            for _ in range(1200):  # wait until all three are at the vision model
                if ollama.in_flight >= 3:
                    break
                await asyncio.sleep(0.05)
            assert ollama.in_flight >= 3, "the photos never reached the vision model"
            first.send_signal(signal.SIGKILL)
            assert await asyncio.wait_for(first.wait(), 30) == -signal.SIGKILL
            assert not discord_answers(fake, channel) and not discord_answers(fake, "/webhooks/")
            fake.expire_links("dusk.jpg", "sun.jpg")  # their message is read again for new ones

            second = await start_discord_bot(env, log)
            await wait_healthy(port, second)
            async with asyncio.timeout(REPLAY_WITHIN_S):
                while not replayed(fake, fresh):  # noqa: ASYNC110 (the fake has no event for it)
                    await asyncio.sleep(0.5)
            second.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(second.wait(), 120) == 0
    finally:
        for process in (first, second):
            if process is not None and process.returncode is None:
                process.kill()
                await process.wait()
        await fake.close()

    replies = {
        str(answer["message_reference"]["message_id"]): answer  # type: ignore[index]
        for answer in discord_answers(fake, channel)
    }
    assert set(replies) == {photo_id, target_id}, "each photo answered once, as a reply to it"
    note = REPLAYED_AS_MESSAGE.format(mention=f"<@{USER_ID}>")
    assert str(replies[target_id]["content"]).startswith(note)
    assert not str(replies[photo_id].get("content") or "").startswith(note)
    assert len(discord_answers(fake, f"/webhooks/{APP_ID}/{fresh}")) == 1
    assert not fake.find("POST", f"/webhooks/{APP_ID}/{stale}")
    text = log.read_text(errors="replace")
    assert text.count("left by a stopped process") == 3
    assert TOKEN not in text
