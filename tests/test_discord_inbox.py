"""The durable Discord inbox on the real PostgreSQL, through real discord.py and a fake Discord: an
accepted photo is written down before work on it starts, and a bot whose answer was cut off
(its process died) has it answered by the next one: a message by a reply (its links read again,
as Discord's signed links expire), a command by its followup while the token lives, else by a
channel message that says why. The same with a real SIGKILL: tests/test_run_crash.py."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

import pytest
from PIL import Image

from db.pool import Database
from handlers.inbox import DurableInbox
from handlers.texts import REPLAYED_AS_MESSAGE, SORRY
from support.fakes.bot_service import FakeBotService
from support.fakes.discord_api import FakeDiscord, running_bot
from support.fakes.discord_payloads import APP_ID, CHANNEL_ID, USER_ID

pytestmark = pytest.mark.asyncio(loop_scope="session")

# The dying bot's lease: short, so the next bot may take its photos over quickly.
DYING_LEASE_S = 0.5
TICK_S = 0.1
CHANNEL_MESSAGES = f"/channels/{CHANNEL_ID}/messages"
# Older than the 15 minutes an interaction token lives.
STALE_S = 20 * 60.0
# A bot started on the fake, stopped on leaving: (the fake, the adapter).
RunningBot = AbstractAsyncContextManager[tuple[FakeDiscord, Any]]


def jpeg(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(out, "JPEG")
    return out.getvalue()


# The photo most tests send: a dusky blue.
DUSK = jpeg((40, 60, 140))


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    """One fake Discord that outlives the bots (as Discord outlives a restart)."""
    async with FakeDiscord().serving() as server:
        yield server


@dataclass(frozen=True)
class Bots:
    """Starts bots on the one fake Discord, which outlives them (as Discord outlives a restart),
    each with its durable inbox on the test database."""

    monkeypatch: pytest.MonkeyPatch
    db: Database
    fake: FakeDiscord

    def live(self, service: FakeBotService, holder: str = "live:1") -> RunningBot:
        """A bot that stays up (its inbox upkeep ticks fast, for the test)."""
        inbox = DurableInbox(self.db, "discord", holder, tick_s=TICK_S)
        return self._running(service, inbox)

    def dying(self, service: FakeBotService) -> RunningBot:
        """A bot whose inbox lease is short, so the next bot may take its photos over quickly."""
        inbox = DurableInbox(self.db, "discord", "dead:1", lease_s=DYING_LEASE_S, tick_s=TICK_S)
        return self._running(service, inbox)

    def _running(self, service: FakeBotService, inbox: DurableInbox) -> RunningBot:
        return running_bot(self.monkeypatch, service, fake=self.fake, inbox=inbox, keep_fake=True)


@pytest.fixture
def bots(monkeypatch: pytest.MonkeyPatch, db: Database, fake: FakeDiscord) -> Bots:
    """This test's bots, on its fake Discord and database."""
    return Bots(monkeypatch, db, fake)


async def post_dusk(fake: FakeDiscord, words: str = "") -> str:
    """The dusk photo posted in the channel with these words; its message id."""
    return await fake.post_message(words, [fake.attachment("dusk.jpg", DUSK, "image/jpeg")])


async def until(check: Callable[[], Any], within_s: float = 10.0) -> None:
    async with asyncio.timeout(within_s):
        while not check():  # noqa: ASYNC110 (the fakes have no event for these)
            await asyncio.sleep(0.02)


async def rows(db: Database) -> list[dict[str, Any]]:
    found = await db.pool.fetch("SELECT * FROM inbox WHERE platform = 'discord' ORDER BY id")
    return [dict(row) for row in found]


def crash(adapter: Any) -> None:
    """What a killed process leaves behind: answers cut off (never settled) and leases no
    longer renewed."""
    adapter.lifecycle.inbox.stop()
    for task in list(adapter.lifecycle.in_flight):
        task.cancel()


async def photo_accepted_then_crashed(bots: Bots, words: str) -> str:
    """A photo message (with these words) accepted by a bot that crashes while answering it;
    its message id. Its inbox lease is short, so a restarted bot replays it soon."""
    slow = FakeBotService(delay_s=60)
    async with bots.dying(slow) as (_, bot):
        message_id = await post_dusk(bots.fake, words)
        await until(lambda: slow.vibes)
        crash(bot)
    return message_id


