"""The Discord message path, with real discord.py against a local fake Discord."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.discord.adapter import PORTAL_STEPS
from handlers.texts import QUEUED, RESTARTING, SORRY
from support.fakes.bot_service import NOT_AN_IMAGE, RAINY_COLOUR, FakeBotService
from support.fakes.discord_api import FakeDiscord, running_bot
from support.fakes.discord_payloads import (
    BOT_USER,
    CHANNEL_ID,
    DM_CHANNEL_ID,
    MESSAGE_CONTENT_BIT,
    TOKEN,
    USER_ID,
)

JPEG = b"\xff\xd8\xff\xe0 a rainy window"
PNG = b"\x89PNG\r\n\x1a\n a beach"
PDF = b"%PDF-1.7 minutes of the meeting"


async def no_reply(fake: FakeDiscord, service: FakeBotService) -> None:
    """Give the bot time to (wrongly) answer, then check that it did not."""
    await asyncio.sleep(0.2)
    assert service.vibes == []
    assert fake.find("POST", "/messages") == []


async def test_guild_photo_is_answered_in_reply_with_the_embed_and_buttons(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    service = FakeBotService()
    async with running_bot(monkeypatch, service) as (fake, adapter):
        assert adapter.message_content
        photo = fake.attachment("rain.jpg", JPEG, "image/jpeg")
        message_id = await fake.post_message("rainy but hopeful", [photo])

        (sent,) = await fake.wait_for("POST", f"/channels/{CHANNEL_ID}/messages")

    (call,) = service.vibes
    assert [image.data for image in call.images] == [JPEG]
    assert call.images[0].mime_type == "image/jpeg" and call.words == "rainy but hopeful"
    assert (call.ctx.platform, call.ctx.user_id, call.ctx.chat_id) == (
        "discord",
        str(USER_ID),
        str(CHANNEL_ID),
    )
    assert call.ctx.is_group and call.ctx.user_name == "Ana"
    assert sent.json["message_reference"]["message_id"] == int(message_id)
    (embed,) = sent.json["embeds"]
    assert embed["title"] == "A rainy window at dusk: quiet, a little lonely"
    assert embed["color"] == RAINY_COLOUR
    assert (
        "[Holocene](https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC)" in embed["description"]
    )
    rows = [
        [button["custom_id"] for button in row["components"]] for row in sent.json["components"]
    ]
    assert rows == [["up:42", "down:42"], ["more:42", "diff:42"]]  # feedback, then new answers
    # a typing indicator showed while the service worked
    (typing,) = fake.find("POST", "/typing")
    assert typing.at <= sent.at


async def test_several_images_in_one_message_get_one_soundtrack(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    service = FakeBotService()
    async with running_bot(monkeypatch, service) as (fake, _):
        files = [
            fake.attachment("a.jpg", JPEG, "image/jpeg"),
            fake.attachment("notes.pdf", PDF, "application/pdf"),
            fake.attachment("b.png", PNG, "image/png"),
            fake.attachment("c.webp", b"RIFF....WEBP", None),  # no content type: by its name
        ]
        await fake.post_message("", files)
        await fake.wait_for("POST", "/messages")

    (call,) = service.vibes
    assert [image.filename for image in call.images] == ["a.jpg", "b.png", "c.webp"]
    assert len(fake.find("POST", "/messages")) == 1


async def test_plain_chat_and_the_bots_own_messages_are_ignored(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    service = FakeBotService()
    async with running_bot(monkeypatch, service) as (fake, _):
        await fake.post_message("anyone up for lunch?")
        pdf = fake.attachment("notes.pdf", PDF, "application/pdf")
        await fake.post_message("minutes", [pdf])
        photo = fake.attachment("rain.jpg", JPEG, "image/jpeg")
        await fake.post_message("", [photo], author=BOT_USER)
        await no_reply(fake, service)


async def test_lone_non_image_sent_to_the_bot_gets_the_services_refusal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    service = FakeBotService()
    async with running_bot(monkeypatch, service) as (fake, _):
        pdf = fake.attachment("notes.pdf", PDF, "application/pdf")
        await fake.post_message("", [pdf], mention_bot=True)
        (sent,) = await fake.wait_for("POST", "/messages")

    assert service.vibes[0].images[0].data == PDF
    assert sent.json["content"] == NOT_AN_IMAGE and not sent.json.get("embeds")


async def test_too_big_file_is_refused_without_downloading_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    service = FakeBotService()
    env = {"MELODICLENS_MAX_IMAGE_BYTES": "1000000"}
    async with running_bot(monkeypatch, service, env=env) as (fake, _):
        photo = fake.attachment("huge.jpg", JPEG.ljust(2_500_000, b"\0"), "image/jpeg")
        await fake.post_message("", [photo])
        (sent,) = await fake.wait_for("POST", "/messages")

    assert sent.json["content"] == ("That file is 2.5 MB; the limit is 1 MB. Send a smaller photo.")
    assert fake.downloads == [] and service.vibes == []


async def test_without_the_message_content_intent_mentions_and_dms_still_work(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.discord.adapter")
    service = FakeBotService()
    fake = FakeDiscord(message_content_allowed=False)
    async with running_bot(monkeypatch, service, fake=fake) as (fake, adapter):
        assert not adapter.message_content
        assert not fake.identifies[-1]["intents"] & MESSAGE_CONTENT_BIT
        # Discord strips the attachments of a photo that does not mention the bot
        await fake.post_message("", [fake.attachment("a.jpg", JPEG, "image/jpeg")])
        await no_reply(fake, service)

        photo = fake.attachment("b.jpg", JPEG, "image/jpeg")
        await fake.post_message("more upbeat", [photo], mention_bot=True)
        await fake.wait_for("POST", f"/channels/{CHANNEL_ID}/messages")
        await fake.post_message("", [fake.attachment("c.png", PNG, "image/png")], dm=True)
        await fake.wait_for("POST", f"/channels/{DM_CHANNEL_ID}/messages")

    mention, dm = service.vibes
    assert mention.words == "more upbeat" and mention.images[0].filename == "b.jpg"
    assert dm.images[0].data == PNG and not dm.ctx.is_group
    assert dm.ctx.chat_id == str(DM_CHANNEL_ID)
    warning = next(r.getMessage() for r in caplog.records if "Message Content" in r.getMessage())
    assert PORTAL_STEPS in warning and "mention" in warning


async def test_gateway_refusal_of_the_intent_reconnects_without_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The application flags claim the intent, but the gateway says 4014: believe the gateway.
    fake = FakeDiscord(message_content_allowed=False, portal_flag=True)
    service = FakeBotService()
    async with running_bot(monkeypatch, service, fake=fake) as (fake, adapter):
        assert not adapter.message_content
        first, second = fake.identifies
        assert first["intents"] & MESSAGE_CONTENT_BIT
        assert not second["intents"] & MESSAGE_CONTENT_BIT
        await fake.post_message("", [fake.attachment("a.jpg", JPEG, "image/jpeg")], dm=True)
        await fake.wait_for("POST", "/messages")
    assert len(service.vibes) == 1


async def test_mention_with_words_only_is_a_vibe_and_a_bare_mention_gets_help(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    service = FakeBotService()
    async with running_bot(monkeypatch, service) as (fake, _):
        await fake.post_message("late night drive", mention_bot=True)
        await fake.wait_for("POST", "/messages")
        await fake.post_message("", mention_bot=True)
        _, help_sent = await fake.wait_for("POST", "/messages", count=2)

    (call,) = service.vibes
    assert call.images == [] and call.words == "late night drive"
    assert help_sent.json["content"].startswith("Send me a photo")


async def test_service_failure_is_one_sentence_and_the_next_photo_is_answered(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    service = FakeBotService(fail_next=True)
    async with running_bot(monkeypatch, service) as (fake, _):
        await fake.post_message("", [fake.attachment("a.jpg", JPEG, "image/jpeg")])
        (failed,) = await fake.wait_for("POST", "/messages")
        await fake.post_message("", [fake.attachment("b.jpg", JPEG, "image/jpeg")])
        _, answered = await fake.wait_for("POST", "/messages", count=2)

    assert failed.json["content"] == SORRY["unexpected"] and "Traceback" not in SORRY["unexpected"]
    assert answered.json["embeds"][0]["title"].startswith("A rainy window")
    logged = [r for r in caplog.records if r.exc_info and "database exploded" in str(r.exc_info[1])]
    assert logged, "the failure is logged with its traceback"


async def test_queue_position_is_shown_then_removed_once_answered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    service = FakeBotService(queue_position=3)
    async with running_bot(monkeypatch, service) as (fake, _):
        await fake.post_message("", [fake.attachment("a.jpg", JPEG, "image/jpeg")])
        notice, answer = await fake.wait_for("POST", "/messages", count=2)
        (deleted,) = await fake.wait_for("DELETE", "/messages/")

    assert (
        notice.json["content"]
        == QUEUED.format(position=3)
        == ("You're #3 in line; your songs are on their way.")
    )
    assert answer.json["embeds"]
    assert deleted.at >= answer.at


async def test_stop_waits_for_accepted_photos_and_takes_no_new_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    service = FakeBotService(delay_s=0.4)
    async with running_bot(monkeypatch, service) as (fake, adapter):
        await fake.post_message("", [fake.attachment("a.jpg", JPEG, "image/jpeg")])
        await service.vibe_started.wait()
        stopping = asyncio.create_task(adapter.stop())
        await asyncio.sleep(0.05)
        assert not stopping.done()
        # a photo arriving while the bot drains is told to come back, not silently dropped
        await fake.post_message("", [fake.attachment("late.jpg", JPEG, "image/jpeg")])
        (told,) = await fake.wait_for("POST", "/messages")
        await stopping

        _, answered = fake.find("POST", "/messages")
        assert told.json["content"] == RESTARTING
        assert answered.json["embeds"], "the accepted photo was answered before disconnecting"
        assert len(service.vibes) == 1
        assert adapter.client is not None and adapter.client.is_closed()


async def test_a_channel_the_bot_cannot_post_in_does_not_stop_it_serving_others(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    service = FakeBotService()
    fake = FakeDiscord(refused_channels={CHANNEL_ID})
    async with running_bot(monkeypatch, service, fake=fake) as (fake, _):
        await fake.post_message("", [fake.attachment("a.jpg", JPEG, "image/jpeg")])
        await fake.wait_for("POST", f"/channels/{CHANNEL_ID}/messages")
        await fake.post_message("", [fake.attachment("b.jpg", JPEG, "image/jpeg")], dm=True)
        (answered,) = await fake.wait_for("POST", f"/channels/{DM_CHANNEL_ID}/messages")

    assert answered.json["embeds"]
    (logged,) = [r for r in caplog.records if r.getMessage().startswith("discord: unexpected")]
    assert logged.exc_info is not None and "Missing Permissions" in str(logged.exc_info[1])


async def test_notices_reach_a_channel_or_a_users_dms(monkeypatch: pytest.MonkeyPatch) -> None:
    async with running_bot(monkeypatch, FakeBotService()) as (fake, adapter):
        await adapter.send("discord", str(CHANNEL_ID), "Linked as Ana. Importing 913 tracks...")
        await adapter.send("discord", str(USER_ID), "Your Spotify link expired; link again.")
        await adapter.send("telegram", "1", "not for Discord")  # logged, never raised

    to_channel = fake.find("POST", f"/channels/{CHANNEL_ID}/messages")
    to_dm = fake.find("POST", f"/channels/{DM_CHANNEL_ID}/messages")
    assert [r.json["content"] for r in to_channel] == ["Linked as Ana. Importing 913 tracks..."]
    assert [r.json["content"] for r in to_dm] == ["Your Spotify link expired; link again."]
    assert "not for Discord" not in str([r.json for r in fake.requests])


async def test_without_read_message_history_the_answer_comes_beside_the_photo(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = FakeDiscord(refuse_replies=True)
    async with running_bot(monkeypatch, FakeBotService(), fake=fake) as (fake, _):
        await fake.post_message("", [fake.attachment("a.jpg", JPEG, "image/jpeg")])
        refused, sent = await fake.wait_for("POST", "/messages", count=2)

    assert refused.json["message_reference"] and "message_reference" not in sent.json
    assert sent.json["embeds"][0]["title"].startswith("A rainy window")


async def test_the_bot_token_never_reaches_the_log(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with running_bot(monkeypatch, FakeBotService()) as (fake, _):
        await fake.post_message("", [fake.attachment("a.jpg", JPEG, "image/jpeg")])
        await fake.wait_for("POST", "/messages")

    assert fake.identifies[0]["token"] == TOKEN, "the token did travel, to Discord only"
    assert TOKEN not in caplog.text
