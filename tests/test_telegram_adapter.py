"""The Telegram adapter end to end: real python-telegram-bot against the fake Bot API server."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.settings import load_settings
from bot.telegram import outbox as telegram_outbox
from bot.telegram.adapter import TelegramAdapter, TelegramSetupError
from handlers.replies import Reply
from handlers.texts import SORRY
from support.fakes.fake_telegram import (
    BOT_USERNAME,
    TOKEN,
    FakeTelegram,
    Sent,
    group_chat,
    jpeg,
    private_chat,
    settings_for,
    user,
)
from support.fakes.fake_telegram_service import FakeService, buttons

ANA = user(1001, "Ana")
BEN = user(1002, "Ben")
GROUP = group_chat(-100777, "Friends")
# What the fake service's answer must look like in Telegram HTML, character for character.
ANSWER = (
    "🎧 <b>Neon night, 1 photo(s) &lt;wild &amp; free&gt;</b>\n\n"
    '1. <a href="https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC">'
    "Rock &amp; Roll &lt;Live&gt;</a> · AC/DC\n"
    "<i>energy · party</i> — Loud &amp; bright, like the &quot;crowd&quot; in your photo\n\n"
    '2. <a href="https://open.spotify.com/track/7ouMYWpwJ422jRcDASZB7P">Holocene</a> · Bon Iver\n'
    "<i>calm · nature</i> — Quiet and wide, from your playlist Night Drives\n\n"
    '3. <a href="https://open.spotify.com/track/0VjIjW4GlUZAMYd2vXMi3b">Blinding Lights</a>'
    " · The Weeknd\n"
    "<i>energy</i> — City lights at night"
)


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    """The fake Bot API server; Ana administers the group, Ben does not."""
    async with FakeTelegram(admins={GROUP["id"]: {ANA["id"]}}) as server:
        yield server


@pytest.fixture
def service() -> FakeService:
    """The hand-written BotService."""
    return FakeService()


@pytest.fixture
async def bot(fake: FakeTelegram, service: FakeService) -> AsyncIterator[TelegramAdapter]:
    """The adapter, polling the fake server."""
    adapter = TelegramAdapter(settings_for(fake), service)
    await adapter.start()
    yield adapter
    await adapter.stop()


async def answer_to(fake: FakeTelegram, message: dict[str, Any]) -> Sent:
    """The bot's next message, checked to be a reply to `message`."""
    sent = await fake.next_sent()
    assert sent.reply_to == message["message_id"]
    return sent


async def nothing_more(fake: FakeTelegram, wait_s: float = 0.3) -> None:
    """Assert the bot sends nothing else."""
    await asyncio.sleep(wait_s)
    assert fake.sent_pending() == 0


async def test_start_registers_commands_per_scope_and_polls(
    fake: FakeTelegram, bot: TelegramAdapter
):
    # the menus everyone gets (no language_code); each language has its own copy as well
    menus = {scope: list(commands) for (scope, code), commands in fake.menus().items() if not code}
    private = ["vibe", "link_spotify", "unlink_spotify", "forget_me", "language", "help"]
    assert menus == {
        "default": private,
        "all_private_chats": private,  # nothing about groups in a private chat
        "all_group_chats": [
            "vibe", "auto", "blend", "link_spotify", "unlink_spotify", "forget_me", "language",
            "help"
        ],
    }  # fmt: skip
    assert fake.calls_of("deleteWebhook"), "polling must clear any webhook first"
    await fake.next_call("getUpdates")


async def test_start_sets_the_description_a_new_user_reads(
    fake: FakeTelegram, bot: TelegramAdapter
):
    # the one every language without its own description falls back to
    [description] = [
        c for c in fake.calls_of("setMyDescription") if not c.params.get("language_code")
    ]
    [short] = [
        c for c in fake.calls_of("setMyShortDescription") if not c.params.get("language_code")
    ]
    assert description.params["description"].startswith("Send me a photo")
    assert len(description.params["description"]) <= 512
    assert "Spotify" in short.params["short_description"]
    assert len(short.params["short_description"]) <= 120