async def restarted_until_settled(bots: Bots, message_id: str) -> FakeBotService:
    """A restarted bot, run until it has read the message again and settled its inbox row;
    the service it called."""
    service = FakeBotService()
    async with bots.live(service, "live:2"):
        await bots.fake.wait_for("GET", f"{CHANNEL_MESSAGES}/{message_id}", within_s=10)
        for _ in range(100):
            if (await rows(bots.db))[0]["state"] != "working":
                break
            await asyncio.sleep(0.05)
    return service


async def test_a_photo_is_stored_before_work_and_its_row_settled_after_the_answer(
    bots: Bots, db: Database, fake: FakeDiscord
) -> None:
    service = FakeBotService(delay_s=0.5)
    async with bots.live(service):
        photo = fake.attachment("dusk.jpg", DUSK, "image/jpeg")
        message_id = await fake.post_message("rainy", [photo])
        await until(lambda: service.vibes)
        (working,) = await rows(db)
        await fake.wait_for("POST", CHANNEL_MESSAGES, within_s=10)
        await until(lambda: len(service.finished) == 1)

    assert working["state"] == "working" and working["update_key"] == f"message:{message_id}"
    assert (working["user_id"], working["chat_id"]) == (str(USER_ID), str(CHANNEL_ID))
    stored = working["payload"]
    assert stored["words"] == "rainy" and stored["message_id"] == message_id
    assert [item["url"] for item in stored["attachments"]] == [photo["url"]]
    (done,) = await rows(db)
    assert done["state"] == "done" and done["payload"] == {} and done["user_id"] is None


async def test_a_message_delivered_twice_is_answered_once(bots: Bots, fake: FakeDiscord) -> None:
    service = FakeBotService()
    async with bots.live(service):
        message_id = await post_dusk(fake)
        await fake.wait_for("POST", CHANNEL_MESSAGES, within_s=10)
        await fake.dispatch("MESSAGE_CREATE", fake.messages[message_id])  # a gateway replay
        await asyncio.sleep(0.5)

    assert len(fake.find("POST", CHANNEL_MESSAGES)) == 1 and len(service.vibes) == 1


async def test_a_cut_off_photo_is_answered_by_the_next_bot_through_fresh_links(
    bots: Bots, db: Database, fake: FakeDiscord
) -> None:
    message_id = await photo_accepted_then_crashed(bots, "rainy")
    assert not fake.find("POST", CHANNEL_MESSAGES)
    fake.expire_links()  # the stored link is dead by now; the message read again has a new one
    await asyncio.sleep(DYING_LEASE_S + 0.1)

    service = FakeBotService()
    async with bots.live(service, "live:2"):
        (sent,) = await fake.wait_for("POST", CHANNEL_MESSAGES, within_s=10)
        await until(lambda: service.finished)

    assert str(sent.json["message_reference"]["message_id"]) == message_id
    assert "open.spotify.com/track/" in sent.json["embeds"][0]["description"]
    (call,) = service.vibes
    assert call.images[0].data == DUSK and call.words == "rainy"
    assert call.ctx.user_id == str(USER_ID) and call.ctx.chat_id == str(CHANNEL_ID)
    assert fake.find("GET", f"{CHANNEL_MESSAGES}/{message_id}"), "the message was read again"
    assert service.admissions == [], "a replayed photo is not counted against the limit again"
    (row,) = await rows(db)
    assert row["state"] == "done" and row["attempts"] == 2 and row["payload"] == {}


async def test_a_photo_deleted_before_its_answer_is_not_answered(
    bots: Bots, db: Database, fake: FakeDiscord
) -> None:
    message_id = await photo_accepted_then_crashed(bots, "")
    del fake.messages[message_id]  # its author deleted it
    await asyncio.sleep(DYING_LEASE_S + 0.1)

    service = await restarted_until_settled(bots, message_id)

    assert not fake.find("POST", CHANNEL_MESSAGES) and service.vibes == []
    (row,) = await rows(db)
    assert row["state"] == "done" and row["payload"] == {}


