"""Library tracks get a mood with a source: twins, estimates, and the features service's faults."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from db import jobs
from db import moods as store
from db.pool import Database
from handlers.edge.features import FeaturesClient
from handlers.edge.worker import Worker
from handlers.features_lookup import FeaturesLookup
from handlers.library_moods import (
    FEATURES_KEY,
    FEATURES_LOOKUP,
    MOOD_REFRESH,
    MoodPlacer,
    Placement,
    share_line,
)
from handlers.mood_refresh import MoodRefresh, schedule_mood_refresh
from handlers.spotify.sync import done_message
from handlers.spotify.tracks import TrackStore
from handlers.texts import worded as in_words
from recsys.embedder import EMBEDDING_DIM, Embedder
from recsys.enrichment import TrackEnricher
from recsys.models import AudioTraits, Recommendation, TrackPick
from recsys.text_mood import TextMoodModel
from support.fakes.fake_features import FakeFeatures


def sid(n: int) -> str:
    """A valid 22-character Spotify id."""
    return f"{n:022d}"


async def add_track(
    db: Database,
    n: int,
    title: str,
    artist: str,
    mood: tuple[float, float] | None = None,
    in_catalog: bool = False,
) -> int:
    valence, energy = mood if mood else (None, None)
    track_id: int = await db.pool.fetchval(
        "INSERT INTO tracks (spotify_id, title, artists, valence, energy, in_catalog) "
        "VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        sid(n),
        title,
        [artist],
        valence,
        energy,
        in_catalog,
    )
    return track_id


async def add_listener(db: Database, entries: Sequence[tuple[int, str]]) -> int:
    user_id: int = await db.pool.fetchval(
        "INSERT INTO chat_users (platform, platform_user_id) VALUES ('cli', 'me') RETURNING id"
    )
    for track_id, playlist in entries:
        await db.pool.execute(
            "INSERT INTO library_entries (user_id, track_id, playlist_id, playlist_name, origin) "
            "VALUES ($1, $2, $3, 'LOVE <3', 'playlist')",
            user_id,
            track_id,
            playlist,
        )
    return user_id


async def source(db: Database, track_id: int) -> dict[str, Any]:
    row = await db.pool.fetchrow("SELECT * FROM tracks WHERE id = $1", track_id)
    assert row is not None
    return dict(row)


async def test_catalog_features_are_labelled_measured(db: Database) -> None:
    """Any write that brings valence and energy to an unmeasured track labels it 'catalog'."""
    known = await add_track(db, 1, "Known", "A", (0.4, 0.5), in_catalog=True)
    blind = await add_track(db, 2, "Blind", "A")
    assert (await source(db, known))["mood_source"] == "catalog"
    assert (await source(db, blind))["mood_source"] == "none"
    await db.pool.execute("UPDATE tracks SET valence = 0.3, energy = 0.2 WHERE id = $1", blind)
    assert (await source(db, blind))["mood_source"] == "catalog"


async def test_a_sync_places_tracks_by_twin_and_by_estimate(db: Database) -> None:
    """The same song is measured; a live version and unknown songs are estimated apart."""
    for n in range(5):
        await add_track(db, 100 + n, f"Sad song {n}", "Adele", (0.1, 0.3), in_catalog=True)
    await add_track(db, 110, "Hello", "Adele", (0.25, 0.45), in_catalog=True)
    remaster = await add_track(db, 1, "Hello - Remastered 2020", "Adele")
    live = await add_track(db, 2, "Hello (Live)", "Adele")
    stranger = await add_track(db, 3, "Stranger", "Nobody Known")
    alone = await add_track(db, 4, "Alone", "Nobody Either")
    happy = await add_track(db, 120, "Happy", "Pharrell", (0.95, 0.8), in_catalog=True)
    user = await add_listener(
        db, [(remaster, "p1"), (live, "p1"), (happy, "p1"), (stranger, "p1"), (alone, "p2")]
    )
    placement = await MoodPlacer(db).place_library(user)
    twin = await source(db, remaster)
    assert twin["mood_source"] == "same_song" and twin["mood_twin_id"] is not None
    assert (twin["valence"], twin["energy"]) == (pytest.approx(0.25), pytest.approx(0.45))
    live_row = await source(db, live)
    assert live_row["mood_source"] == "estimated" and live_row["valence"] is None
    # six steady Adele songs carry it; the two very different songs of p1 weigh under a fifth
    assert live_row["est_basis"] == "artist" and live_row["est_valence"] < 0.5
    assert 0 < live_row["est_error"] < 1
    assert (await source(db, stranger))["est_basis"] == "playlist"
    assert (await source(db, alone))["mood_source"] == "none"
    assert (placement.total, placement.catalog, placement.same_song) == (5, 1, 1)
    assert (placement.estimated, placement.placed) == (2, 4)


@pytest.fixture
async def fake() -> AsyncIterator[FakeFeatures]:
    service = FakeFeatures()
    await service.start()
    yield service
    await service.stop()


async def blind_library(db: Database, count: int) -> tuple[int, list[int]]:
    ids = [await add_track(db, n + 1, f"Song {n}", f"Artist {n}") for n in range(count)]
    await add_track(db, 9000, "Known", "Artist 0", (0.2, 0.3), in_catalog=True)
    user = await add_listener(db, [(i, "p1") for i in ids])
    return user, ids


async def run_lookups(db: Database, fake: FakeFeatures) -> Worker:
    client = FeaturesClient(fake.url, timeout_s=0.5)
    worker = Worker(db, {FEATURES_LOOKUP: FeaturesLookup(db, client)})
    await worker.drain()
    assert not client.connected  # each run closes its pool: nothing left open at shutdown
    return worker


async def lookup_job(db: Database) -> dict[str, Any]:
    row = await db.pool.fetchrow(
        "SELECT * FROM jobs WHERE kind = $1 ORDER BY id DESC LIMIT 1", FEATURES_LOOKUP
    )
    assert row is not None
    return dict(row)


async def test_the_service_is_asked_in_batches_and_misses_are_remembered(
    db: Database, fake: FakeFeatures
) -> None:
    """100 blind tracks: three requests of at most 40; found ones measured; misses wait."""
    user, ids = await blind_library(db, 100)
    fake.known = {sid(n + 1): {"valence": 0.9, "energy": 0.7} for n in range(0, 100, 2)}
    placement = await MoodPlacer(db, features_on=True).place_library(user)
    assert placement.queued == 100 and fake.requests == []  # the sync never waits on it
    await run_lookups(db, fake)
    assert [len(r) for r in fake.requests] == [40, 40, 20]
    assert sorted(i for r in fake.requests for i in r) == [sid(n + 1) for n in range(100)]
    measured = await source(db, ids[0])
    assert measured["mood_source"] == "features_service"
    assert measured["valence"] == pytest.approx(0.9)
    missed = await source(db, ids[1])
    assert missed["mood_source"] in ("estimated", "none") and missed["valence"] is None
    wait = await db.pool.fetchval(
        "SELECT min(extract(epoch FROM next_ask_at - now())) FROM features_lookups "
        "WHERE status = 'missing'"
    )
    assert wait > 29 * 86400
    # another listener's sync of the same tracks asks nothing again
    fake.requests.clear()
    await MoodPlacer(db, features_on=True).place_library(user)
    await run_lookups(db, fake)
    assert fake.requests == []
    refresh = await db.pool.fetchval("SELECT count(*) FROM jobs WHERE kind = $1", MOOD_REFRESH)
    assert refresh == 1


async def test_429_reschedules_after_retry_after(db: Database, fake: FakeFeatures) -> None:
    """Rate limited: the job waits the service's Retry-After; tracks keep their estimate."""
    user, ids = await blind_library(db, 3)
    fake.known = {sid(1): {"valence": 0.9, "energy": 0.7}}
    fake.fail_status, fake.retry_after = 429, "600"
    await MoodPlacer(db, features_on=True).place_library(user)
    before = await source(db, ids[0])
    await run_lookups(db, fake)
    job = await lookup_job(db)
    wait = await db.pool.fetchval(
        "SELECT extract(epoch FROM run_after - now()) FROM jobs WHERE id = $1", job["id"]
    )
    assert job["status"] == "queued" and 500 < wait <= 600
    assert await source(db, ids[0]) == before
    assert await store.pending_lookups(db.pool) == 3