async def test_photo_gets_exact_html_answer_replying_to_it(
    fake: FakeTelegram, service: FakeService, bot: TelegramAdapter
):
    photo = fake.photo(private_chat(ANA), ANA, "rainy & <b>moody</b>")
    sent = await fake.next_sent()
    assert sent.text == ANSWER
    assert sent.parse_mode == "HTML"
    assert sent.reply_to == photo["message_id"]
    assert sent.chat_id == ANA["id"]
    assert sent.buttons == buttons(41)
    call = service.vibes[0]
    assert call.sizes == [(1280, 853)], "the largest PhotoSize is downloaded"
    assert call.words == "rainy & <b>moody</b>"
    assert call.images[0].mime_type == "image/jpeg"
    assert (call.ctx.platform, call.ctx.user_id, call.ctx.chat_id) == ("telegram", "1001", "1001")
    assert call.ctx.user_name == "Ana" and not call.ctx.is_group
    action = fake.calls_of("sendChatAction")[0].params
    assert (action["chat_id"], action["action"]) == (ANA["id"], "typing")
    await nothing_more(fake)


async def test_typing_is_renewed_while_the_answer_takes_long(
    fake: FakeTelegram, service: FakeService, bot: TelegramAdapter, monkeypatch
):
    monkeypatch.setattr(telegram_outbox, "TYPING_REPEAT_S", 0.1)
    service.delay_s = 0.55
    fake.photo(private_chat(ANA), ANA)
    await fake.next_sent()
    assert len(fake.calls_of("sendChatAction")) >= 4


async def test_image_sent_as_file_is_answered(
    fake: FakeTelegram, service: FakeService, bot: TelegramAdapter
):
    data = jpeg(640, 480)
    doc = fake.document(private_chat(ANA), ANA, data, "image/png", "beach.png", "summer")
    sent = await answer_to(fake, doc)
    assert sent.buttons == buttons(41)
    image = service.vibes[0].images[0]
    assert (image.data, image.filename, image.mime_type) == (data, "beach.png", "image/png")
    assert service.vibes[0].words == "summer"


async def test_non_image_file_gets_the_services_refusal(
    fake: FakeTelegram, service: FakeService, bot: TelegramAdapter
):
    doc = fake.document(private_chat(ANA), ANA, b"%PDF-1.7 ...", "application/pdf", "cv.pdf")
    sent = await fake.next_sent()
    assert sent.text == "That file isn&#x27;t an image I can read."
    assert sent.reply_to == doc["message_id"]
    assert sent.markup is None
    assert service.vibes[0].images[0].filename == "cv.pdf"


async def test_file_over_20_mb_is_refused_before_download(
    fake: FakeTelegram, service: FakeService, bot: TelegramAdapter
):
    chat = private_chat(ANA)
    fake.document(chat, ANA, jpeg(64, 64), "image/jpeg", "huge.jpg", size=25_000_000)
    sent = await fake.next_sent()
    assert sent.text == (
        "That file is bigger than the 20 MB a bot can download from Telegram; "
        "please send it as a photo or a smaller image."
    )
    assert not service.vibes and not fake.calls_of("getFile")


async def test_getfile_too_big_error_becomes_the_same_sentence(
    fake: FakeTelegram, service: FakeService, bot: TelegramAdapter
):
    chat = private_chat(ANA)
    fake.document(chat, ANA, jpeg(64, 64), "image/jpeg", "a.jpg", refuse_too_big=True)
    sent = await fake.next_sent()
    assert sent.text.startswith("That file is bigger than the 20 MB")
    assert not service.vibes


