"""Changing the secret key: old keys still read, `secrets rotate` re-encrypts, and a link whose
tokens no longer decrypt is marked and its owner told once (not a failing sync every day)."""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator

import pytest

from bot.app import spotify_app
from bot.cli.main import build_parser
from bot.cli.secrets import run_rotate
from db import library_entries, spotify_links
from db.pool import Database
from handlers.edge.worker import Worker
from handlers.key_rotation import KeyUse, key_use, rotate_secrets
from handlers.library_moods import MoodPlacer
from handlers.replies import ChatContext
from handlers.secrets import SecretUnreadable, TokenCipher
from handlers.spotify.linking import LIBRARY_SYNC
from handlers.spotify.sync import LibrarySync, schedule_library_refresh
from handlers.spotify.tracks import TrackStore
from recsys.embedder import Embedder
from recsys.enrichment import TrackEnricher
from support.fakes.fake_spotify import fictional_library
from support.fakes.spotify_world import SECRET_KEY, World, listener_world, spotify_settings

ALICE = ChatContext("telegram", "501", "501", "alice")
NEW_KEY = "the-new-secret-key-fedcba9876543210"


@pytest.fixture
async def world(db: Database, embedder: Embedder) -> AsyncIterator[World]:
    async with listener_world(db, embedder, fictional_library("Robin", sizes=(12, 5))) as world:
        yield world


def worker_with(world: World, keys: list[str]) -> Worker:
    """A job runner whose sync reads tokens with these keys (as after a restart)."""
    sync = LibrarySync(
        world.db,
        spotify_app(world.settings),
        TokenCipher(keys),
        TrackStore(world.db, TrackEnricher(world.embedder)),
        world.notifier,
        MoodPlacer(world.db, embedder=world.embedder),
    )
    return Worker(world.db, {LIBRARY_SYNC: sync}, worker_id="rotation-test")


async def test_an_old_key_still_reads_and_new_secrets_use_the_new_key() -> None:
    old, new = TokenCipher([SECRET_KEY]), TokenCipher([NEW_KEY, SECRET_KEY])
    stored = old.encrypt("access-token")
    assert new.decrypt(stored) == "access-token"
    assert not new.is_current(stored) and new.is_current(new.encrypt("x"))
    rotated = new.rotate(stored)
    assert TokenCipher([NEW_KEY]).decrypt(rotated) == "access-token"
    with pytest.raises(SecretUnreadable):
        TokenCipher([NEW_KEY]).decrypt(stored)


async def test_rotation_keeps_links_working_under_the_new_key_alone(world: World) -> None:
    uid = await world.linked(ALICE)
    # the operator sets a new key and keeps the old one for reading
    assert await worker_with(world, [NEW_KEY, SECRET_KEY]).drain() == 1
    assert await library_entries.library_count(world.db.pool, uid) > 0
    assert await key_use(world.db, TokenCipher([NEW_KEY, SECRET_KEY])) == KeyUse(0, 1, 0)
    assert await key_use(world.db, TokenCipher([NEW_KEY])) == KeyUse(0, 0, 1)
    report = await rotate_secrets(world.db, TokenCipher([NEW_KEY, SECRET_KEY]))
    assert (report.rotated, report.unreadable) == (1, 0)
    assert await key_use(world.db, TokenCipher([NEW_KEY])) == KeyUse(1, 0, 0)
    assert (await rotate_secrets(world.db, TokenCipher([NEW_KEY]))).already_current == 1
    # ... and drops the old key: the link still syncs, with a refresh too
    world.fake.expire_tokens("robin")
    await world.db.pool.execute(
        "UPDATE spotify_links SET last_synced_at = now() - '2 days'::interval"
    )
    await schedule_library_refresh(world.db, every_s=3600)
    await world.db.pool.execute("UPDATE jobs SET created_at = now() - '2 days'::interval")
    await schedule_library_refresh(world.db, every_s=3600)
    assert await worker_with(world, [NEW_KEY]).drain() == 1
    link = await spotify_links.get_link(world.db.pool, uid)
    assert link is not None and link.status == "active" and link.access_token is not None
    assert TokenCipher([NEW_KEY]).is_current(link.access_token)
    last = await world.db.pool.fetchrow("SELECT * FROM jobs ORDER BY id DESC LIMIT 1")
    assert last["status"] == "done" and "unreadable" not in (last["result"] or "")