@pytest.mark.parametrize("fault", ["500", "slow", "garbage", "down", "oversized"])
async def test_faults_leave_the_estimate_and_retry_later(
    db: Database, fake: FakeFeatures, fault: str
) -> None:
    """5xx, a slow or absent service, garbage, an oversized answer: retried later, nothing lost."""
    user, ids = await blind_library(db, 3)
    fake.known = {sid(1): {"valence": 0.9, "energy": 0.7}}
    if fault == "500":
        fake.fail_status = 500
    elif fault == "slow":
        fake.delay_s = 2.0
    elif fault == "garbage":
        fake.garbage = b"<html>maintenance</html>"
    elif fault == "oversized":
        fake.garbage = b'{"content": [' + b"{}," * 600_000 + b"{}]}"
    else:
        await fake.stop()
    await MoodPlacer(db, features_on=True).place_library(user)
    before = await source(db, ids[0])
    await run_lookups(db, fake)
    job = await lookup_job(db)
    assert job["status"] == "queued" and job["last_error"]
    assert await source(db, ids[0]) == before
    assert await store.pending_lookups(db.pool) == 3  # still wanted: the job's retry asks
    # the service recovers: the retried job measures the track
    fake.fail_status, fake.delay_s, fake.garbage = None, 0.0, None
    if fault == "down":
        await fake.start()
    await db.pool.execute("UPDATE jobs SET run_after = now()")
    client = FeaturesClient(fake.url, timeout_s=0.5)
    await Worker(db, {FEATURES_LOOKUP: FeaturesLookup(db, client)}).drain()
    await client.close()
    assert (await source(db, ids[0]))["mood_source"] == "features_service"