async def test_album_gets_one_answer_with_every_photo(
    fake: FakeTelegram, service: FakeService, bot: TelegramAdapter
):
    chat = private_chat(ANA)
    first = fake.photo(chat, ANA, "our trip", media_group_id="A1", color=(200, 0, 0))
    await asyncio.sleep(0.15)
    fake.photo(chat, ANA, media_group_id="A1", color=(0, 200, 0))
    await asyncio.sleep(0.15)
    fake.photo(chat, ANA, media_group_id="A1", color=(0, 0, 200))
    sent = await answer_to(fake, first)
    assert len(service.vibes) == 1
    assert service.vibes[0].sizes == [(1280, 853)] * 3
    assert service.vibes[0].words == "our trip"
    assert sent.text.startswith("🎧 <b>Neon night, 3 photo(s)")
    await nothing_more(fake, 0.6)


async def test_group_photo_needs_a_mention_or_a_reply(
    fake: FakeTelegram, service: FakeService, bot: TelegramAdapter
):
    fake.photo(GROUP, ANA, "just our lunch")
    mentioned = fake.photo(GROUP, BEN, f"@{BOT_USERNAME} play something for this")
    sent = await fake.next_sent()
    assert sent.reply_to == mentioned["message_id"] and sent.chat_id == GROUP["id"]
    assert [v.words for v in service.vibes] == ["play something for this"]
    assert service.vibes[0].ctx.is_group and service.vibes[0].ctx.chat_id == str(GROUP["id"])
    replying = fake.photo(GROUP, ANA, "and this one?", reply_to=sent.message)
    sent = await answer_to(fake, replying)
    await nothing_more(fake)
    assert len(service.vibes) == 2


async def test_auto_on_answers_every_group_photo_until_off(
    fake: FakeTelegram, service: FakeService, bot: TelegramAdapter
):
    sent = await answer_to(fake, fake.command(GROUP, ANA, "/auto on"))
    assert sent.text == "OK, I&#x27;ll answer every photo here."
    await answer_to(fake, fake.photo(GROUP, BEN, "sunset"))
    fake.command(GROUP, ANA, "/auto off")
    await fake.next_sent()
    fake.photo(GROUP, BEN, "another")
    fake.document(GROUP, BEN, b"%PDF", "application/pdf", "notes.pdf")
    await nothing_more(fake, 0.5)
    assert len(service.vibes) == 1


async def test_auto_without_on_or_off_explains_usage(fake: FakeTelegram, bot: TelegramAdapter):
    fake.command(GROUP, ANA, "/auto")
    assert (await fake.next_sent()).text == "Use /auto on or /auto off."


async def test_only_group_admins_may_switch_auto(
    fake: FakeTelegram, service: FakeService, bot: TelegramAdapter
):
    refusal = await answer_to(fake, fake.command(GROUP, BEN, "/auto on"))
    assert refusal.text == "Only this group&#x27;s admins can turn auto mode on or off."
    asked = fake.calls_of("getChatMember")[-1].params
    assert (asked["chat_id"], asked["user_id"]) == (GROUP["id"], BEN["id"])
    assert not any(call[0] == "set_auto" for call in service.calls)
    fake.command(private_chat(BEN), BEN, "/auto on")  # a private chat has nothing to switch
    assert (await fake.next_sent()).text != refusal.text


async def test_start_and_help(fake: FakeTelegram, bot: TelegramAdapter):
    fake.command(private_chat(ANA), ANA, "/start")
    sent = await fake.next_sent()
    assert sent.text == "Send me a photo and I&#x27;ll answer with songs &lt;3"
    assert sent.reply_to is None, "private commands are answered without quoting"
    fake.command(private_chat(ANA), ANA, "/help")
    assert (await fake.next_sent()).text == sent.text


async def test_vibe_with_words_needs_no_photo(
    fake: FakeTelegram, service: FakeService, bot: TelegramAdapter
):
    command = fake.command(private_chat(ANA), ANA, "/vibe rainy night drive")
    sent = await answer_to(fake, command)
    assert sent.buttons == buttons(41)
    assert service.vibes[0].words == "rainy night drive" and service.vibes[0].images == []


