"""The line notice on Telegram: one per chat, edited as photos join and leave the line, deleted
with the last one; real python-telegram-bot against the fake Bot API."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import Bot

from bot.telegram.line_notices import LineNotices
from support.fakes.fake_telegram import FakeTelegram, group_chat, private_chat, user


@pytest.fixture
async def api() -> AsyncIterator[tuple[FakeTelegram, Bot]]:
    fake = FakeTelegram()
    await fake.start()
    bot = Bot(fake.token, base_url=f"{fake.url}/bot", base_file_url=f"{fake.url}/file/bot")
    async with bot:
        yield fake, bot
    await fake.stop()


async def test_one_notice_per_chat_edited_then_deleted(api: tuple[FakeTelegram, Bot]) -> None:
    fake, bot = api
    chat = group_chat()
    asked = fake.message(chat, user(1), text="photo")  # what the first notice quotes
    notices = LineNotices(bot)
    async with notices.waiting(chat["id"], asked["message_id"], "en") as first:
        await first(2)
        sent = await fake.next_sent()
        assert sent.text == "You're #2 in line; your songs are on their way."
        assert sent.reply_to == asked["message_id"]
        async with notices.waiting(chat["id"], None, "en") as second:
            await second(3)
            [notice] = fake.live_messages(chat["id"])
            assert notice["text"] == (
                "2 photos from this chat are in line (next: #2); songs are on their way."
            )
        [notice] = fake.live_messages(chat["id"])  # the second left: back to the first alone
        assert notice["text"] == "You're #2 in line; your songs are on their way."
    assert fake.live_messages(chat["id"]) == []  # deleted with the last one
    assert len(fake.calls_of("sendMessage")) == 1
    assert len(fake.calls_of("editMessageText")) == 2
    assert len(fake.calls_of("deleteMessage")) == 1


async def test_no_wait_no_notice_and_chats_apart(api: tuple[FakeTelegram, Bot]) -> None:
    fake, bot = api
    notices = LineNotices(bot)
    ana, ben = private_chat(user(5, "Ana")), private_chat(user(6, "Ben"))
    fake.message(ana, user(5, "Ana"), text="hi")
    fake.message(ben, user(6, "Ben"), text="hi")
    async with notices.waiting(ana["id"], None, "en"):
        pass  # answered without waiting
    assert fake.calls_of("sendMessage") == []
    async with (
        notices.waiting(ana["id"], None, "en") as on_ana,
        notices.waiting(ben["id"], None, "en") as on_ben,
    ):
        await on_ana(1)
        await on_ben(2)
        assert len(fake.calls_of("sendMessage")) == 2  # one notice in each chat
    assert fake.live_messages(ana["id"]) == [] and fake.live_messages(ben["id"]) == []


async def test_a_notice_deleted_by_someone_else_does_not_stop_the_answer(
    api: tuple[FakeTelegram, Bot],
) -> None:
    fake, bot = api
    chat = group_chat(-100777)
    fake.message(chat, user(1), text="photo")
    notices = LineNotices(bot)
    async with notices.waiting(chat["id"], None, "en") as on_queued:
        await on_queued(4)
        [notice] = fake.live_messages(chat["id"])
        await bot.delete_message(chat["id"], notice["message_id"])  # an admin removed it
    # The notices tried to delete it too, were told it was gone, and went on without raising.
    tries = [call.params["message_id"] for call in fake.calls_of("deleteMessage")]
    assert tries == [notice["message_id"], notice["message_id"]]
