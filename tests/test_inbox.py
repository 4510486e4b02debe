"""The inbox on the real PostgreSQL: stored before acknowledged, redeliveries dropped, leases
renewed, abandoned updates taken over by exactly one process, answered rows wiped and pruned."""

from __future__ import annotations

import asyncio

import pytest

from db import inbox
from db.inbox import InboxItem
from db.pool import Database
from handlers.inbox import INBOX_MAX_ATTEMPTS, DurableInbox
from tests.test_faults_database import unreachable_pool

UPDATE = {"update_id": 7, "message": {"chat": {"id": 1}, "caption": "rainy day"}}


async def test_a_redelivered_update_is_stored_once(db: Database) -> None:
    box = DurableInbox(db, "telegram", "a:1")
    first = await box.accept("7", UPDATE, chat_id="1", user_id="1")
    assert first is not None
    assert await box.accept("7", UPDATE, chat_id="1", user_id="1") is None
    assert await inbox.working_count(db.pool, "telegram") == 1


async def test_an_abandoned_update_is_taken_over_by_one_process_only(db: Database) -> None:
    dead = DurableInbox(db, "telegram", "dead:1", lease_s=0.2)
    await dead.accept("7", UPDATE)
    await asyncio.sleep(0.5)  # the dead process renews nothing
    replayed: dict[str, list[InboxItem]] = {"b": [], "c": []}
    boxes = [DurableInbox(db, "telegram", f"{name}:1") for name in replayed]

    async def tick(box: DurableInbox, name: str) -> int:
        async def replay(item: InboxItem) -> None:
            replayed[name].append(item)

        return await box.tick(replay)

    counts = await asyncio.gather(
        *(tick(box, name) for box, name in zip(boxes, replayed, strict=True))
    )
    assert sorted(counts) == [0, 1]
    (item,) = replayed["b"] + replayed["c"]
    assert item.payload == UPDATE and item.attempts == 2


async def test_a_live_process_keeps_its_updates(db: Database) -> None:
    live = DurableInbox(db, "telegram", "live:1", lease_s=1.0)
    await live.accept("7", UPDATE)
    other = DurableInbox(db, "telegram", "other:1")

    async def never(item: InboxItem) -> None:
        raise AssertionError(f"took over a live process's update {item}")

    for _ in range(3):
        await asyncio.sleep(0.5)
        await inbox.renew(db.pool, "live:1", 1.0)
        assert await other.tick(never) == 0


async def test_answered_rows_keep_nothing_about_the_user(db: Database) -> None:
    box = DurableInbox(db, "telegram", "a:1")
    row = await box.accept("7", UPDATE, chat_id="1", user_id="1")
    assert row is not None
    await box.done([row])
    stored = await db.pool.fetchrow("SELECT * FROM inbox WHERE id = $1", row)
    assert stored["state"] == "done" and stored["payload"] == {}
    assert stored["chat_id"] is None and stored["user_id"] is None
    assert await box.accept("7", UPDATE) is None  # a late redelivery is still recognised
    assert await inbox.prune(db.pool, 0.0) == 1


async def test_an_update_that_keeps_crashing_its_process_is_given_up(db: Database) -> None:
    await DurableInbox(db, "telegram", "x:0", lease_s=0.0).accept("7", UPDATE)
    replays = 0

    async def crash(item: InboxItem) -> None:
        nonlocal replays
        replays += 1  # ...and the process dies: nothing marks it done

    for n in range(INBOX_MAX_ATTEMPTS + 1):
        await DurableInbox(db, "telegram", f"x:{n + 1}", lease_s=0.0).tick(crash)
    assert replays == INBOX_MAX_ATTEMPTS - 1
    state = await db.pool.fetchval("SELECT state FROM inbox")
    assert state == "failed"


async def test_forget_removes_pending_updates_of_the_user(db: Database) -> None:
    box = DurableInbox(db, "telegram", "a:1")
    await box.accept("7", UPDATE, chat_id="1", user_id="1")
    await box.accept("8", UPDATE, chat_id="2", user_id="2")
    assert await inbox.forget(db.pool, "telegram", "1") == 1
    assert await inbox.working_count(db.pool, "telegram") == 1


async def test_forget_me_removes_updates_still_waiting_in_the_inbox(db: Database) -> None:
    from db.privacy import forget_user
    from db.users import upsert_user

    user_id = await upsert_user(db.pool, "telegram", "1", "ana")
    box = DurableInbox(db, "telegram", "a:1")
    await box.accept("7", UPDATE, chat_id="1", user_id="1")
    await box.accept("8", UPDATE, chat_id="2", user_id="2")
    async with db.pool.acquire() as conn:
        await forget_user(conn, user_id)
    left = await db.pool.fetch("SELECT user_id FROM inbox")
    assert [row["user_id"] for row in left] == ["2"]


async def test_upkeep_outlives_an_unreachable_database(caplog: pytest.LogCaptureFixture) -> None:
    """The upkeep keeps ticking while the database is away: a warning per tick, the
    traceback only with the first (the backoff helper's outage count)."""
    pool = await unreachable_pool()
    box = DurableInbox(Database("postgresql://gone", pool, pool), "telegram", "a:1", tick_s=0.05)

    async def never(item: InboxItem) -> None:
        raise AssertionError(f"replayed {item} without a database")

    task = asyncio.create_task(box.maintain(never))
    await asyncio.sleep(0.5)
    box.stop()
    await asyncio.wait_for(task, 5)
    warned = [r for r in caplog.records if "telegram inbox: database unavailable" in r.getMessage()]
    assert len(warned) >= 2 and "DatabaseUnavailable" in warned[0].getMessage()
    assert [bool(r.exc_info) for r in warned] == [True] + [False] * (len(warned) - 1)