async def test_vibe_replying_to_a_photo_uses_that_photo(
    fake: FakeTelegram, service: FakeService, bot: TelegramAdapter
):
    photo = fake.photo(GROUP, ANA, "holiday")
    fake.command(GROUP, BEN, "/vibe more upbeat", reply_to=photo)
    await answer_to(fake, photo)
    assert service.vibes[-1].sizes == [(1280, 853)]
    assert service.vibes[-1].words == "more upbeat"
    assert service.vibes[-1].ctx.user_id == str(BEN["id"])


async def test_account_commands_pass_through(
    fake: FakeTelegram, service: FakeService, bot: TelegramAdapter
):
    fake.command(private_chat(ANA), ANA, "/unlink_spotify")
    assert (await fake.next_sent()).text.startswith("Spotify unlinked")
    fake.command(private_chat(ANA), ANA, "/forget_me")
    sent = await fake.next_sent()
    assert sent.text == "Deleted: your Spotify link, 3 answers and 2 ratings."
    fake.command(GROUP, ANA, "/blend on")
    assert (
        await fake.next_sent()
    ).text == "Your library now blends into this group&#x27;s answers."
    names = [name for name, _ in service.calls]
    assert names == ["unlink_spotify", "forget_me", "set_blend"]
    assert service.calls[2][1][1] is True and service.calls[2][1][0].is_group


async def test_link_spotify_in_private_chat(
    fake: FakeTelegram, service: FakeService, bot: TelegramAdapter
):
    fake.command(private_chat(ANA), ANA, "/link_spotify")
    sent = await fake.next_sent()
    url = "https://accounts.spotify.com/authorize?client_id=abc&amp;state=s1&amp;code_challenge=x"
    assert sent.text == (
        "Open this link to connect your Spotify account (valid for 10 minutes).\n"
        f'<a href="{url}">Connect Spotify</a>'
    )
    assert sent.buttons == [("Connect Spotify", url.replace("&amp;", "&"))]
    ctx = service.calls[0][1]
    assert (ctx.chat_id, ctx.is_group) == ("1001", False)


async def test_link_spotify_in_group_goes_to_a_private_message(
    fake: FakeTelegram, service: FakeService, bot: TelegramAdapter
):
    command = fake.command(GROUP, ANA, "/link_spotify")
    dm = await fake.next_sent()
    assert dm.chat_id == ANA["id"] and "accounts.spotify.com/authorize" in dm.text
    note = await fake.next_sent()
    assert note.chat_id == GROUP["id"] and note.reply_to == command["message_id"]
    assert note.text == "I sent you the Spotify link in a private message."
    assert "authorize" not in note.text, "the link never shows in the group"


async def test_link_spotify_refusal_in_group_is_said_in_the_group(
    fake: FakeTelegram, service: FakeService, bot: TelegramAdapter, monkeypatch
):
    async def not_configured(ctx: object) -> Reply:
        return Reply(kind="error", text="Spotify linking isn't set up on this bot.")

    monkeypatch.setattr(service, "link_spotify", not_configured)
    command = fake.command(GROUP, ANA, "/link_spotify")
    sent = await fake.next_sent()
    assert (sent.chat_id, sent.reply_to) == (GROUP["id"], command["message_id"])
    assert sent.text == "Spotify linking isn&#x27;t set up on this bot."
    await nothing_more(fake)


async def test_link_spotify_in_group_when_the_bot_cannot_dm(
    fake: FakeTelegram, bot: TelegramAdapter
):
    fake.forbidden_chats.add(BEN["id"])
    fake.command(GROUP, BEN, "/link_spotify")
    note = await fake.next_sent()
    assert note.chat_id == GROUP["id"]
    assert note.text == (
        f"I can&#x27;t message you privately yet: open a chat with @{BOT_USERNAME}, "
        "press Start, then send /link_spotify there."
    )


