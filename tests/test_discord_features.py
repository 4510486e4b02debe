"""Discord: commands published only when changed (hash in the real database), "Songs for this
photo" on a message, the per-channel /auto switch, clickable command mentions in /help.
Real discord.py against the fake Discord."""

from __future__ import annotations

import asyncio
import json

import pytest

from db.pool import Database
from handlers.stores import DatabaseState
from handlers.texts import NO_PHOTO_THERE, SAID, SONGS_FOR_PHOTO
from support.fakes.bot_service import FakeBotService
from support.fakes.discord_api import FakeDiscord, running_bot
from support.fakes.discord_payloads import APP_ID, CHANNEL_ID, GUILD_ID, LISTENER, user_message

JPEG = b"\xff\xd8\xff\xe0 a small fictional photo"


def channel_message(fake: FakeDiscord, content: str, attachments: list) -> dict:
    """A member's message in the guild channel, as a context-menu command resolves it."""
    payload = user_message(fake.next_id(), str(CHANNEL_ID), LISTENER, content, attachments, [])
    return {**payload, "guild_id": str(GUILD_ID)}


async def test_a_restart_with_the_same_commands_does_not_publish_them(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = DatabaseState(db.pool)
    fake = FakeDiscord()
    async with running_bot(monkeypatch, FakeBotService(), fake=fake, state=state) as (_, first):
        ids = dict(first.command_ids)
    assert len(fake.find("PUT", f"/applications/{APP_ID}/commands")) == 1
    published = fake.published
    again = FakeDiscord(published=published)  # Discord still holds what was published
    async with running_bot(monkeypatch, FakeBotService(), fake=again, state=state) as (_, bot):
        assert bot.command_ids == ids
    assert again.find("PUT", "/commands") == [] and len(again.find("GET", "/commands")) == 1


async def test_songs_for_this_photo_on_a_message(monkeypatch: pytest.MonkeyPatch) -> None:
    service = FakeBotService()
    async with running_bot(monkeypatch, service) as (fake, _):
        photo = fake.attachment("dusk.jpg", JPEG, "image/jpeg")
        target = channel_message(fake, "golden hour on the pier", [photo])
        token = await fake.message_command(SONGS_FOR_PHOTO, target)
        (answer,) = await fake.wait_for("POST", f"/webhooks/{APP_ID}/{token}")
    (call,) = service.vibes
    assert [image.data for image in call.images] == [JPEG]
    assert call.words == "golden hour on the pier" and call.ctx.chat_id == str(CHANNEL_ID)
    assert answer.json["embeds"]  # the answer, in the channel


async def test_songs_for_this_photo_on_a_message_without_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    service = FakeBotService()
    async with running_bot(monkeypatch, service) as (fake, _):
        await fake.message_command(SONGS_FOR_PHOTO, channel_message(fake, "just words", []))
        (callback,) = await fake.wait_for("POST", "/callback")
    assert callback.json["data"]["content"] == NO_PHOTO_THERE
    assert callback.json["data"]["flags"] & 64  # only the asker sees it
    assert service.vibes == []


async def test_auto_off_in_a_channel_answers_only_mentions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    service = FakeBotService()
    async with running_bot(monkeypatch, service) as (fake, _):
        photo = fake.attachment("a.jpg", JPEG, "image/jpeg")
        await fake.post_message("", [photo])
        await fake.wait_for("POST", f"/channels/{CHANNEL_ID}/messages")  # on by default
        token = await fake.slash("auto", [{"name": "state", "type": 3, "value": "off"}])
        await fake.wait_for("POST", f"/webhooks/{APP_ID}/{token}")
        assert service.calls[-1] == "set_auto:False"
        await fake.post_message("", [fake.attachment("b.jpg", JPEG, "image/jpeg")])
        await asyncio.sleep(0.3)
        assert len(service.vibes) == 1  # not answered: auto is off here
        await fake.post_message(
            "", [fake.attachment("c.jpg", JPEG, "image/jpeg")], mention_bot=True
        )
        await fake.wait_for("POST", f"/channels/{CHANNEL_ID}/messages", count=2)
    assert len(service.vibes) == 2


async def test_auto_needs_manage_channels(monkeypatch: pytest.MonkeyPatch) -> None:
    service = FakeBotService()
    async with running_bot(monkeypatch, service) as (fake, _):
        options = [{"name": "state", "type": 3, "value": "off"}]
        await fake.slash("auto", options, permissions="2048")  # Send Messages only
        (callback,) = await fake.wait_for("POST", "/callback")
    assert callback.json["data"]["content"] == SAID["auto_needs_manage_channels"]
    assert not any(call.startswith("set_auto") for call in service.calls)


async def test_help_names_are_clickable_mentions(monkeypatch: pytest.MonkeyPatch) -> None:
    service = FakeBotService()
    async with running_bot(monkeypatch, service) as (fake, _):
        await fake.slash("help")
        (callback,) = await fake.wait_for("POST", "/callback")
    shown = json.dumps(callback.json)
    assert f"</vibe:{fake.command_id('vibe')}>" in shown
    assert f"</link-spotify:{fake.command_id('link-spotify')}>" in shown
    assert "/vibe," not in shown  # every known name became a mention
