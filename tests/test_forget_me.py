"""/forget_me removes every row about the user, whatever table it sits in, and retention prunes
old answers, captions and finished jobs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.app import build_pipeline
from bot.settings import load_settings
from db import jobs, spotify_links
from db.captions import store_caption
from db.languages import save_language_choice
from db.pool import Database
from db.recommendations import Origin, add_feedback, store_recommendation
from db.users import find_user, note_member, upsert_user
from handlers.edge.worker import Worker
from handlers.inbox import DurableInbox
from handlers.replies import ChatContext, Reply, VibeAsk
from handlers.retention import RETENTION_PRUNE, RetentionPrune, schedule_retention
from handlers.service import DefaultBotService, ServiceConfig
from handlers.spotify.linking import LIBRARY_SYNC, library_key
from handlers.texts import SORRY
from recsys.embedder import Embedder
from recsys.models import AudioTraits, Caption, caption_to_json
from support.catalog_fixture import load_catalog
from support.fakes.fake_ollama import closed_port_url
from support.fakes.fake_spotify import fictional_library
from support.fakes.spotify_world import World, listener_world

ALICE = ChatContext("telegram", "7001", "7001", "alice")
BOB = ChatContext("telegram", "7002", "7002", "bob")
GROUP = "-7100"
ALICE_PHOTO = "a1" * 32
BOB_PHOTO = "b2" * 32
# Column names that hold a user, a chat or a photo.
ABOUT_SOMEONE = r"(user|chat|image|photo|display_name)"


@pytest.fixture
async def world(db: Database, embedder: Embedder) -> AsyncIterator[World]:
    async with listener_world(db, embedder, fictional_library("Robin", sizes=(30, 8))) as world:
        yield world


def caption(text: str) -> dict[str, Any]:
    found = Caption(description=text, mood_words=("calm",), themes=(), traits=AudioTraits())
    return caption_to_json(found)


async def an_answer(
    db: Database,
    user_id: int,
    chat_id: str,
    photo: str,
    user_ids: list[int],
    origin: Origin | None = None,
) -> int:
    """An answer to a photo, as the bot stores it, with the photo's caption cached."""
    await store_caption(db.pool, photo, "qwen2.5vl:3b", "v1", caption(f"a photo by {user_id}"))
    track = await db.pool.fetchval("SELECT id FROM tracks ORDER BY id LIMIT 1")
    return await store_recommendation(
        db.pool,
        user_id=user_id,
        platform="telegram",
        chat_id=chat_id,
        query={"words": "rainy", "user_ids": user_ids},
        mood={"line": "calm"},
        picks=[(track, 0.9)],
        image_hashes=(photo,),
        origin=origin,
    )


async def columns_about_someone(db: Database) -> list[tuple[str, str, str]]:
    rows = await db.pool.fetch(
        """SELECT table_name, column_name, data_type FROM information_schema.columns
        WHERE table_schema = 'public' AND column_name ~ $1 ORDER BY 1, 2""",
        ABOUT_SOMEONE,
    )
    return [(r["table_name"], r["column_name"], r["data_type"]) for r in rows]


async def rows_mentioning(
    db: Database, table: str, column: str, data_type: str, values: list[str]
) -> int:
    if data_type == "ARRAY":
        where = f'"{column}"::text[] && $1::text[]'
    else:
        where = f'"{column}"::text = ANY($1::text[])'
    count: int = await db.pool.fetchval(f'SELECT count(*) FROM "{table}" WHERE {where}', values)
    return count