async def test_thumbs_up_answers_the_callback_with_a_toast(
    fake: FakeTelegram, service: FakeService, bot: TelegramAdapter
):
    fake.photo(private_chat(ANA), ANA)
    answer = await fake.next_sent()
    query_id = fake.press(ANA, answer.message, "up:41")
    answered = (await fake.next_call("answerCallbackQuery")).params
    assert answered == {"callback_query_id": query_id, "text": "Thanks! More like these for you."}
    assert service.presses[0][1] == "up:41" and service.presses[0][0].user_id == "1001"
    await nothing_more(fake)


async def test_more_like_this_sends_a_new_answer_to_the_photo(
    fake: FakeTelegram, service: FakeService, bot: TelegramAdapter
):
    photo = fake.photo(GROUP, ANA, f"@{BOT_USERNAME}")
    answer = await fake.next_sent()
    query_id = fake.press(BEN, answer.message, "more:41")
    answered = (await fake.next_call("answerCallbackQuery")).params
    assert answered == {"callback_query_id": query_id}
    again = await fake.next_sent()
    assert again.reply_to == photo["message_id"], "the new answer replies to the photo too"
    assert again.text.startswith("🎧 <b>More of that neon night</b>\n\n1. <a href=")
    assert "Holocene" in again.text and "Rock &amp; Roll" not in again.text
    assert again.buttons == buttons(42)
    ctx = service.presses[0][0]
    assert (ctx.user_id, ctx.chat_id, ctx.is_group) == ("1002", str(GROUP["id"]), True)


async def test_thumbs_down_changes_the_next_answer(
    fake: FakeTelegram, service: FakeService, bot: TelegramAdapter
):
    fake.photo(private_chat(ANA), ANA)
    answer = await fake.next_sent()
    assert "Rock &amp; Roll" in answer.text
    fake.press(ANA, answer.message, "down:41")
    toast = (await fake.next_call("answerCallbackQuery")).params
    assert toast["text"] == "Got it, fewer songs like these for you."
    fake.photo(private_chat(ANA), ANA)
    assert "Rock &amp; Roll" not in (await fake.next_sent()).text


async def test_queue_notice_comes_before_the_answer(
    fake: FakeTelegram, service: FakeService, bot: TelegramAdapter
):
    service.queue_position = 3
    chat = private_chat(ANA)
    photo = fake.photo(chat, ANA)
    notice = await fake.next_sent()
    # one sentence for both platforms (handlers/texts.py QUEUED), sent as plain text
    assert notice.text == "You're #3 in line; your songs are on their way."
    assert notice.reply_to == photo["message_id"]
    answer = await fake.next_sent()
    assert answer.buttons == buttons(41)
    # The notice is gone once the answer is there: only the answer is left in the chat.
    assert [m["message_id"] for m in fake.live_messages(chat["id"])] == [
        answer.message["message_id"]
    ]


async def test_one_queue_notice_per_chat_for_several_waiting_photos(
    fake: FakeTelegram, service: FakeService, bot: TelegramAdapter
):
    service.queue_position, service.delay_s = 2, 0.5
    chat = private_chat(ANA)
    fake.photo(chat, ANA, "first", color=(10, 10, 10))
    fake.photo(chat, ANA, "second", color=(200, 10, 10))
    notice = await fake.next_sent()
    assert notice.text == "You're #2 in line; your songs are on their way."
    answers = [await fake.next_sent(), await fake.next_sent()]
    assert all(a.buttons for a in answers)  # two answers, and no second notice among them
    edits = [call.params["text"] for call in fake.calls_of("editMessageText")]
    assert edits[0] == "2 photos from this chat are in line (next: #2); songs are on their way."
    assert [c.params["message_id"] for c in fake.calls_of("deleteMessage")] == [
        notice.message["message_id"]
    ]


