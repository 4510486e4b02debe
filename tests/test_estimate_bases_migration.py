"""Alembic 0012: estimates may name the track's words beside other sources; going back turns
those bases into the ones without the words, and a basis outside the list is still refused."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from db import migrations
from db.pool import connect

BEFORE = "0011"  # the revision 0012_estimate_bases follows


@pytest.fixture
def own_data_dir() -> Iterator[Path]:
    """A data directory of the test's own (short: Unix socket paths are limited)."""
    path = Path(tempfile.mkdtemp(prefix="mle-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


async def test_bases_that_name_the_words_come_and_go(own_data_dir: Path) -> None:
    database = await connect("", own_data_dir, pool_size=1)
    try:
        await migrations.upgrade(database.url, "0012")
        insert = (
            "INSERT INTO tracks (spotify_id, title, artists, mood_source, est_valence, "
            "est_energy, est_error, est_basis) VALUES ($1, 'T', '{A}', 'estimated', 0.4, 0.5, "
            "0.18, $2)"
        )
        async with database.pool.acquire() as conn:
            await conn.execute(insert, "0" * 21 + "1", "artist_playlist_text")
            await conn.execute(insert, "0" * 21 + "2", "text")
            with pytest.raises(asyncpg.CheckViolationError):
                await conn.execute(insert, "0" * 21 + "3", "lyrics")
        await migrations.downgrade(database.url, BEFORE)
        async with database.pool.acquire() as conn:
            bases = await conn.fetch("SELECT est_basis FROM tracks ORDER BY spotify_id")
            assert [r["est_basis"] for r in bases] == ["artist_playlist", "text"]
            with pytest.raises(asyncpg.CheckViolationError):
                await conn.execute(insert, "0" * 21 + "4", "artist_text")
    finally:
        await database.close()