async def test_forget_me_leaves_no_row_about_the_user(world: World) -> None:
    db = world.db
    assert (await world.link(ALICE))[0] == 200
    assert await world.worker().drain() == 1  # the import: a finished job, library-only tracks
    alice = await find_user(db.pool, ALICE.platform, ALICE.user_id)
    assert alice is not None
    bob = await upsert_user(db.pool, BOB.platform, BOB.user_id, BOB.user_name)
    for member in (alice, bob):
        await note_member(db.pool, "telegram", GROUP, member)
    alice_answer = await an_answer(db, alice, ALICE.chat_id, ALICE_PHOTO, [alice])
    await add_feedback(db.pool, alice_answer, alice, "down")
    bob_answer = await an_answer(db, bob, GROUP, BOB_PHOTO, [bob, alice])  # blends her library
    await add_feedback(db.pool, bob_answer, alice, "up")  # her thumb on his answer
    # Bob pressed "More like this" on her answer: his new answer comes from her photo
    pressed = await an_answer(db, bob, GROUP, ALICE_PHOTO, [bob], Origin(alice_answer, alice))
    await add_feedback(db.pool, pressed, bob, "up")  # his thumb on his own answer
    await world.accounts.link_spotify(ALICE)  # a pending link
    await save_language_choice(db.pool, alice, "pt_BR")  # she chose /language pt_BR
    # a re-sync caught mid-run: claimed by a worker, progress naming her playlists
    job_id, _ = await jobs.enqueue(
        db.pool, LIBRARY_SYNC, {"user_id": alice}, dedupe_key=library_key(alice), user_id=alice
    )
    running = await jobs.claim(db.pool, "busy-worker", 120.0, [LIBRARY_SYNC])
    assert running is not None and running.id == job_id
    progress = {"playlists": [{"id": "p0", "name": "Playlist 0"}], "index": 0}
    assert await jobs.heartbeat(db.pool, job_id, "busy-worker", 120.0, progress)
    library_only = await db.pool.fetchval("SELECT count(*) FROM tracks WHERE NOT in_catalog")
    assert library_only > 0

    reply = await world.accounts.forget_me(ALICE)
    assert reply.kind == "info" and "1 photo description, 1 language choice)" in reply.text

    identifiers = [str(alice), ALICE.user_id, ALICE.chat_id, ALICE.user_name or "", "robin"]
    identifiers += ["Robin", ALICE_PHOTO]
    columns = await columns_about_someone(db)
    found = {(table, column) for table, column, _ in columns}
    # the scan covers the tables that hold users, chats and photos (it is not vacuous)
    assert {
        ("chat_users", "platform_user_id"),
        ("chat_members", "user_id"),
        ("spotify_links", "user_id"),
        ("oauth_states", "user_id"),
        ("library_entries", "user_id"),
        ("recommendations", "user_id"),
        ("recommendations", "image_hashes"),
        ("feedback", "user_id"),
        ("jobs", "user_id"),
        ("caption_cache", "image_hash"),
        ("language_choices", "user_id"),
    } <= found
    left = {
        (table, column): n
        for table, column, data_type in columns
        if (n := await rows_mentioning(db, table, column, data_type, identifiers))
    }
    assert left == {}
    # the running sync is cancelled and carries nothing any more
    job = await jobs.get(db.pool, job_id)
    assert job is not None and job["status"] == "cancelled"
    assert job["payload"] == {} and job["progress"] == {}
    assert job["dedupe_key"] is None and job["user_id"] is None
    assert not await jobs.heartbeat(db.pool, job_id, "busy-worker", 120.0)  # its worker stops
    # no job row anywhere still names her
    for row in await db.pool.fetch("SELECT payload::text, progress::text FROM jobs"):
        assert str(alice) not in row["payload"] and "Playlist" not in row["progress"]
    # tracks only her library brought in are gone; Bob's answer and caption stay
    assert await db.pool.fetchval("SELECT count(*) FROM tracks WHERE NOT in_catalog") == 0
    bob_row = await db.pool.fetchrow("SELECT query FROM recommendations WHERE id = $1", bob_answer)
    assert bob_row["query"]["user_ids"] == [bob]
    # his answer made from hers is his: kept with his thumb, emptied of her words and photo
    kept = await db.pool.fetchrow(
        "SELECT query, image_hashes, words_user_id FROM recommendations WHERE id = $1", pressed
    )
    assert kept is not None and kept["image_hashes"] == [] and kept["words_user_id"] is None
    assert kept["query"]["words"] == ""
    assert await db.pool.fetchval("SELECT count(*) FROM feedback WHERE user_id = $1", bob) == 1
    assert await db.pool.fetchval(
        "SELECT count(*) FROM caption_cache WHERE image_hash = $1", BOB_PHOTO
    )
    assert await db.pool.fetchval("SELECT count(*) FROM chat_members WHERE user_id = $1", bob)