async def test_partial_and_oversized_answers_keep_what_fits(
    db: Database, fake: FakeFeatures
) -> None:
    """Items for ids not asked are ignored; asked ids left out are misses."""
    user, ids = await blind_library(db, 2)
    fake.known = {sid(1): {"valence": 0.9, "energy": 0.7}, sid(2): {"valence": 0.1, "energy": 0.1}}
    fake.answer_at_most = 1
    fake.extra_items = [
        {"href": f"https://open.spotify.com/track/{sid(9000)}", "valence": 0.0, "energy": 0.0}
    ]
    await MoodPlacer(db, features_on=True).place_library(user)
    await run_lookups(db, fake)
    assert (await source(db, ids[0]))["mood_source"] == "features_service"
    assert (await source(db, ids[1]))["valence"] is None
    untouched = await db.pool.fetchrow(
        "SELECT valence FROM tracks WHERE spotify_id = $1", sid(9000)
    )
    assert untouched is not None and untouched["valence"] == pytest.approx(0.2)


async def test_service_off_queues_nothing(db: Database) -> None:
    """With the setting empty no lookup is queued and no job is created."""
    user, _ = await blind_library(db, 3)
    placement = await MoodPlacer(db, features_on=False).place_library(user)
    assert placement.queued == 0
    assert (
        await db.pool.fetchval("SELECT count(*) FROM jobs WHERE dedupe_key = $1", FEATURES_KEY) == 0
    )


async def test_refresh_after_a_catalog_import_measures_twins_once(db: Database) -> None:
    """A later import brings the same song: the refresh measures it; a second run is a no-op."""
    user, ids = await blind_library(db, 2)
    await MoodPlacer(db).place_library(user)
    assert (await source(db, ids[0]))["mood_source"] == "estimated"
    await add_track(db, 9001, "Song 1 - Remastered", "Artist 1", (0.8, 0.9), in_catalog=True)
    await schedule_mood_refresh(db)
    refresh = MoodRefresh(db, MoodPlacer(db))
    assert await Worker(db, {MOOD_REFRESH: refresh}).drain() == 1
    row = await source(db, ids[1])
    assert (row["mood_source"], row["valence"]) == ("same_song", pytest.approx(0.8))
    first = [dict(r) for r in await db.pool.fetch("SELECT * FROM tracks ORDER BY id")]
    await schedule_mood_refresh(db)
    assert await db.pool.fetchval("SELECT count(*) FROM jobs WHERE status = 'queued'") == 0
    await jobs.enqueue(db.pool, MOOD_REFRESH, {})
    await Worker(db, {MOOD_REFRESH: refresh}).drain()
    again = [dict(r) for r in await db.pool.fetch("SELECT * FROM tracks ORDER BY id")]
    assert again == first
    result = await db.pool.fetchval(
        "SELECT result FROM jobs WHERE kind = $1 ORDER BY id DESC LIMIT 1", MOOD_REFRESH
    )
    assert result.get("matched", 0) == 0


async def test_shares_by_source_for_the_operator(db: Database) -> None:
    """doctor's and /metrics' counts: library tracks by source, trending apart."""
    user, _ = await blind_library(db, 4)
    await add_track(db, 9100, "Song 2 (Remastered)", "Artist 2", (0.5, 0.5), in_catalog=True)
    await MoodPlacer(db).place_library(user)
    shares = await store.mood_shares(db.pool)
    assert shares["library"] == {
        "catalog": 0,
        "same_song": 1,
        "features_service": 0,
        "estimated": 3,
        "none": 0,
    }
    assert shares["catalog"]["catalog"] == 2 and sum(shares["trending"].values()) == 0
    assert share_line(shares["library"]) == "4 tracks: 25% measured, 75% estimated, 0% none"
    assert share_line(shares["trending"]) == "no tracks"


