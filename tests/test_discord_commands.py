"""Slash commands and buttons, driven through real discord.py by a local fake Discord."""

from __future__ import annotations

import discord
import pytest

from bot.discord.adapter import DiscordStartError
from handlers.texts import SORRY
from support.fakes.bot_service import AUTHORIZE_URL, RAINY_COLOUR, FakeBotService
from support.fakes.discord_api import FakeDiscord, running_bot
from support.fakes.discord_payloads import APP_ID, CHANNEL_ID, USER_ID

JPEG = b"\xff\xd8\xff\xe0 a rainy window"
EPHEMERAL = 64
# Interaction callback types (Discord API): 4 message, 5 deferred message, 6 deferred update.
MESSAGE, DEFERRED_MESSAGE, DEFERRED_UPDATE = 4, 5, 6


def image_option(fake: FakeDiscord) -> tuple[list[dict[str, object]], dict[str, object]]:
    """The options and resolved data of `/vibe image:<rain.jpg> words:hopeful`."""
    attachment = fake.attachment("rain.jpg", JPEG, "image/jpeg")
    options = [
        {"name": "image", "type": 11, "value": attachment["id"]},
        {"name": "words", "type": 3, "value": "hopeful"},
    ]
    return options, {"attachments": {attachment["id"]: attachment}}


async def test_commands_are_published_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    async with running_bot(monkeypatch, FakeBotService()) as (fake, _):
        (sync,) = fake.find("PUT", f"/applications/{APP_ID}/commands")

    commands = {command["name"]: command for command in sync.json}
    assert set(commands) == {
        "vibe", "link-spotify", "unlink-spotify", "forget-me", "help", "blend", "auto",
        "language", "Songs for this photo",
    }  # fmt: skip
    assert commands["Songs for this photo"]["type"] == 3  # a message context-menu command
    manage_channels = 1 << 4
    assert int(commands["auto"]["default_member_permissions"]) == manage_channels
    vibe_options = {o["name"]: o for o in commands["vibe"]["options"]}
    assert vibe_options["image"]["type"] == 11 and not vibe_options["image"].get("required")
    assert vibe_options["words"]["max_length"] == 300
    blend_choices = [c["value"] for c in commands["blend"]["options"][0]["choices"]]
    assert blend_choices == ["on", "off"]


async def test_vibe_is_deferred_before_the_slow_service_answers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    service = FakeBotService(delay_s=0.3)
    async with running_bot(monkeypatch, service) as (fake, _):
        options, resolved = image_option(fake)
        token = await fake.slash("vibe", options, resolved)
        (followup,) = await fake.wait_for("POST", f"/webhooks/{APP_ID}/{token}")

    (defer,) = fake.find("POST", "/callback")
    assert defer.json["type"] == DEFERRED_MESSAGE
    assert defer.at < service.finished[0] <= followup.at
    (call,) = service.vibes
    assert call.images[0].data == JPEG and call.words == "hopeful"
    assert (call.ctx.user_id, call.ctx.chat_id) == (str(USER_ID), str(CHANNEL_ID))
    (embed,) = followup.json["embeds"]
    assert embed["color"] == RAINY_COLOUR and "open.spotify.com/track/" in embed["description"]
    assert not followup.json.get("flags", 0) & EPHEMERAL
    labels = [b["label"] for row in followup.json["components"] for b in row["components"]]
    assert labels == ["👍", "👎", "More like this", "Different vibe"]


async def test_vibe_with_words_only_needs_no_image(monkeypatch: pytest.MonkeyPatch) -> None:
    service = FakeBotService()
    async with running_bot(monkeypatch, service) as (fake, _):
        token = await fake.slash("vibe", [{"name": "words", "type": 3, "value": "sunny road trip"}])
        await fake.wait_for("POST", f"/webhooks/{APP_ID}/{token}")

    (call,) = service.vibes
    assert call.images == [] and call.words == "sunny road trip"