async def test_forget_me_during_a_sync_leaves_nothing_behind(world: World) -> None:
    assert (await world.link(ALICE))[0] == 200
    real_store = world.sync.tracks.store
    calls = 0

    async def forgetting_store(tracks: Any, in_catalog: bool = False) -> dict[str, int]:
        nonlocal calls
        calls += 1
        if calls == 2:  # the listener says /forget_me while page two is being imported
            await world.accounts.forget_me(ALICE)
        return await real_store(tracks, in_catalog)

    world.sync.tracks.store = forgetting_store  # type: ignore[method-assign]
    await world.worker().drain()
    for table in ("chat_users", "spotify_links", "library_entries", "oauth_states"):
        assert await world.db.pool.fetchval(f"SELECT count(*) FROM {table}") == 0, table
    assert await world.db.pool.fetchval("SELECT count(*) FROM tracks WHERE NOT in_catalog") == 0
    job = await world.db.pool.fetchrow("SELECT * FROM jobs")
    assert job["status"] == "cancelled" and job["payload"] == {}


async def test_unlink_cancels_the_users_sync_jobs(world: World) -> None:
    assert (await world.link(ALICE))[0] == 200
    alice = await find_user(world.db.pool, ALICE.platform, ALICE.user_id)
    assert alice is not None
    queued = await world.db.pool.fetchval("SELECT count(*) FROM jobs WHERE user_id = $1", alice)
    assert queued == 1
    await world.accounts.unlink_spotify(ALICE)
    assert await world.db.pool.fetchval("SELECT count(*) FROM jobs") == 0
    assert await world.db.pool.fetchval("SELECT count(*) FROM tracks WHERE NOT in_catalog") == 0
    assert await spotify_links.get_link(world.db.pool, alice) is None


async def test_retention_prunes_old_answers_captions_and_jobs_but_keeps_thumbs(
    world: World,
) -> None:
    db = world.db
    assert (await world.link(ALICE))[0] == 200
    assert await world.worker().drain() == 1
    alice = await find_user(db.pool, ALICE.platform, ALICE.user_id)
    assert alice is not None
    old = await an_answer(db, alice, ALICE.chat_id, ALICE_PHOTO, [alice])
    await add_feedback(db.pool, old, alice, "down")
    await add_feedback(db.pool, old, alice, "more")
    fresh = await an_answer(db, alice, ALICE.chat_id, BOB_PHOTO, [alice])
    disliked = await db.pool.fetchval(
        "SELECT track_id FROM recommendation_tracks WHERE recommendation_id = $1", old
    )
    days_ago = "now() - interval '40 days'"
    await db.pool.execute(f"UPDATE recommendations SET created_at = {days_ago} WHERE id = $1", old)
    await db.pool.execute(
        f"UPDATE caption_cache SET created_at = {days_ago} WHERE image_hash = $1", ALICE_PHOTO
    )
    await db.pool.execute(f"UPDATE jobs SET finished_at = {days_ago}")

    worker = Worker(db, {RETENTION_PRUNE: RetentionPrune(30)}, schedulers=(schedule_retention,))
    await schedule_retention(db)
    await schedule_retention(db)  # one prune per hour, however many workers schedule
    assert await worker.drain() == 1
    result = await db.pool.fetchval("SELECT result FROM jobs WHERE kind = $1", RETENTION_PRUNE)
    assert result["answers"] == 1 and result["captions"] == 1 and result["jobs"] == 1
    assert await db.pool.fetchval("SELECT array_agg(id) FROM recommendations") == [fresh]
    assert await db.pool.fetchval("SELECT array_agg(image_hash) FROM caption_cache") == [BOB_PHOTO]
    assert await db.pool.fetchval("SELECT count(*) FROM jobs WHERE kind = $1", LIBRARY_SYNC) == 0
    # the thumbs-down outlives its answer, as a mark on the track itself
    kept = await db.pool.fetch("SELECT kind, track_id, recommendation_id FROM feedback")
    assert [(r["kind"], r["track_id"], r["recommendation_id"]) for r in kept] == [
        ("down", disliked, None)
    ]
    # library tracks are still in use: not pruned
    assert await db.pool.fetchval("SELECT count(*) FROM tracks WHERE NOT in_catalog") > 0