async def test_the_words_place_a_song_nothing_else_knows(db: Database, embedder: Embedder) -> None:
    """With the text model on (run at sync time through the real embedder), a song whose artist
    and playlist are unknown is guessed from its words, and the count says so."""
    bright = TextMoodModel(
        np.zeros((EMBEDDING_DIM, 2)),
        np.array([0.85, 0.75]),
        np.zeros((EMBEDDING_DIM, 2)),
        np.array([1e-4, 1e-4]),
        np.full(2, 1e-4),
    )
    alone = await add_track(db, 4, "Alone", "Nobody Either")
    await add_track(db, 130, "Known", "Once Known", (0.2, 0.3), in_catalog=True)
    other = await add_track(db, 5, "Other", "Once Known")
    user = await add_listener(db, [(alone, "p2"), (other, "p3")])
    placer = MoodPlacer(db, embedder=embedder, text_model=bright)
    placement = await placer.place_library(user)
    row = await source(db, alone)
    assert row["mood_source"] == "estimated" and row["est_basis"] == "text"
    assert 0.7 < row["est_valence"] < 0.85 and 0 < row["est_error"] < 0.21
    # one song of the artist carries a fifth of the guess: both are named (alembic 0012)
    both = await source(db, other)
    assert both["est_basis"] == "artist_text" and 0.2 < both["est_valence"] < 0.85
    assert (placement.estimated, placement.by_words) == (2, 1)
    # without the model, only the song whose artist is known gets an estimate
    assert await MoodPlacer(db).estimate_library(user) == 1


def test_a_guessed_mood_says_so_in_its_reason() -> None:
    """Estimated picks name where the guess came from; measured picks are left alone."""
    measured = TrackPick(1, sid(1), "A", ("X",), (), "from your playlist 'Road'", 1.0)
    guessed = replace(measured, track_id=2, mood_guessed="artist")
    listed = replace(measured, track_id=3, reason="", mood_guessed="playlist")
    answer = Recommendation("", (), (), AudioTraits(), (measured, guessed, listed))
    worded = in_words(answer, "en").tracks
    assert worded[0] == measured
    assert worded[1].reason == (
        "from your playlist 'Road'; mood guessed from the artist's other songs"
    )
    assert worded[2].reason == "mood guessed from the songs around it in your playlists"
    titled = replace(answer, tracks=(replace(measured, reason="", mood_guessed="artist_text"),))
    assert in_words(titled, "en").tracks[0].reason == (
        "mood guessed from the artist's other songs and the song's title"
    )


async def test_refresh_resumes_from_its_saved_progress(db: Database) -> None:
    """A refresh taken over after its first batch does not redo the tracks it had passed."""
    user, ids = await blind_library(db, 3)
    await MoodPlacer(db).place_library(user)
    for n in range(3):
        await add_track(db, 9200 + n, f"Song {n} (2015 Remaster)", f"Artist {n}", (0.9, 0.9), True)
    job_id, _ = await jobs.enqueue(db.pool, MOOD_REFRESH, {})
    await db.pool.execute(
        "UPDATE jobs SET progress = $2::jsonb WHERE id = $1",
        job_id,
        {"started_at": "2026-12-06T00:00:00+00:00", "keyed": 0, "after_id": ids[1]},
    )
    await MoodPlacer(db).key_tracks()
    await Worker(db, {MOOD_REFRESH: MoodRefresh(db, MoodPlacer(db))}).drain()
    sources = [(await source(db, i))["mood_source"] for i in ids]
    assert sources == ["estimated", "estimated", "same_song"]


async def test_a_track_measured_later_is_embedded_again_with_mood_words(
    db: Database, embedder: Embedder
) -> None:
    """The refresh re-enriches twins it measures: their text now carries mood words."""
    tracks = TrackStore(db, TrackEnricher(embedder))
    user, ids = await blind_library(db, 2)
    await tracks.reenrich(await store.tracks_by_ids(db.pool, ids), {})
    before = await source(db, ids[1])
    assert before["mood_words"] == [] and before["content_hash"]
    await MoodPlacer(db).place_library(user)
    await add_track(db, 9300, "Song 1 - Single Version", "Artist 1", (0.05, 0.1), True)

    async def reenrich(track_ids: Sequence[int]) -> None:
        await tracks.reenrich(await store.tracks_by_ids(db.pool, track_ids), {})

    await jobs.enqueue(db.pool, MOOD_REFRESH, {})
    await Worker(db, {MOOD_REFRESH: MoodRefresh(db, MoodPlacer(db), reenrich)}).drain()
    after = await source(db, ids[1])
    assert after["mood_source"] == "same_song" and after["mood_words"]
    assert after["content_hash"] != before["content_hash"]
    estimated = await source(db, ids[0])
    assert estimated["mood_words"] == []  # an estimate never becomes mood words


def test_the_link_message_says_how_many_rest_on_their_words() -> None:
    """When linking finishes, the songs guessed from their words alone are counted apart."""
    placement = Placement(
        total=10, catalog=2, same_song=1, features_service=0, estimated=5, queued=0, by_words=2
    )
    text = done_message("en", 10, 2, 0, placement)
    assert "I can place 8 of your 10 songs by mood: 3 by their measured sound, 5 guessed" in text
    assert text.endswith("2 of the guessed songs rest on their title and artist alone.")
    assert "alone" not in done_message("en", 10, 2, 0, replace(placement, by_words=0))