async def test_link_spotify_answers_only_the_asker_with_the_link(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    service = FakeBotService()
    async with running_bot(monkeypatch, service) as (fake, _):
        token = await fake.slash("link-spotify")
        (followup,) = await fake.wait_for("POST", f"/webhooks/{APP_ID}/{token}")

    (defer,) = fake.find("POST", "/callback")
    assert defer.json["type"] == DEFERRED_MESSAGE and defer.json["data"]["flags"] & EPHEMERAL
    assert followup.json["flags"] & EPHEMERAL
    assert AUTHORIZE_URL in followup.json["content"]
    (link_button,) = followup.json["components"][0]["components"]
    assert link_button["url"] == AUTHORIZE_URL
    assert service.calls == ["link_spotify"]
    # the "Linked as NAME" notice will go to the asker's DMs, not the server channel
    (ctx,) = service.link_contexts
    assert ctx.chat_id == ctx.user_id == str(USER_ID) and not ctx.is_group


@pytest.mark.parametrize(
    ("command", "options", "call", "text"),
    [
        ("unlink-spotify", None, "unlink_spotify", "Spotify unlinked"),
        ("forget-me", None, "forget_me", "Deleted: your link, 913 library songs"),
        ("blend", [{"name": "state", "type": 3, "value": "on"}], "set_blend:True", "blends"),
    ],
)
async def test_personal_commands_answer_privately(
    monkeypatch: pytest.MonkeyPatch,
    command: str,
    options: list[dict[str, object]] | None,
    call: str,
    text: str,
) -> None:
    service = FakeBotService()
    async with running_bot(monkeypatch, service) as (fake, _):
        token = await fake.slash(command, options)
        (followup,) = await fake.wait_for("POST", f"/webhooks/{APP_ID}/{token}")

    assert service.calls == [call]
    assert text in followup.json["content"] and followup.json["flags"] & EPHEMERAL


async def test_help_answers_at_once_and_privately(monkeypatch: pytest.MonkeyPatch) -> None:
    async with running_bot(monkeypatch, FakeBotService()) as (fake, _):
        await fake.slash("help")
        (response,) = await fake.wait_for("POST", "/callback")

    assert response.json["type"] == MESSAGE
    assert response.json["data"]["content"].startswith("Send me a photo")
    assert response.json["data"]["flags"] & EPHEMERAL


async def test_a_failing_command_gets_one_private_sentence_and_a_logged_traceback(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    service = FakeBotService(help_fails=True)
    async with running_bot(monkeypatch, service) as (fake, _):
        await fake.slash("help")
        (response,) = await fake.wait_for("POST", "/callback")
        token = await fake.slash("vibe", [{"name": "words", "type": 3, "value": "still works"}])
        await fake.wait_for("POST", f"/webhooks/{APP_ID}/{token}")

    assert (
        response.json["data"]["content"] == SORRY["unexpected"]
        and response.json["data"]["flags"] & EPHEMERAL
    )
    (logged,) = [r for r in caplog.records if r.getMessage() == "discord: /help failed"]
    assert logged.exc_info is not None
    assert "help text missing" in str(getattr(logged.exc_info[1], "__cause__", None))
    assert service.vibes[0].words == "still works"


async def test_buttons_on_an_answer_give_feedback_privately_and_more_publicly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    service = FakeBotService()
    async with running_bot(monkeypatch, service) as (fake, _):
        await fake.post_message("", [fake.attachment("rain.jpg", JPEG, "image/jpeg")])
        (sent,) = await fake.wait_for("POST", "/messages")
        answer = fake.message_from(sent)

        up_token = await fake.press("up:42", answer)
        (thanks,) = await fake.wait_for("POST", f"/webhooks/{APP_ID}/{up_token}")
        more_token = await fake.press("more:42", answer)
        (more,) = await fake.wait_for("POST", f"/webhooks/{APP_ID}/{more_token}")

    assert [action for _, action in service.presses] == ["up:42", "more:42"]
    assert service.presses[0][0].user_id == str(USER_ID)
    assert [r.json["type"] for r in fake.find("POST", "/callback")] == [DEFERRED_UPDATE] * 2
    assert thanks.json["content"] == "Thanks, noted." and thanks.json["flags"] & EPHEMERAL
    assert not more.json.get("flags", 0) & EPHEMERAL
    assert more.json["components"][1]["components"][0]["custom_id"] == "more:142"


async def test_queued_vibe_shows_its_place_then_the_answer_in_the_same_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    service = FakeBotService(queue_position=2)
    async with running_bot(monkeypatch, service) as (fake, _):
        token = await fake.slash("vibe", [{"name": "words", "type": 3, "value": "rain"}])
        edits = await fake.wait_for("PATCH", f"/webhooks/{APP_ID}/{token}/messages/@original", 2)

    assert edits[0].json["content"] == "You're #2 in line; your songs are on their way."
    assert edits[1].json["content"] is None and edits[1].json["embeds"]


async def test_a_bad_token_stops_start_with_a_sentence_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = FakeDiscord()
    await fake.start()
    fake.patch(monkeypatch)
    from bot.discord.adapter import DiscordAdapter
    from bot.settings import Settings

    settings = Settings(_env_file=None, DISCORD_TOKEN="not-the-token")  # type: ignore[call-arg]
    adapter = DiscordAdapter(settings, FakeBotService())
    try:
        with pytest.raises(DiscordStartError, match="Discord refused DISCORD_TOKEN"):
            await adapter.start()
    finally:
        await fake.close()


async def test_shard_settings_start_a_sharded_client(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {"MELODICLENS_DISCORD_SHARD_COUNT": "2", "MELODICLENS_DISCORD_SHARD_IDS": "0"}
    service = FakeBotService()
    async with running_bot(monkeypatch, service, env=env) as (fake, adapter):
        assert isinstance(adapter.client, discord.AutoShardedClient)
        assert adapter.client.shard_ids == [0]
        await fake.post_message("", [fake.attachment("rain.jpg", JPEG, "image/jpeg")])
        await fake.wait_for("POST", "/messages")

    assert fake.identifies[-1]["shard"] == [0, 2]
    assert len(service.vibes) == 1


async def test_plain_client_without_shard_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    async with running_bot(monkeypatch, FakeBotService()) as (fake, adapter):
        assert not isinstance(adapter.client, discord.AutoShardedClient)
        assert "shard" not in fake.identifies[-1]


def test_shard_ids_without_a_count_are_refused_with_the_variables_named() -> None:
    from bot.discord.client import build_bot
    from bot.lifecycle import Lifecycle
    from bot.settings import Settings

    def build_client(settings: Settings, message_content: bool) -> None:
        build_bot(settings, FakeBotService(), Lifecycle("discord"), (), message_content)

    settings = Settings(_env_file=None, MELODICLENS_DISCORD_SHARD_IDS="0,1")  # type: ignore[call-arg]
    with pytest.raises(DiscordStartError, match="MELODICLENS_DISCORD_SHARD_COUNT"):
        build_client(settings, message_content=True)
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, MELODICLENS_DISCORD_SHARD_IDS="0,5", MELODICLENS_DISCORD_SHARD_COUNT="2"
    )
    with pytest.raises(DiscordStartError, match="between 0 and 1"):
        build_client(settings, message_content=True)
