"""One path for writing tracks: a catalog import and a library sync agree on what is embedded.

Both write through db.tracks.upsert_tracks with the enricher's content hash, so a track one of
them embedded is not embedded again by the other when its text is the same. Embeddings are
counted by wrapping the real Embedder's embed_texts; the database is the real one.
"""

from __future__ import annotations

import csv
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from db.pool import Database
from handlers.catalog_import import ImportSummary, import_catalog
from handlers.replies import ChatContext
from recsys.embedder import Embedder
from recsys.enrichment import TrackEnricher
from support.fakes.fake_genius import FICTIONAL_SONGS, FakeGenius
from support.fakes.fake_spotify import Library, Track, fake_id
from support.fakes.spotify_world import World, listener_world
from tests.test_spotify_lyrics import themes_for

LISTENER = ChatContext("telegram", "31", "31")
EXPORTIFY_HEADER = (
    "Track URI,Track Name,Album Name,Artist Name(s),Release Date,Popularity,Genres,"
    "Danceability,Energy,Key,Loudness,Mode,Speechiness,Acousticness,Instrumentalness,"
    "Liveness,Valence,Tempo,Time Signature"
).split(",")
# Audio features of a quiet, sad song and of a loud, happy one (catalog rows carry them).
QUIET = ("0.30", "0.20", "4", "-14.0", "0", "0.04", "0.85", "0.10", "0.11", "0.15", "72", "4")
LOUD = ("0.85", "0.90", "1", "-4.0", "1", "0.06", "0.05", "0.00", "0.20", "0.90", "126", "4")


class EmbedCounter:
    """Counts the texts the real embedder embeds (the embedder itself does the work)."""

    def __init__(self, embedder: Embedder, monkeypatch: pytest.MonkeyPatch) -> None:
        self.texts = 0
        real = embedder.embed_texts

        def counting(texts: Sequence[str], *args: Any, **kwargs: Any) -> np.ndarray:
            self.texts += len(texts)
            return real(texts, *args, **kwargs)

        monkeypatch.setattr(embedder, "embed_texts", counting)


SONGS = [
    Track(fake_id("Empty Pillow"), "Empty Pillow", ["Rain Person"], "Grey"),
    Track(fake_id("Jump All Night"), "Jump All Night", ["Club Crew"], "Loud"),
    Track(fake_id("Quiet Instrumental"), "Quiet Instrumental", ["Nobody"], "Hush"),
]
CATALOG_ONLY = [
    Track(fake_id(f"catalog only {i}"), f"Catalog Song {i}", [f"Band {i}"], f"Record {i}")
    for i in range(4)
]


@pytest.fixture
async def genius() -> AsyncIterator[FakeGenius]:
    async with FakeGenius() as server:
        server.songs.update(FICTIONAL_SONGS)
        yield server


@pytest.fixture
async def world(db: Database, embedder: Embedder, genius: FakeGenius) -> AsyncIterator[World]:
    library = Library("Listener")
    library.tracks = {t.id: t for t in SONGS}
    library.playlists[fake_id("evening mix")] = ("Evening Mix", [t.id for t in SONGS])
    async with listener_world(db, embedder, library, user="listener") as world:
        world.sync.lyrics = themes_for(db, embedder, genius)
        yield world


def write_catalog(path: Path, tracks: Sequence[Track], *, features: bool) -> Path:
    """An Exportify-shaped catalog of these tracks, with audio features or without."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(EXPORTIFY_HEADER)
        for i, track in enumerate(tracks):
            values = (QUIET if i % 2 else LOUD) if features else ("",) * len(QUIET)
            row = [f"spotify:track:{track.id}", track.name, track.album, ";".join(track.artists)]
            out.writerow([*row, "2020", "50", "", *values])
    return path


async def run_import(db: Database, embedder: Embedder, path: Path) -> ImportSummary:
    return await import_catalog(db, TrackEnricher(embedder), path)


async def sync_library(world: World) -> None:
    assert (await world.link(LISTENER))[0] == 200
    assert await world.worker().drain() == 1


async def hashes(db: Database) -> dict[str, str]:
    rows = await db.pool.fetch("SELECT spotify_id, content_hash FROM tracks")
    return {row["spotify_id"]: row["content_hash"] for row in rows}


async def test_reimporting_the_catalog_after_a_library_sync_embeds_nothing(
    db: Database,
    embedder: Embedder,
    world: World,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    catalog = write_catalog(tmp_path / "catalog.csv", SONGS + CATALOG_ONLY, features=True)
    counter = EmbedCounter(embedder, monkeypatch)
    first = await run_import(db, embedder, catalog)
    assert first.embedded == len(SONGS + CATALOG_ONLY) and counter.texts >= first.embedded
    imported = await hashes(db)

    await sync_library(world)
    # the sync found lyrics for two catalog tracks and embedded them again with their themes
    themes = dict(await db.pool.fetch("SELECT title, lyrics_themes FROM tracks"))
    assert "sadness" in themes["Empty Pillow"] and themes["Quiet Instrumental"] == []
    synced = await hashes(db)
    assert {s for s in synced if synced[s] != imported[s]} == {SONGS[0].id, SONGS[1].id}

    counter.texts = 0
    again = await run_import(db, embedder, catalog)
    assert again.embedded == 0, again
    assert counter.texts == 0
    assert (again.imported, again.updated, again.unchanged) == (0, 0, len(SONGS + CATALOG_ONLY))
    assert await hashes(db) == synced
    # the lyrics themes the sync found are still in the rows and in their embedded text
    assert "sadness" in (
        await db.pool.fetchval(
            "SELECT lyrics_themes FROM tracks WHERE spotify_id = $1", SONGS[0].id
        )
    )


async def test_a_catalog_import_does_not_embed_again_what_a_library_sync_embedded(
    db: Database,
    embedder: Embedder,
    world: World,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world.sync.lyrics = None
    await sync_library(world)
    synced = await hashes(db)
    assert len(synced) == len(SONGS) and all(synced.values())

    # the catalog knows these tracks by the same names and nothing more: the same text
    catalog = write_catalog(tmp_path / "catalog.csv", SONGS + CATALOG_ONLY, features=False)
    counter = EmbedCounter(embedder, monkeypatch)
    summary = await run_import(db, embedder, catalog)
    assert summary.embedded == len(CATALOG_ONLY) and counter.texts >= len(CATALOG_ONLY)
    stored = await hashes(db)
    assert {s: stored[s] for s in synced} == synced
    flags = dict(await db.pool.fetch("SELECT spotify_id, in_catalog FROM tracks"))
    assert all(flags.values())  # the library's tracks are catalog tracks now