async def test_failing_service_gives_one_sentence_and_the_bot_keeps_serving(
    fake: FakeTelegram, service: FakeService, bot: TelegramAdapter, caplog
):
    service.fail_next = 1
    fake.photo(private_chat(ANA), ANA)
    sorry = await fake.next_sent()
    assert sorry.text == SORRY["unexpected"].replace("'", "&#x27;")
    assert "Traceback" not in sorry.text and "simulated" not in sorry.text
    assert any(r.exc_info for r in caplog.records if r.name.startswith("bot.telegram"))
    fake.photo(private_chat(BEN), BEN)
    assert (await fake.next_sent()).buttons == buttons(41)


async def test_error_handler_answers_a_failing_command_without_a_traceback(
    fake: FakeTelegram, service: FakeService, bot: TelegramAdapter, monkeypatch, caplog
):
    def broken(platform: str, ctx: object = None) -> None:
        raise ValueError("help text missing")

    monkeypatch.setattr(service, "help", broken)
    fake.command(private_chat(ANA), ANA, "/help")
    assert (await fake.next_sent()).text == SORRY["unexpected"].replace("'", "&#x27;")
    logged = [r for r in caplog.records if r.exc_info and "help text missing" in str(r.exc_info[1])]
    assert logged
    fake.photo(private_chat(BEN), BEN)
    assert (await fake.next_sent()).buttons == buttons(41)


async def test_stop_finishes_photos_already_accepted(fake: FakeTelegram, service: FakeService):
    adapter = TelegramAdapter(settings_for(fake), service)
    await adapter.start()
    service.delay_s = 1.0
    photo = fake.photo(private_chat(ANA), ANA)
    for _ in range(100):
        if service.vibes:
            break
        await asyncio.sleep(0.02)
    assert service.vibes, "the photo was accepted"
    await adapter.stop()
    assert fake.sent_pending() == 1
    await answer_to(fake, photo)


async def test_stop_answers_an_album_still_being_collected(
    fake: FakeTelegram, service: FakeService
):
    adapter = TelegramAdapter(settings_for(fake), service)
    await adapter.start()
    fake.photo(private_chat(ANA), ANA, media_group_id="B7")
    await fake.fetched()
    await adapter.stop()
    assert len(service.vibes) == 1 and fake.sent_pending() == 1


async def test_notifier_sends_plain_text(fake: FakeTelegram, bot: TelegramAdapter):
    await bot.send("telegram", str(ANA["id"]), "Linked as Ana <3. Importing 12 tracks...")
    sent = await fake.next_sent()
    assert (sent.chat_id, sent.text, sent.parse_mode) == (
        ANA["id"],
        "Linked as Ana <3. Importing 12 tracks...",
        None,
    )
    fake.forbidden_chats.add(BEN["id"])
    await bot.send("telegram", str(BEN["id"]), "hello")  # logged, never raised
    await bot.send("discord", "5", "not mine")
    await nothing_more(fake)


async def test_the_bot_token_never_reaches_the_log(
    fake: FakeTelegram, service: FakeService, caplog
):
    caplog.set_level(logging.DEBUG)
    adapter = TelegramAdapter(settings_for(fake), service)
    await adapter.start()
    fake.photo(private_chat(ANA), ANA)
    await fake.next_sent()
    await adapter.stop()
    assert TOKEN not in caplog.text
    assert "@MelodicLensBot is up (polling)" in caplog.text


def test_missing_token_is_a_clear_error(service: FakeService, monkeypatch):
    monkeypatch.delenv("TELEGRAM_TOKEN", raising=False)
    with pytest.raises(TelegramSetupError, match="TELEGRAM_TOKEN"):
        TelegramAdapter(load_settings(None), service)


async def test_group_photo_captioned_with_vibe_is_answered_with_its_words(
    fake: FakeTelegram, service: FakeService, bot: TelegramAdapter
):
    photo = fake.photo(GROUP, ANA, f"/vibe@{BOT_USERNAME} more upbeat please")
    await answer_to(fake, photo)
    assert service.vibes[0].words == "more upbeat please"


