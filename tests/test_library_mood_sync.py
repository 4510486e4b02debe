"""A library sync places the listener's tracks by mood and says how many, and how."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from db.pool import Database
from db.users import find_user
from handlers.replies import ChatContext
from recsys.embedder import Embedder
from support.fakes.fake_spotify import fictional_library
from support.fakes.spotify_world import World, listener_world

ALICE = ChatContext("discord", "42", "777", "alice")


@pytest.fixture
async def world(db: Database, embedder: Embedder) -> AsyncIterator[World]:
    library = fictional_library("Robin", sizes=(20, 6))
    # one track with an ISRC shared with a catalog song of another title: a twin by ISRC
    first = next(iter(library.tracks.values()))
    library.tracks[first.id] = replace(first, isrc="GB-AAA-20-00001")
    async with listener_world(db, embedder, library) as world:
        yield world


async def test_linking_tells_how_many_songs_can_be_placed_by_mood(world: World) -> None:
    """A catalog twin is measured, the artist's other songs give estimates, the rest is said."""
    await world.db.pool.execute(
        """
        INSERT INTO tracks (spotify_id, title, artists, valence, energy, in_catalog)
        VALUES ('CCCCCCCCCCCCCCCCCCCCC1', 'Song 0.1 - Remastered 2011', '{Artist 1}', 0.9, 0.8,
                true),
               ('CCCCCCCCCCCCCCCCCCCCC2', 'Other', '{Artist 2}', 0.2, 0.3, true)
        """
    )
    await world.db.pool.execute(
        "INSERT INTO tracks (spotify_id, title, artists, valence, energy, in_catalog, isrc) "
        "VALUES ('CCCCCCCCCCCCCCCCCCCCC3', 'Another Title', '{Someone}', 0.6, 0.1, true, "
        "'GBAAA2000001')"
    )
    status, _ = await world.link(ALICE)
    assert status == 200
    await world.worker().drain()
    user = await find_user(world.db.pool, ALICE.platform, ALICE.user_id)
    rows = await world.db.pool.fetch(
        "SELECT t.title, t.mood_source, t.valence, t.est_basis FROM tracks t "
        "WHERE t.id IN (SELECT track_id FROM library_entries WHERE user_id = $1)",
        user,
    )
    by_title = {r["title"]: r for r in rows}
    assert by_title["Song 0.1"]["mood_source"] == "same_song"
    assert by_title["Song 0.1"]["valence"] == pytest.approx(0.9)
    assert by_title["Song 0.0"]["mood_source"] == "same_song"  # by ISRC
    assert by_title["Song 0.0"]["valence"] == pytest.approx(0.6)
    stored = await world.db.pool.fetchval("SELECT isrc FROM tracks WHERE title = 'Song 0.0'")
    assert stored == "GBAAA2000001"
    assert by_title["Song 0.2"]["mood_source"] == "estimated"
    assert by_title["Song 0.2"]["valence"] is None
    told = [text for _, _, text in world.notifier.sent if "library is in" in text]
    assert len(told) == 1
    measured = sum(r["mood_source"] == "same_song" for r in rows)
    estimated = sum(r["mood_source"] == "estimated" for r in rows)
    assert f"I can place {measured + estimated} of your {len(rows)} songs by mood" in told[0]
    assert f"{measured} by their measured sound" in told[0]
    assert f"{estimated} guessed from the artist's other songs or your playlists" in told[0]
