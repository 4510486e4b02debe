"""Save as playlist from the chats: the button under a real answer, pressed through the real
Telegram and Discord adapters, makes the playlist on the fake Spotify with exactly the answer's
tracks in order, and the listener gets its link."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import build_bot_service, build_pipeline
from bot.settings import Settings, load_settings
from bot.telegram.adapter import TelegramAdapter
from db import spotify_links
from db.pool import Database
from db.users import upsert_user
from handlers.notifier import LogNotifier
from handlers.secrets import TokenCipher
from recsys.embedder import Embedder
from support.catalog_fixture import load_catalog
from support.fakes.discord_api import running_bot
from support.fakes.discord_payloads import APP_ID, USER_ID
from support.fakes.fake_ollama import STRUCTURED_ANSWERS, FakeOllama
from support.fakes.fake_spotify import (
    CLIENT_ID,
    CLIENT_SECRET,
    MODIFY_PRIVATE,
    READ_SCOPES,
    REDIRECT_URI,
    FakeSpotify,
    Grant,
    fictional_library,
)
from support.fakes.fake_telegram import (
    FakeTelegram,
    group_chat,
    private_chat,
    settings_for,
    user,
)
from tests.test_discord_end_to_end import dusk_photo, linked_ids

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.slow]

SECRET_KEY = "test-secret-key-0123456789abcdef"
TG_TRACK = re.compile(r'<a href="https://open\.spotify\.com/track/(\w{22})">')
ANA = user(4001, "Ana")
EPHEMERAL = 64


def spotify_env(fake: FakeSpotify) -> dict[str, str]:
    """Settings that point Spotify linking at the fake."""
    return {
        "SPOTIFY_CLIENT_ID": CLIENT_ID,
        "SPOTIFY_CLIENT_SECRET": CLIENT_SECRET,
        "SPOTIFY_REDIRECT_URI": REDIRECT_URI,
        "MELODICLENS_SPOTIFY_ACCOUNTS_URL": fake.url,
        "MELODICLENS_SPOTIFY_API_URL": f"{fake.url}/v1",
        "MELODICLENS_SECRET_KEY": SECRET_KEY,
    }


async def link_listener(db: Database, fake: FakeSpotify, platform: str, chat_user: str) -> None:
    """A listener linked with the current scopes (the OAuth dance is tested elsewhere)."""
    token = "access-save-test"
    fake.grants[token] = Grant("robin", "user", scope=f"{READ_SCOPES} {MODIFY_PRIVATE}")
    user_id = await upsert_user(db.pool, platform, chat_user, "Ana")
    cipher = TokenCipher([SECRET_KEY])
    async with db.pool.acquire() as conn:
        await spotify_links.save_link(
            conn,
            user_id,
            "robin",
            "Robin",
            cipher.encrypt(token),
            None,
            datetime.now(UTC) + timedelta(hours=1),
            f"{READ_SCOPES} {MODIFY_PRIVATE}",
            None,
        )


@pytest.fixture
async def spotify() -> AsyncIterator[FakeSpotify]:
    fake = FakeSpotify()
    fake.add_user("robin", fictional_library("Robin", sizes=(2,)))
    await fake.start()
    yield fake
    await fake.stop()


@asynccontextmanager
async def telegram_bot(
    db: Database, embedder: Embedder, spotify: FakeSpotify
) -> AsyncIterator[FakeTelegram]:
    """The real Telegram adapter and BotService, Spotify linking pointed at the fake."""
    async with FakeOllama(reply=STRUCTURED_ANSWERS["party"]) as ollama:
        telegram = FakeTelegram()
        await telegram.start()
        settings = settings_for(
            telegram, OLLAMA_HOST=ollama.url, MELODICLENS_TOP_N="4", **spotify_env(spotify)
        )
        service = build_bot_service(
            settings, db, build_pipeline(settings, db, embedder), LogNotifier()
        )
        adapter = TelegramAdapter(settings, service)
        await adapter.start()
        try:
            yield telegram
        finally:
            await adapter.stop()
            await telegram.stop()


async def test_telegram_save_button_makes_the_playlist_in_answer_order(
    db: Database, embedder: Embedder, tmp_path: Path, spotify: FakeSpotify
) -> None:
    await load_catalog(db, embedder, tmp_path)
    await link_listener(db, spotify, "telegram", str(ANA["id"]))
    async with telegram_bot(db, embedder, spotify) as telegram:
        telegram.photo(private_chat(ANA), ANA, "birthday night", color=(230, 40, 160))
        answer = await telegram.next_sent(within_s=60)
        shown = TG_TRACK.findall(answer.text)
        rec_id = answer.buttons[0][1].split(":")[1]
        assert ("Save as playlist", f"save:{rec_id}") in answer.buttons
        telegram.press(ANA, answer.message, f"save:{rec_id}")
        saved = await telegram.next_sent(within_s=30)
        assert (await telegram.next_call("answerCallbackQuery")).params.get("text") is None
        # a button naming the answer without its secret token saves nothing
        answer_id = rec_id.split("-")[0]
        telegram.press(ANA, answer.message, f"save:{answer_id}-forgedtoken0000000000")
        refused = (await telegram.next_call("answerCallbackQuery")).params
    assert refused["text"] == "That answer is no longer available. Send the photo again."
    [made] = spotify.created.values()
    assert len(shown) == 4 and made.track_ids == shown
    assert not made.public and made.name == "MelodicLens: birthday night"
    assert "Saved “MelodicLens: birthday night” to your Spotify: 4 songs, private." in saved.text
    assert ("Open playlist", f"https://open.spotify.com/playlist/{made.id}") in saved.buttons


async def test_in_a_telegram_group_the_playlist_link_goes_to_the_private_chat(
    db: Database, embedder: Embedder, tmp_path: Path, spotify: FakeSpotify
) -> None:
    await load_catalog(db, embedder, tmp_path)
    await link_listener(db, spotify, "telegram", str(ANA["id"]))
    group = group_chat()
    async with telegram_bot(db, embedder, spotify) as telegram:
        telegram.command(group, ANA, "/vibe birthday night")
        answer = await telegram.next_sent(within_s=60)
        rec_id = answer.buttons[0][1].split(":")[1]
        # Ana never pressed Start in a private chat: the group hears how to fix that
        telegram.forbidden_chats.add(ANA["id"])
        telegram.press(ANA, answer.message, f"save:{rec_id}")
        blocked = await telegram.next_sent(within_s=30)
        telegram.forbidden_chats.discard(ANA["id"])
        telegram.press(ANA, answer.message, f"save:{rec_id}")
        first, second = await telegram.next_sent(within_s=30), await telegram.next_sent()
    assert blocked.chat_id == group["id"] and "press Start" in blocked.text
    private = first if first.chat_id == ANA["id"] else second
    note = second if private is first else first
    assert "to your Spotify: 4 songs, private." in private.text
    assert note.chat_id == group["id"] and note.text == "I sent it to you in a private message."
    assert len(spotify.created) == 1  # the second press links the playlist the first made


async def test_discord_save_button_makes_the_playlist_and_answers_privately(
    monkeypatch: pytest.MonkeyPatch,
    db: Database,
    embedder: Embedder,
    tmp_path: Path,
    spotify: FakeSpotify,
) -> None:
    await load_catalog(db, embedder, tmp_path)
    await link_listener(db, spotify, "discord", str(USER_ID))
    async with FakeOllama(reply=STRUCTURED_ANSWERS["rainy_window"]) as ollama:
        settings: Settings = load_settings(None, OLLAMA_HOST=ollama.url, **spotify_env(spotify))
        pipeline = build_pipeline(settings, db, embedder)
        service = build_bot_service(settings, db, pipeline, LogNotifier())
        async with running_bot(monkeypatch, service) as (fake, _):
            photo = fake.attachment("dusk.jpg", dusk_photo(), "image/jpeg")
            await fake.post_message("", [photo])
            (sent,) = await fake.wait_for("POST", "/messages", within_s=30)
            shown = linked_ids(sent.json["embeds"][0])
            buttons = [
                b.get("custom_id") for row in sent.json["components"] for b in row["components"]
            ]
            rec_id = buttons[0].removeprefix("up:")
            assert f"save:{rec_id}" in buttons
            token = await fake.press(f"save:{rec_id}", fake.message_from(sent))
            (done,) = await fake.wait_for("POST", f"/webhooks/{APP_ID}/{token}", within_s=30)
    [made] = spotify.created.values()
    assert made.track_ids == shown and not made.public
    assert done.json["flags"] & EPHEMERAL and "to your Spotify" in done.json["content"]
    links = [b for row in done.json["components"] for b in row["components"] if b.get("url")]
    assert [(b["label"], b["url"]) for b in links] == [
        ("Open playlist", f"https://open.spotify.com/playlist/{made.id}")
    ]
