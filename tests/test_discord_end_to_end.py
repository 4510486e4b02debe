"""Discord end to end: real discord.py -> DiscordAdapter -> real DefaultBotService, pipeline and
recommender on the real PostgreSQL, with a fake Ollama and a fake Discord on loopback."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from PIL import Image

from bot.app import build_bot_service, build_pipeline
from bot.settings import Settings
from db.pool import Database
from recsys.embedder import Embedder
from support.catalog_fixture import MOODS, fake_spotify_id, load_catalog
from support.fakes.discord_api import running_bot
from support.fakes.discord_payloads import APP_ID
from support.fakes.fake_ollama import STRUCTURED_ANSWERS, FakeOllama

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.slow]

EPHEMERAL = 64
TRACK_LINK = re.compile(r"\*\*(\d+)\. \[[^\n]+?\]\(https://open\.spotify\.com/track/(\w{22})\)\*\*")
# A dusky blue, so the embed's colour can be checked against the photo.
DUSK_BLUE = (40, 60, 140)


def dusk_photo() -> bytes:
    """A small JPEG, dusky blue all over."""
    buffer = io.BytesIO()
    Image.new("RGB", (160, 120), DUSK_BLUE).save(buffer, "JPEG")
    return buffer.getvalue()


def linked_ids(embed: dict[str, object]) -> list[str]:
    """The Spotify ids in an answer embed, in their numbered order."""
    found = TRACK_LINK.findall(str(embed["description"]))
    assert [int(number) for number, _ in found] == list(range(1, len(found) + 1))
    return [spotify_id for _, spotify_id in found]


async def test_photo_answer_and_buttons_through_the_real_service(
    monkeypatch: pytest.MonkeyPatch, db: Database, embedder: Embedder, tmp_path: Path
) -> None:
    await load_catalog(db, embedder, tmp_path)
    catalog_ids = {fake_spotify_id(n) for n in range(len(MOODS))}
    async with FakeOllama(reply=STRUCTURED_ANSWERS["rainy_window"]) as ollama:
        settings = Settings(_env_file=None, OLLAMA_HOST=ollama.url)  # type: ignore[call-arg]
        service = build_bot_service(settings, db, build_pipeline(settings, db, embedder))
        async with running_bot(monkeypatch, service) as (fake, _):
            photo = fake.attachment("dusk.jpg", dusk_photo(), "image/jpeg")
            await fake.post_message("", [photo])
            (sent,) = await fake.wait_for("POST", "/messages", within_s=30)
            answer = fake.message_from(sent)
            (embed,) = sent.json["embeds"]
            first = linked_ids(embed)
            buttons = [b["custom_id"] for row in sent.json["components"] for b in row["components"]]
            rec_id = buttons[0].removeprefix("up:")  # "<answer id>-<press token>"

            down = await fake.press(f"down:{rec_id}", answer)
            (ack,) = await fake.wait_for("POST", f"/webhooks/{APP_ID}/{down}", within_s=30)
            more = await fake.press(f"more:{rec_id}", answer)
            (again,) = await fake.wait_for("POST", f"/webhooks/{APP_ID}/{more}", within_s=30)

    assert len(ollama.chat_requests) == 1, "the photo went to the vision model once"
    assert embed["title"] and len(first) == settings.top_n and set(first) <= catalog_ids
    red, green, blue = (
        (embed["color"] >> 16) & 255,
        (embed["color"] >> 8) & 255,
        embed["color"] & 255,
    )
    assert blue > red and blue > green, "the embed takes the photo's colour"
    assert buttons == [
        f"{verb}:{rec_id}" for verb in ("up", "down", "more", "diff", "calm", "lively")
    ]
    stored = await db.pool.fetchval(
        "SELECT count(*) FROM recommendations WHERE id = $1", int(rec_id.split("-")[0])
    )
    assert stored == 1
    assert ack.json["flags"] & EPHEMERAL and "won't get those songs" in ack.json["content"]
    (more_embed,) = again.json["embeds"]
    second = linked_ids(more_embed)
    assert second and not set(second) & set(first), "more like this shows new songs"
    feedback = await db.pool.fetch("SELECT kind FROM feedback ORDER BY id")
    assert [row["kind"] for row in feedback] == ["down", "more"]
