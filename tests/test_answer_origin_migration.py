"""Alembic 0010 on a database that already holds answers: presses made before it are matched to
the answer they came from, so forget-me scrubs them too; nothing else is marked."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from db import migrations, privacy
from db.pool import connect

BEFORE = "0009"  # the revision before 0010_answer_origin


@pytest.fixture
def own_data_dir() -> Iterator[Path]:
    """A data directory of the test's own (short: Unix socket paths are limited)."""
    path = Path(tempfile.mkdtemp(prefix="mlo-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


async def answer(conn: asyncpg.Connection, user_id: int, chat: str, words: str, at: str) -> int:
    rec_id: int = await conn.fetchval(
        """INSERT INTO recommendations (user_id, platform, chat_id, query, created_at)
        VALUES ($1, 'telegram', $2, $3::jsonb, $4::text::timestamptz) RETURNING id""",
        user_id,
        chat,
        {"words": words, "caption": None},
        at,
    )
    return rec_id


async def test_presses_stored_before_0010_are_traced_to_their_asker(own_data_dir: Path) -> None:
    database = await connect("", own_data_dir, pool_size=1)
    try:
        await migrations.upgrade(database.url, BEFORE)
        async with database.pool.acquire() as conn:
            ana, ben, cy = [
                await conn.fetchval(
                    "INSERT INTO chat_users (platform, platform_user_id) "
                    "VALUES ('telegram', $1) RETURNING id",
                    name,
                )
                for name in ("ana", "ben", "cy")
            ]
            asked = await answer(conn, ana, "-1", "ana's secret words", "2026-12-01 10:00:00")
            # Ben pressed More like this on it a second later: his feedback, then his answer
            await conn.execute(
                "INSERT INTO feedback (recommendation_id, user_id, kind, created_at) "
                "VALUES ($1, $2, 'more', '2026-12-01 10:00:01')",
                asked,
                ben,
            )
            pressed = await answer(conn, ben, "-1", "ana's secret words", "2026-12-01 10:00:02")
            # Cy asked the same words himself an hour later, without pressing anything
            own = await answer(conn, cy, "-1", "ana's secret words", "2026-12-01 11:00:00")
        await migrations.upgrade(database.url)
        async with database.pool.acquire() as conn:
            marks = {
                row["id"]: (row["origin_id"], row["words_user_id"])
                for row in await conn.fetch(
                    "SELECT id, origin_id, words_user_id FROM recommendations"
                )
            }
            assert marks == {asked: (None, None), pressed: (asked, ana), own: (None, None)}
            await privacy.forget_user(conn, ana)
            left = await conn.fetch("SELECT id, query->>'words' AS words FROM recommendations")
        assert {row["id"]: row["words"] for row in left} == {
            pressed: "",
            own: "ana's secret words",  # Cy's own words
        }
    finally:
        await database.close()
