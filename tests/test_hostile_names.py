"""Lower findings of the second security review, each reproduced: names with bidi overrides on
the link confirm page, secrets in stored inbox payloads, Save as playlist pressed twice."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.app import build_inbox
from bot.settings import load_settings
from db import recommendations
from db.pool import Database
from db.users import find_user
from handlers.inbox import SEALED, DurableInbox
from handlers.replies import ChatContext
from handlers.secrets import TokenCipher
from recsys.embedder import Embedder
from support.fakes.fake_spotify import fictional_library
from support.fakes.spotify_world import World, listener_world

# RIGHT-TO-LEFT OVERRIDE: everything after it is shown reversed ("nimda" reads "admin").
RLO = "\u202e"
# A name that reads as someone else's once the override turns its tail around.
SPOOF = f"Bob{RLO}nimda\u2066"
INVISIBLE = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")
MALLORY = ChatContext("telegram", "6601", "6601", SPOOF)


@pytest.fixture
async def world(db: Database, embedder: Embedder) -> AsyncIterator[World]:
    library = fictional_library("Robin", sizes=(3,))
    library.display_name = f"Robin{RLO}tneilc"
    async with listener_world(db, embedder, library) as world:
        yield world


async def test_the_link_confirm_page_shows_names_without_bidi_controls(world: World) -> None:
    reply = await world.accounts.link_spotify(MALLORY)
    assert reply.url
    status, page = await world.review(await world.authorize(reply.url))
    assert status == 200 and "Bobnimda (id 6601)" in page
    assert not INVISIBLE.search(page)
    # and the "Linked as ..." page and chat notice name the Spotify account without them
    status, done = await world.callback(
        await world.authorize((await world.accounts.link_spotify(MALLORY)).url or "")
    )
    assert status == 200 and "Linked as Robintneilc" in done and not INVISIBLE.search(done)
    assert all(not INVISIBLE.search(text) for *_, text in world.notifier.sent)


PAYLOAD: dict[str, Any] = {
    "kind": "interaction", "channel_id": "8100", "user_id": "8001", "user_name": "dana",
    "interaction": {"token": "aW50ZXJhY3Rpb24tdG9rZW4tc2VjcmV0", "expires_at": "2030-01-01"},
    "attachments": [{"id": "9", "filename": "me.jpg", "size": 1000, "content_type": "image/jpeg",
                     "url": "https://cdn.discordapp.com/attachments/1/me.jpg?ex=1&hm=signature"}],
}  # fmt: skip


async def test_inbox_payloads_are_stored_sealed_and_replayed_whole(db: Database) -> None:
    cipher = TokenCipher(["a secret key of thirty-two chars"])
    dead = DurableInbox(db, "discord", "dead-process", lease_s=0.01, cipher=cipher)
    assert await dead.accept("interaction:1", PAYLOAD, chat_id="8100", user_id="8001")
    stored = await db.pool.fetchval("SELECT payload FROM inbox")
    assert list(stored) == [SEALED]  # the sealed form is still a JSON object
    for secret in ("aW50ZXJhY3Rpb24tdG9rZW4tc2VjcmV0", "cdn.discordapp.com", "signature", "dana"):
        assert secret not in stored[SEALED]
    replayed: list[dict[str, Any]] = []

    async def replay(item: Any) -> None:
        replayed.append(item.payload)

    alive = DurableInbox(db, "discord", "live-process", cipher=cipher)
    await db.pool.execute("UPDATE inbox SET locked_until = now() - interval '1 second'")
    assert await alive.tick(replay) == 1
    assert replayed == [PAYLOAD]


async def test_the_running_bot_seals_its_inbox_when_a_secret_key_is_set(db: Database) -> None:
    sealed = build_inbox(load_settings(None, MELODICLENS_SECRET_KEY="k" * 32), db, "discord")
    assert await sealed.accept("interaction:3", PAYLOAD)
    plain = build_inbox(load_settings(None, MELODICLENS_SECRET_KEY=None), db, "telegram")
    assert await plain.accept("update:4", {"update_id": 4})
    stored = dict(await db.pool.fetch("SELECT platform, payload FROM inbox"))
    assert list(stored["discord"]) == [SEALED] and "signature" not in stored["discord"][SEALED]
    assert stored["telegram"] == {"update_id": 4}


async def test_a_sealed_payload_no_key_opens_is_given_up_not_replayed(db: Database) -> None:
    old = DurableInbox(db, "discord", "old", cipher=TokenCipher(["an old key, thirty-two chars.."]))
    assert await old.accept("interaction:2", PAYLOAD)
    await db.pool.execute("UPDATE inbox SET locked_until = now() - interval '1 second'")
    replayed: list[Any] = []

    async def replay(item: Any) -> None:
        replayed.append(item)

    new = DurableInbox(db, "discord", "new", cipher=TokenCipher(["a new key, also thirty-two...."]))
    await new.tick(replay)
    assert replayed == []
    row = await db.pool.fetchrow("SELECT state, last_error, payload FROM inbox")
    assert (row["state"], row["last_error"], row["payload"]) == ("failed", "unreadable", {})


async def test_save_as_playlist_twice_gives_the_same_playlist(world: World, tmp_path: Path) -> None:
    robin = ChatContext("telegram", "6602", "6602", "robin")
    assert (await world.link(robin))[0] == 200
    user_id = await find_user(world.db.pool, robin.platform, robin.user_id)
    assert user_id is not None
    await world.worker().drain()
    track = await world.db.pool.fetchval("SELECT id FROM tracks ORDER BY id LIMIT 1")
    rec_id = await recommendations.store_recommendation(
        world.db.pool, user_id=user_id, platform="telegram", chat_id=robin.chat_id,
        query={"words": "late train home"}, mood={}, picks=[(track, 1.0)],
    )  # fmt: skip
    first = await world.accounts.save_playlist(robin, rec_id)
    second = await world.accounts.save_playlist(robin, rec_id)
    assert first.url and first.url == second.url, (first.text, second.text)
    assert len(world.fake.created) == 1
    [made] = world.fake.created.values()
    assert made.name == "MelodicLens: late train home"  # her own words: her playlist's name