async def test_every_worker_prunes_on_schedule(db: Database, embedder: Embedder) -> None:
    from bot.app import build_jobs
    from bot.settings import load_settings
    from handlers.notifier import LogNotifier

    settings = load_settings(None, MELODICLENS_RETENTION_DAYS="7")
    handlers, schedulers = build_jobs(settings, db, embedder, LogNotifier())
    assert schedule_retention in schedulers
    prune = handlers[RETENTION_PRUNE]
    assert isinstance(prune, RetentionPrune) and prune.older_than_s == 7 * 86400


async def test_forget_me_drops_the_users_updates_waiting_in_the_inbox(world: World) -> None:
    db = world.db
    alice = await upsert_user(db.pool, ALICE.platform, ALICE.user_id, ALICE.user_name)
    assert alice
    for key, who in (("1", ALICE.user_id), ("2", BOB.user_id)):
        await db.pool.execute(
            "INSERT INTO inbox (platform, update_key, chat_id, user_id, payload) "
            "VALUES ('telegram', $1, $2, $2, '{\"text\": \"a photo\"}')",
            key,
            who,
        )
    await world.accounts.forget_me(ALICE)
    left = await db.pool.fetch("SELECT user_id FROM inbox WHERE update_key IN ('1', '2')")
    assert [row["user_id"] for row in left] == [BOB.user_id]


async def test_forget_me_drops_a_discord_photo_waiting_before_its_sender_is_known(
    world: World,
) -> None:
    """A first photo accepted on Discord is in the inbox (with its attachment's link) before
    the sender has any other row; forget-me right then still removes it."""
    db = world.db
    dana = ChatContext("discord", "8001", "8100", "dana", is_group=True)
    intake = DurableInbox(db, "discord", "bot:1")
    for message, who in (("1", dana.user_id), ("2", "8002")):
        payload = {
            "kind": "message", "channel_id": dana.chat_id, "message_id": message,
            "user_id": who, "user_name": "someone", "words": "", "is_group": True,
            "attachments": [{"id": "9", "filename": "me.jpg", "size": 1000,
                             "url": f"https://cdn.discordapp.com/attachments/{message}/me.jpg",
                             "content_type": "image/jpeg"}],
        }  # fmt: skip
        await intake.accept(f"message:{message}", payload, chat_id=dana.chat_id, user_id=who)
    assert await find_user(db.pool, "discord", dana.user_id) is None

    await world.accounts.forget_me(dana)

    left = await db.pool.fetch("SELECT user_id, payload FROM inbox WHERE platform = 'discord'")
    assert [row["user_id"] for row in left] == ["8002"]
    assert "/attachments/1/" not in str([row["payload"] for row in left])


# Words only she wrote, so any trace of them is findable anywhere in the database.
HER_WORDS = "zanzibar heartbreak by the harbour"
GROUP_OF = {
    name: ChatContext("telegram", uid, GROUP, name, is_group=True)
    for name, uid in (("alice", ALICE.user_id), ("bob", BOB.user_id), ("carol", "7003"))
}


@pytest.fixture
async def service(world: World, tmp_path: Path) -> DefaultBotService:
    await load_catalog(world.db, world.embedder, tmp_path)
    settings = load_settings(None, OLLAMA_HOST=closed_port_url())
    pipeline = build_pipeline(settings, world.db, world.embedder)
    config = ServiceConfig(top_n=5, rate_limit_per_minute=100)
    return DefaultBotService(config, world.db, pipeline, world.accounts)


