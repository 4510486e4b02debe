"""The library sync job against the fake Spotify: refresh, revocation, 403, 429, kill and resume."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from db import jobs, library_entries, spotify_links
from db.pool import Database
from db.users import find_user
from handlers.replies import ChatContext
from handlers.spotify.sync import schedule_library_refresh
from recsys.embedder import Embedder
from support.fakes.fake_spotify import fictional_library
from support.fakes.spotify_world import World, listener_world

ALICE = ChatContext("discord", "42", "777", "alice")


@pytest.fixture
async def world(db: Database, embedder: Embedder) -> AsyncIterator[World]:
    library = fictional_library("Robin", sizes=(120, 57, 7))
    async with listener_world(db, embedder, library) as world:
        yield world


async def stored_pairs(world: World, user_id: int) -> set[tuple[str, str]]:
    rows = await world.db.pool.fetch(
        "SELECT t.spotify_id, e.playlist_id FROM library_entries e "
        "JOIN tracks t ON t.id = e.track_id WHERE e.user_id = $1",
        user_id,
    )
    return {(r["spotify_id"], r["playlist_id"]) for r in rows}


def expected_pairs(world: World, skip: frozenset[str] = frozenset()) -> set[tuple[str, str]]:
    library = world.fake.libraries["robin"]
    pairs = {
        (t, pid) for pid, (_, ids) in library.playlists.items() if pid not in skip for t in ids
    }
    return pairs | {(t, "saved") for t in library.saved}


async def last_result(world: World) -> dict[str, Any]:
    row = await world.db.pool.fetchrow("SELECT * FROM jobs ORDER BY id DESC LIMIT 1")
    assert row["status"] == "done", row["last_error"]
    return dict(row["result"])


async def test_expired_token_is_refreshed_and_saved(world: World) -> None:
    uid = await world.linked(ALICE)
    before = await spotify_links.get_link(world.db.pool, uid)
    world.fake.expire_tokens("robin")
    assert await world.worker().drain() == 1
    assert await stored_pairs(world, uid) == expected_pairs(world)
    after = await spotify_links.get_link(world.db.pool, uid)
    assert before and after and after.access_token != before.access_token
    assert after.refresh_token != before.refresh_token  # the rotated refresh token is kept
    assert "/v1/me/playlists?limit=50&offset=0" in world.fake.requests


async def test_revoked_grant_marks_the_link_and_tells_the_user(world: World) -> None:
    uid = await world.linked(ALICE)
    world.fake.revoke("robin")
    await world.worker().drain()
    link = await spotify_links.get_link(world.db.pool, uid)
    assert link and link.status == "revoked"
    assert link.access_token is None and link.refresh_token is None
    assert (await last_result(world)) == {"revoked": True}
    platform, chat, text = world.notifier.sent[-1]
    assert (platform, chat) == ("discord", "777") and "Link it again" in text


async def test_listener_dropped_from_the_dev_mode_user_list_is_told(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    uid = await world.linked(ALICE)
    world.fake.registered = {"someone-else"}  # the operator removed Robin from the app
    await world.worker().drain()
    assert (await last_result(world)) == {"not_registered": True}
    assert "user list" in world.notifier.sent[-1][2]
    assert "User Management" in caplog.text
    assert await library_entries.library_count(world.db.pool, uid) == 0


async def test_forbidden_playlist_is_skipped_and_counted(world: World) -> None:
    uid = await world.linked(ALICE)
    hidden = list(world.fake.libraries["robin"].playlists)[1]
    world.fake.forbidden_playlists.add(hidden)
    await world.worker().drain()
    assert await stored_pairs(world, uid) == expected_pairs(world, frozenset({hidden}))
    result = await last_result(world)
    assert result["skipped"] == 1 and result["playlists"] == 3
    assert "1 playlist could not be read and was skipped" in world.notifier.sent[-1][2]


async def test_rate_limit_waits_for_retry_after(world: World) -> None:
    uid = await world.linked(ALICE)
    world.fake.rate_limits = [1.0, 1.0]
    started = time.monotonic()
    await world.worker().drain()
    assert time.monotonic() - started >= 2.0
    assert await stored_pairs(world, uid) == expected_pairs(world)


class Killed(BaseException):
    """Stands for the process dying: not an Exception, so the runner records nothing."""


def before_page(world: World, page: int, happen: Callable[[], Awaitable[None]]) -> None:
    """Let `happen` run when the sync is about to store its `page`-th page of tracks."""
    real_store = world.sync.tracks.store
    calls = 0

    async def store(tracks: Any, in_catalog: bool = False) -> dict[str, int]:
        nonlocal calls
        calls += 1
        if calls == page:
            await happen()
        return await real_store(tracks, in_catalog)

    world.sync.tracks.store = store  # type: ignore[method-assign]


async def test_sync_killed_halfway_resumes_without_duplicates_or_gaps(world: World) -> None:
    uid = await world.linked(ALICE)
    real_store = world.sync.tracks.store

    async def die() -> None:
        raise Killed

    before_page(world, 3, die)  # after two pages are in
    with pytest.raises(Killed):
        await world.worker("first", lease_s=0.5).drain()
    partial = await stored_pairs(world, uid)
    assert 0 < len(partial) < len(expected_pairs(world))
    job = await world.db.pool.fetchrow("SELECT * FROM jobs")
    assert job["status"] == "running" and job["locked_by"] == "first"
    seen_before = len(world.fake.requests)

    world.sync.tracks.store = real_store  # type: ignore[method-assign]
    await asyncio.sleep(0.6)  # the dead runner's lease lapses
    assert await world.worker("second").drain() == 1
    assert await stored_pairs(world, uid) == expected_pairs(world)
    duplicates = await world.db.pool.fetchval(
        "SELECT count(*) - count(DISTINCT (track_id, playlist_id)) FROM library_entries"
    )
    assert duplicates == 0
    resumed = world.fake.requests[seen_before:]
    # it picked up at the third page of the first playlist, not from the start
    assert not any(r.startswith("/v1/me/playlists") for r in resumed)
    assert resumed[0].endswith("offset=100&limit=50")
    done = await world.db.pool.fetchrow("SELECT * FROM jobs")
    assert done["status"] == "done" and done["attempts"] == 2
    finished = [text for _, _, text in world.notifier.sent if "library is in" in text]
    assert len(finished) == 1


async def test_unlink_during_a_sync_leaves_nothing_behind(world: World) -> None:
    uid = await world.linked(ALICE)

    async def unlink() -> None:
        await world.accounts.unlink_spotify(ALICE)

    before_page(world, 2, unlink)  # the listener unlinks while page two is being imported
    await world.worker().drain()
    assert await library_entries.library_count(world.db.pool, uid) == 0
    assert await spotify_links.get_link(world.db.pool, uid) is None
    # unlink cancelled the running sync and wiped what it carried; the sync stopped
    job = await world.db.pool.fetchrow("SELECT * FROM jobs ORDER BY id DESC LIMIT 1")
    assert job["status"] == "cancelled" and job["payload"] == {} and job["progress"] == {}
    assert await world.db.pool.fetchval("SELECT count(*) FROM tracks WHERE NOT in_catalog") == 0


async def test_daily_refresh_queues_one_sync_per_stale_link(world: World) -> None:
    uid = await world.linked(ALICE)
    await world.worker().drain()
    await schedule_library_refresh(world.db, every_s=86400)
    assert await world.db.pool.fetchval("SELECT count(*) FROM jobs WHERE status = 'queued'") == 0
    await world.db.pool.execute(
        "UPDATE spotify_links SET last_synced_at = now() - interval '25 hours'"
    )
    await world.db.pool.execute("UPDATE jobs SET created_at = now() - interval '25 hours'")
    await schedule_library_refresh(world.db, every_s=86400)
    await schedule_library_refresh(world.db, every_s=86400)
    queued = await world.db.pool.fetch("SELECT * FROM jobs WHERE status = 'queued'")
    assert len(queued) == 1 and queued[0]["dedupe_key"] == f"library:{uid}"


async def test_one_sync_per_user_at_a_time(world: World) -> None:
    uid = await world.linked(ALICE)
    again, created = await jobs.enqueue(
        world.db.pool, "library_sync", {"user_id": uid}, dedupe_key=f"library:{uid}"
    )
    assert not created
    assert await world.db.pool.fetchval("SELECT count(*) FROM jobs") == 1
    assert again == await world.db.pool.fetchval("SELECT id FROM jobs")


async def test_unlink_deletes_tokens_and_library(world: World) -> None:
    uid = await world.linked(ALICE)
    await world.worker().drain()
    reply = await world.accounts.unlink_spotify(ALICE)
    count = len(expected_pairs(world))
    assert reply.kind == "info" and f"{count} imported library entries" in reply.text
    assert await spotify_links.get_link(world.db.pool, uid) is None
    assert await library_entries.library_count(world.db.pool, uid) == 0
    again = await world.accounts.unlink_spotify(ALICE)
    assert "No Spotify account is linked" in again.text


async def test_forget_me_deletes_everything_and_counts_it(world: World) -> None:
    uid = await world.linked(ALICE)
    await world.worker().drain()
    rec = await world.db.pool.fetchval(
        "INSERT INTO recommendations (user_id) VALUES ($1) RETURNING id", uid
    )
    await world.db.pool.execute(
        "INSERT INTO feedback (recommendation_id, user_id, kind) VALUES ($1, $2, 'up')", rec, uid
    )
    reply = await world.accounts.forget_me(ALICE)
    count = len(expected_pairs(world))
    assert f"1 Spotify link, {count} library entries, 1 past answer, 1 feedback mark" in reply.text
    for table in ("spotify_links", "library_entries", "recommendations", "feedback"):
        assert await world.db.pool.fetchval(f"SELECT count(*) FROM {table}") == 0
    assert await find_user(world.db.pool, ALICE.platform, ALICE.user_id) is None


async def test_blend_needs_a_group_and_says_when_nothing_is_linked(world: World) -> None:
    solo = await world.accounts.set_blend(ALICE, True)
    assert "group" in solo.text
    group = ChatContext("discord", "42", "guild-chan", "alice", is_group=True)
    reply = await world.accounts.set_blend(group, True)
    assert "Link your Spotify account first" in reply.text
    await world.linked(ALICE)
    reply = await world.accounts.set_blend(group, True)
    assert reply.text == (
        "Your Spotify library now blends into this chat's answers. Your playlist names stay "
        'private: others see your songs as "from a member\'s library".'
    )
    from db.users import blended_members

    assert len(await blended_members(world.db.pool, "discord", "guild-chan")) == 1
