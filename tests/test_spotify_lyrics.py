"""Lyrics themes through lyricsgenius against a local Genius: themes kept, text never stored."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from db.pool import Database
from handlers.edge.genius import make_genius
from handlers.spotify.lyrics import LyricsThemes, lookup_key
from handlers.spotify.tracks import TrackStore
from recsys.embedder import Embedder
from recsys.enrichment import TrackEnricher
from recsys.models import TrackInfo
from recsys.themes import ThemeTagger
from support.fakes.fake_genius import FICTIONAL_SONGS, HEARTBREAK, PARTY, FakeGenius
from support.fakes.fake_spotify import Track, fake_id


@pytest.fixture
async def genius() -> AsyncIterator[FakeGenius]:
    async with FakeGenius() as server:
        server.songs.update(FICTIONAL_SONGS)
        yield server


def themes_for(db: Database, embedder: Embedder, fake: FakeGenius) -> LyricsThemes:
    client = make_genius("fake-genius-token", fake.url, fake.url)
    client.sleep_time = 0  # the fake needs no politeness
    return LyricsThemes(db, client, ThemeTagger(embedder), embedder)


def info(title: str, artist: str) -> TrackInfo:
    return TrackInfo(fake_id(title), title, (artist,))


async def test_themes_are_derived_cached_and_lyrics_never_stored(
    db: Database, embedder: Embedder, genius: FakeGenius
) -> None:
    lookup = themes_for(db, embedder, genius)
    sad, party, unknown = (
        info("Empty Pillow", "Rain Person"),
        info("Jump All Night", "Club Crew"),
        info("No Such Song", "Nobody"),
    )
    found = await lookup([sad, party, unknown])
    assert "sadness" in found[sad.spotify_id]
    assert "party" in found[party.spotify_id] or "energy" in found[party.spotify_id]
    assert unknown.spotify_id not in found
    rows = {r["lookup_key"]: r for r in await db.pool.fetch("SELECT * FROM lyrics_cache")}
    assert rows[lookup_key(unknown)]["found"] is False  # misses are cached too
    assert rows[lookup_key(sad)]["found"] is True
    before = len(genius.requests)
    assert await lookup([sad, party, unknown]) == found  # all from the cache
    assert len(genius.requests) == before
    dump = await db.pool.fetchval("SELECT string_agg(t::text, ' ') FROM lyrics_cache t")
    for line in (HEARTBREAK + "\n" + PARTY).lower().splitlines():
        assert line[:20] not in dump.lower()


async def test_genius_down_pauses_lookups_without_caching_misses(
    db: Database, embedder: Embedder, genius: FakeGenius
) -> None:
    genius.down = True
    found = await themes_for(db, embedder, genius)([info("Empty Pillow", "Rain Person")])
    assert found == {}
    assert await db.pool.fetchval("SELECT count(*) FROM lyrics_cache") == 0


async def test_library_tracks_get_lyrics_themes_in_their_row(
    db: Database, embedder: Embedder, genius: FakeGenius
) -> None:
    store = TrackStore(db, TrackEnricher(embedder), themes_for(db, embedder, genius))
    track = Track(fake_id("Empty Pillow"), "Empty Pillow", ["Rain Person"], "Grey")
    ids = await store.store([track.json()])
    row = await db.pool.fetchrow("SELECT * FROM tracks WHERE id = $1", ids[track.id])
    assert "sadness" in row["lyrics_themes"] and row["embedding"] is not None


async def test_library_sync_adds_lyrics_themes_after_the_import(
    db: Database, embedder: Embedder, genius: FakeGenius
) -> None:
    from handlers.replies import ChatContext
    from support.fakes.fake_spotify import Library
    from support.fakes.spotify_world import listener_world

    library = Library("Lyric Fan")
    songs = [
        Track(fake_id("Empty Pillow"), "Empty Pillow", ["Rain Person"], "Grey"),
        Track(fake_id("Jump All Night"), "Jump All Night", ["Club Crew"], "Loud"),
        Track(fake_id("Instrumental"), "Quiet Instrumental", ["Nobody"], "None"),
    ]
    library.tracks = {t.id: t for t in songs}
    library.playlists[fake_id("mix")] = ("Mix", [t.id for t in songs])
    async with listener_world(db, embedder, library, user="fan") as world:
        world.sync.lyrics = themes_for(db, embedder, genius)
        assert (await world.link(ChatContext("telegram", "9", "9")))[0] == 200
        assert await world.worker().drain() == 1
    result = await db.pool.fetchval("SELECT result FROM jobs")
    assert result["lyrics"] == {"looked_up": 3, "retagged": 2, "left": 0}
    themes = dict(await db.pool.fetch("SELECT title, lyrics_themes FROM tracks"))
    assert "sadness" in themes["Empty Pillow"] and themes["Quiet Instrumental"] == []
    text_hash = await db.pool.fetchval(
        "SELECT count(DISTINCT content_hash) FROM tracks WHERE embedding IS NOT NULL"
    )
    assert text_hash == 3