async def test_a_link_the_new_key_cannot_read_is_marked_and_its_owner_told_once(
    world: World,
) -> None:
    uid = await world.linked(ALICE)
    told_before = len(world.notifier.sent)
    # the key changed with no old key kept
    assert await worker_with(world, [NEW_KEY]).drain() == 1
    link = await spotify_links.get_link(world.db.pool, uid)
    assert link is not None and link.status == "unreadable"
    told = list(world.notifier.sent)[told_before:]
    assert len(told) == 1 and "Link your Spotify account again" in told[0][2]
    job = await world.db.pool.fetchrow("SELECT * FROM jobs ORDER BY id DESC LIMIT 1")
    assert job["status"] == "done"  # not a failure retried with backoff
    # the daily refresh no longer queues a sync that can only fail
    await world.db.pool.execute(
        "UPDATE spotify_links SET last_synced_at = now() - '2 days'::interval"
    )
    await world.db.pool.execute("UPDATE jobs SET created_at = now() - '2 days'::interval")
    await schedule_library_refresh(world.db, every_s=3600)
    assert await worker_with(world, [NEW_KEY]).drain() == 0
    assert len(world.notifier.sent) == told_before + 1
    # putting the old key back and rotating makes the link work again
    report = await rotate_secrets(world.db, TokenCipher([NEW_KEY, SECRET_KEY]))
    assert report.restored == 1
    link = await spotify_links.get_link(world.db.pool, uid)
    assert link is not None and link.status == "active"


async def test_linking_again_after_an_unreadable_link_works(world: World) -> None:
    uid = await world.linked(ALICE)
    await worker_with(world, [NEW_KEY]).drain()
    link = await spotify_links.get_link(world.db.pool, uid)
    assert link is not None and link.status == "unreadable"
    status, _ = await world.link(ALICE)  # the world's linker still holds the first key
    assert status == 200
    link = await spotify_links.get_link(world.db.pool, uid)
    assert link is not None and link.status == "active"


async def test_rotate_command_reports_and_fails_on_unreadable_links(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    await world.linked(ALICE)
    args = build_parser().parse_args(["secrets", "rotate"])
    assert args.handler is run_rotate
    settings = spotify_settings(
        world.fake.url,
        DATABASE_URL=world.db.url,
        MELODICLENS_SECRET_KEY=NEW_KEY,
        MELODICLENS_OLD_SECRET_KEYS=SECRET_KEY,
    )
    assert await run_rotate(settings, args) == 0
    out = capsys.readouterr().out
    assert "1 re-encrypted" in out and "can be emptied" in out
    assert SECRET_KEY not in out and NEW_KEY not in out
    stranger = spotify_settings(
        world.fake.url, DATABASE_URL=world.db.url, MELODICLENS_SECRET_KEY="x" * 40
    )
    assert await run_rotate(stranger, argparse.Namespace()) == 1
    assert "cannot be decrypted with any configured key" in capsys.readouterr().out


async def test_a_rotation_with_a_wrong_key_leaves_pending_links_finishable(world: World) -> None:
    # Issue 21: a wrong key used to delete every pending link's verifier, for good.
    reply = await world.accounts.link_spotify(ALICE)
    assert reply.url
    callback = await world.authorize(reply.url)
    before = await world.db.pool.fetch("SELECT state_hash, code_verifier FROM oauth_states")
    report = await rotate_secrets(world.db, TokenCipher(["a-wrong-secret-key-" + "z" * 24]))
    assert (report.states_rotated, report.states_unreadable) == (0, 1)
    assert "is MELODICLENS_SECRET_KEY the right key?" in report.summary()
    after = await world.db.pool.fetch("SELECT state_hash, code_verifier FROM oauth_states")
    assert after == before
    status, page = await world.callback(callback)  # the listener finishes linking
    assert status == 200, page
    assert await spotify_links.get_link(world.db.pool, await world.user_id(ALICE)) is not None