def action(reply: Reply, verb: str) -> str:
    [found] = [b.action for b in reply.buttons if b.action.startswith(verb + ":")]
    return found


async def rows_holding(db: Database, text: str) -> dict[str, int]:
    """Every text, json and array column of every table, searched for `text`."""
    columns = await db.pool.fetch(
        """SELECT table_name, column_name FROM information_schema.columns
        WHERE table_schema = 'public' AND data_type IN ('text', 'jsonb', 'json', 'ARRAY')"""
    )
    found = {}
    for row in columns:
        table, column = row["table_name"], row["column_name"]
        count = await db.pool.fetchval(
            f'SELECT count(*) FROM "{table}" WHERE "{column}"::text ILIKE $1', f"%{text}%"
        )
        if count:
            found[f"{table}.{column}"] = count
    return found


async def test_a_words_only_answer_others_extended_holds_no_trace_after_forget_me(
    world: World, service: DefaultBotService
) -> None:
    db, alice, bob, carol = world.db, GROUP_OF["alice"], GROUP_OF["bob"], GROUP_OF["carol"]
    asked = await service.vibe(alice, VibeAsk(words=HER_WORDS))
    assert asked.kind == "answer", asked.text
    more = await service.press(bob, action(asked, "more"))  # Bob extends her answer
    assert more.kind == "answer", more.text
    calmer = await service.press(carol, action(more, "calm"))  # Carol extends Bob's
    assert calmer.kind == "answer", calmer.text
    assert await rows_holding(db, "zanzibar")  # the derived answers copied her words
    # Bob saves his extension, twice, and her own answer: never a playlist named after her
    assert (await world.link(bob))[0] == 200
    for rec_action in (action(more, "save"), action(more, "save"), action(asked, "save")):
        saved = await service.press(bob, rec_action)
        assert saved.kind == "info" and "zanzibar" not in saved.text.lower(), saved.text
    names = [playlist.name for playlist in world.fake.created.values()]
    assert len(names) == 2, names  # one per answer and presser, however often pressed
    assert not any("zanzibar" in name.lower() for name in names)

    forgotten = await world.accounts.forget_me(alice)
    assert forgotten.kind == "info"

    assert await rows_holding(db, "zanzibar") == {}
    assert await rows_holding(db, "harbour") == {}
    # Bob's and Carol's answers are theirs: still there with their songs
    for reply in (more, calmer):
        assert reply.recommendation is not None
        rec_id = reply.recommendation.recommendation_id
        assert await db.pool.fetchval(
            "SELECT count(*) FROM recommendation_tracks WHERE recommendation_id = $1", rec_id
        ) == len(reply.recommendation.tracks)
    # with her words gone there is nothing to extend: the button says so kindly
    again = await service.press(carol, action(more, "more"))
    assert again.kind == "error" and again.text == SORRY["stale_button"]


async def test_forget_me_keeps_other_listeners_own_answers_to_the_same_picture(
    world: World,
) -> None:
    db = world.db
    alice = await upsert_user(db.pool, ALICE.platform, ALICE.user_id, ALICE.user_name)
    bob = await upsert_user(db.pool, BOB.platform, BOB.user_id, BOB.user_name)
    await world.db.pool.execute(
        "INSERT INTO tracks (spotify_id, title, artists, in_catalog) "
        "VALUES ('0123456789abcdefghijkl', 'A Song', ARRAY['Someone'], true)"
    )
    await an_answer(db, alice, ALICE.chat_id, ALICE_PHOTO, [alice])
    # Bob sent the very same picture himself (the same bytes): his own answer
    his = await an_answer(db, bob, BOB.chat_id, ALICE_PHOTO, [bob])

    await world.accounts.forget_me(ALICE)

    row = await db.pool.fetchrow(
        "SELECT query, image_hashes FROM recommendations WHERE id = $1", his
    )
    assert row is not None, "Bob's own answer to the same picture was deleted"
    assert row["image_hashes"] == [ALICE_PHOTO] and row["query"]["words"] == "rainy"
    assert await db.pool.fetchval("SELECT count(*) FROM recommendations") == 1