async def test_a_photo_edited_out_of_its_message_is_not_answered_from_the_stored_link(
    bots: Bots, db: Database, fake: FakeDiscord
) -> None:
    message_id = await photo_accepted_then_crashed(bots, "rainy")
    fake.messages[message_id]["attachments"] = []  # its author edited the photo away
    await asyncio.sleep(DYING_LEASE_S + 0.1)

    service = await restarted_until_settled(bots, message_id)

    assert not fake.find("POST", CHANNEL_MESSAGES) and service.vibes == []
    (row,) = await rows(db)
    assert row["state"] == "done"


async def test_cut_off_commands_answer_by_followup_or_in_the_channel_once_the_token_expired(
    bots: Bots, db: Database, fake: FakeDiscord
) -> None:
    rain, sun = DUSK, jpeg((250, 200, 40))
    slow = FakeBotService(delay_s=60)
    async with bots.dying(slow) as (_, bot):
        upload = fake.attachment("rain.jpg", rain, "image/jpeg")
        options = [{"name": "image", "type": 11, "value": upload["id"]}]
        fresh = await fake.slash("vibe", options, {"attachments": {upload["id"]: upload}})
        target_id = await fake.post_message(
            "beach day", [fake.attachment("sun.jpg", sun, "image/jpeg")], deliver=False
        )
        stale = await fake.message_command(
            "Songs for this photo", fake.messages[target_id], age_s=STALE_S
        )
        await until(lambda: len(slow.vibes) == 2)
        crash(bot)
    assert not fake.find("POST", f"/webhooks/{APP_ID}/")
    await asyncio.sleep(DYING_LEASE_S + 0.1)

    service = FakeBotService()
    async with bots.live(service, "live:2"):
        (followup,) = await fake.wait_for("POST", f"/webhooks/{APP_ID}/{fresh}", within_s=10)
        (in_channel,) = await fake.wait_for("POST", CHANNEL_MESSAGES, within_s=10)
        await until(lambda: len(service.finished) == 2)

    assert followup.json["embeds"] and "open.spotify.com/track/" in str(followup.json["embeds"])
    assert not fake.find("POST", f"/webhooks/{APP_ID}/{stale}"), "its token had expired"
    note = REPLAYED_AS_MESSAGE.format(mention=f"<@{USER_ID}>")
    assert in_channel.json["content"].startswith(note) and in_channel.json["embeds"]
    assert str(in_channel.json["message_reference"]["message_id"]) == target_id
    assert [str(u) for u in in_channel.json["allowed_mentions"]["users"]] == [str(USER_ID)]
    photos = sorted(call.images[0].data for call in service.vibes)
    assert photos == sorted([rain, sun])
    assert [row["state"] for row in await rows(db)] == ["done", "done"]


async def test_a_photo_over_the_rate_limit_is_refused_before_it_is_stored(
    bots: Bots, db: Database, fake: FakeDiscord
) -> None:
    service = FakeBotService(admit_limit=0)
    async with bots.live(service):
        await post_dusk(fake, "rainy")
        (refused,) = await fake.wait_for("POST", CHANNEL_MESSAGES)

    assert refused.json["content"] == "You're sending photos faster than I can listen."
    assert service.admissions == [1], "counted once, before anything else"
    assert service.vibes == [] and fake.downloads == []
    assert await rows(db) == [], "a refused photo never reaches the inbox"


async def test_a_photo_whose_answer_failed_gets_one_sentence_and_its_row_is_settled(
    bots: Bots, db: Database, fake: FakeDiscord
) -> None:
    service = FakeBotService(fail_next=True)
    async with bots.live(service):
        await post_dusk(fake, "rainy")
        (sorry,) = await fake.wait_for("POST", CHANNEL_MESSAGES)
        for _ in range(50):
            (row,) = await rows(db)
            if row["state"] == "done":
                break
            await asyncio.sleep(0.1)

    assert sorry.json["content"] == SORRY["unexpected"]
    assert row["state"] == "done", "a failed answer would fail alike: not answered again"