async def test_group_album_mentioning_the_bot_once_gets_one_answer(
    fake: FakeTelegram, service: FakeService, bot: TelegramAdapter
):
    first = fake.photo(GROUP, ANA, f"@{BOT_USERNAME} our hike", media_group_id="G1")
    fake.photo(GROUP, ANA, media_group_id="G1")
    sent = await fake.next_sent()
    assert sent.reply_to == first["message_id"] and sent.chat_id == GROUP["id"]
    assert len(service.vibes) == 1 and len(service.vibes[0].images) == 2
    assert service.vibes[0].words == "our hike"
    await nothing_more(fake, 0.6)


async def test_rejected_token_fails_start_without_showing_it(
    fake: FakeTelegram, service: FakeService
):
    adapter = TelegramAdapter(settings_for(fake), service)
    fake.token = "999:other-token"  # the server now refuses ours
    with pytest.raises(TelegramSetupError) as refused:
        await adapter.start()
    assert str(refused.value) == (
        "Telegram rejected TELEGRAM_TOKEN; copy it again from @BotFather (/token)."
    )
    assert refused.value.__cause__ is None and TOKEN not in str(refused.value)
    await adapter.stop()  # a failed start leaves nothing to stop


async def test_unreachable_api_fails_start_with_the_address(service: FakeService):
    fake = FakeTelegram()
    fake.url = "http://127.0.0.1:9"  # nothing listens on the discard port
    adapter = TelegramAdapter(settings_for(fake), service)
    with pytest.raises(TelegramSetupError, match=r"Bot API at http://127\.0\.0\.1:9 failed"):
        await adapter.start()


async def test_flood_control_waits_and_still_answers(
    fake: FakeTelegram, service: FakeService, bot: TelegramAdapter
):
    fake.flood_wait_s = 1
    photo = fake.photo(private_chat(ANA), ANA)
    sent = await fake.next_sent()
    assert sent.reply_to == photo["message_id"] and sent.buttons == buttons(41)
    assert len(fake.calls_of("sendMessage")) == 2, "refused once, then sent after the wait"


async def test_plain_text_in_a_private_chat_gets_songs(
    fake: FakeTelegram, service: FakeService, bot: TelegramAdapter
):
    words = fake.text(private_chat(ANA), ANA, "rainy night drive")
    sent = await fake.next_sent()
    assert sent.reply_to == words["message_id"] and sent.buttons == buttons(41)
    assert service.vibes[-1].words == "rainy night drive" and service.vibes[-1].images == []


async def test_group_text_needs_a_mention_or_a_reply_to_the_bot(
    fake: FakeTelegram, service: FakeService, bot: TelegramAdapter
):
    fake.text(GROUP, BEN, "what a day, anyone up for pizza")
    await nothing_more(fake)
    asked = fake.text(GROUP, BEN, f"@{BOT_USERNAME} sunny beach songs")
    answer = await answer_to(fake, asked)
    assert service.vibes[-1].words == "sunny beach songs"  # the mention is not a mood word
    fake.text(GROUP, ANA, "more upbeat please", reply_to=answer.message)
    await fake.next_sent()
    assert service.vibes[-1].words == "more upbeat please"
    assert len(service.vibes) == 2


async def test_a_restart_is_not_sent_again_what_was_answered_before_the_stop(
    fake: FakeTelegram, service: FakeService
):
    first = TelegramAdapter(settings_for(fake), service)
    await first.start()
    fake.photo(private_chat(ANA), ANA)
    await fake.next_sent()
    await first.stop()  # confirms the update to Telegram on the way out
    second = TelegramAdapter(settings_for(fake), service)
    await second.start()
    await nothing_more(fake, 0.6)
    await second.stop()
    assert len(service.vibes) == 1
