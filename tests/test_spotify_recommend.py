"""The whole path: /link, Spotify's consent, the callback, the import job, then an answer that
puts the listener's own songs first and names their playlist."""

from __future__ import annotations

from pathlib import Path

from db.pool import Database
from db.users import find_user
from handlers.replies import ChatContext
from handlers.stores import DatabaseCandidates
from handlers.texts import worded
from recsys.embedder import Embedder
from recsys.mood_reader import MoodReader
from recsys.recommender import Recommender, RecommendRequest
from support.catalog_fixture import fake_spotify_id, load_catalog
from support.fakes.fake_spotify import FakeSpotify, Library, Track, fake_id
from support.fakes.spotify_world import make_world

ALICE = ChatContext("telegram", "5005", "5005", "alice")
# positions in support/catalog_fixture.MOODS
SAD = (0, 1, 4)
PARTY = (10, 11, 13)


def library_over_catalog() -> Library:
    """A listener whose playlists hold some catalog songs and some the catalog lacks."""
    library = Library("Alice Listener")
    playlists = {"Rainy Days": SAD, "Bangers": PARTY}
    for name, positions in playlists.items():
        ids = []
        for n in positions:
            track = Track(fake_spotify_id(n), f"catalog song {n}", [f"Test Artist {n}"], "A")
            library.tracks[track.id] = track
            ids.append(track.id)
        extra = Track(fake_id(f"extra-{name}"), f"Unknown {name} B-side", ["Garage Band"], "Demo")
        library.tracks[extra.id] = extra
        library.playlists[fake_id(name)] = (name, [*ids, extra.id])
    return library


async def test_linked_listener_gets_own_songs_with_the_playlist_named(
    db: Database, embedder: Embedder, tmp_path: Path
) -> None:
    await load_catalog(db, embedder, tmp_path)
    fake = FakeSpotify()
    fake.add_user("alice", library_over_catalog())
    world = await make_world(db, embedder, fake)
    try:
        status, page = await world.link(ALICE)
        assert status == 200 and "Linked as Alice Listener" in page
        assert world.notifier.sent[0][2] == (
            "Linked as Alice Listener. Importing 8 tracks from 2 playlists..."
        )
        assert await world.worker().drain() == 1
    finally:
        await world.close()
    uid = await find_user(db.pool, ALICE.platform, ALICE.user_id)
    assert uid is not None
    reader = MoodReader(embedder)
    recommender = Recommender(DatabaseCandidates(db.read_pool), embedder, reader)
    answer = await recommender.recommend(
        RecommendRequest(
            words="sad, lonely, rainy night alone", user_ids=(uid,), top=5, name_playlists=True
        )
    )
    own = [t for t in worded(answer, "en").tracks if t.playlist_name]
    assert own, [t.title for t in answer.tracks]
    assert {t.playlist_name for t in own} == {"Rainy Days"}
    assert all("Rainy Days" in t.reason for t in own)
    sad_ids = {fake_spotify_id(n) for n in SAD}
    assert answer.tracks[0].spotify_id in sad_ids  # the listener's own sad song leads
