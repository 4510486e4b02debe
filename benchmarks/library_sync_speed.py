"""A library sync of 1,000 new tracks with the audio-features service on (a local fake) and off.

`python -m benchmarks.library_sync_speed [--tracks 1000] [--rounds 3]` links one listener to
the fake Spotify and syncs their library again and again, each round from an empty track
table (so every track is new: fetched, stored, embedded, keyed, matched, estimated), the
service alternately off and on. With it on, the sync also queues the tracks for the service;
the `features_lookup` job that then asks the fake (which knows half of them) is timed apart,
since it runs after the sync and never delays it. Target: on within 2x of off.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks.common import machine
from db import jobs, migrations
from db.pool import Database, connect
from handlers.edge.features import FeaturesClient
from handlers.edge.worker import Worker
from handlers.features_lookup import FeaturesLookup
from handlers.library_moods import FEATURES_LOOKUP, MoodPlacer
from handlers.replies import ChatContext
from handlers.spotify.linking import LIBRARY_SYNC, library_key
from recsys.embedder import Embedder
from recsys.text_mood import WEIGHTS_PATH, shipped_model
from support.fakes.fake_features import FakeFeatures
from support.fakes.fake_spotify import FakeSpotify, fictional_library
from support.fakes.spotify_world import World, make_world

LISTENER = ChatContext("discord", "1", "1", "bench")
# Emptied before each round so that every track of the library is new again.
TABLES = "tracks, library_entries, features_lookups, jobs"


async def _round(
    world: World, user_id: int, features_on: bool, fake: FakeFeatures
) -> tuple[float, float]:
    """One sync from empty; (sync seconds, lookup job seconds)."""
    await world.db.pool.execute(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE")
    # as bot/app.py wires it: the text model runs when its weights ship
    embedder = world.sync.tracks.enricher.embedder
    world.sync.moods = MoodPlacer(world.db, features_on=features_on, embedder=embedder)
    await jobs.enqueue(
        world.db.pool,
        LIBRARY_SYNC,
        {"user_id": user_id, "initial": True},
        dedupe_key=library_key(user_id),
    )
    started = time.perf_counter()
    await world.worker().drain()
    synced = time.perf_counter() - started
    if not features_on:
        return synced, 0.0
    client = FeaturesClient(fake.url)
    started = time.perf_counter()
    await Worker(world.db, {FEATURES_LOOKUP: FeaturesLookup(world.db, client)}).drain()
    looked = time.perf_counter() - started
    await client.close()
    return synced, looked


async def run(tracks: int, rounds: int, data_dir: Path) -> None:
    """Every round, printed, then the medians and their ratio."""
    database: Database = await connect("", data_dir, pool_size=4)
    await migrations.upgrade(database.url)
    spotify = FakeSpotify()
    library = fictional_library("Bench", sizes=(tracks // 2, tracks - tracks // 2))
    spotify.add_user("bench", library)
    service = FakeFeatures()
    service.known = {
        tid: {"valence": 0.5, "energy": 0.5} for n, tid in enumerate(library.tracks) if n % 2
    }
    await service.start()
    world = await make_world(database, Embedder(), spotify)
    try:
        status, _ = await world.link(LISTENER)
        assert status == 200, "linking the fake listener failed"
        user_id = int(await database.pool.fetchval("SELECT id FROM chat_users"))
        await world.worker().drain()  # warm: the embedder's first batch loads the model
        off: list[float] = []
        on: list[float] = []
        lookups: list[float] = []
        for n in range(rounds):
            for features_on in (False, True):
                synced, looked = await _round(world, user_id, features_on, service)
                (on if features_on else off).append(synced)
                if features_on:
                    lookups.append(looked)
                print(
                    f"round {n + 1} service {'on ' if features_on else 'off'}: sync {synced:.2f} s"
                    + (
                        f", lookup job {looked:.2f} s ({len(service.requests)} requests so far)"
                        if features_on
                        else ""
                    )
                )
        _report(tracks, off, on, lookups)
    finally:
        await world.close()
        await service.stop()
        await database.close()


def _report(
    tracks: int, off: Sequence[float], on: Sequence[float], lookups: Sequence[float]
) -> None:
    off_m, on_m = statistics.median(off), statistics.median(on)
    print(f"\n{machine().line()}; {tracks} new tracks, {len(off)} rounds each")
    text = "on" if shipped_model() is not None else f"off (no weights at {WEIGHTS_PATH})"
    print(f"text model at sync time: {text}")
    print(f"sync, service off: median {off_m:.2f} s (max {max(off):.2f})")
    print(
        f"sync, service on:  median {on_m:.2f} s (max {max(on):.2f}); ratio {on_m / off_m:.2f}x "
        f"({'within' if on_m <= 2 * off_m else 'OVER'} the 2x target)"
    )
    print(f"features_lookup job after the sync: median {statistics.median(lookups):.2f} s")


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the options and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    # a short path: the embedded server's Unix socket must stay under ~107 bytes
    with tempfile.TemporaryDirectory(prefix="mlsync-", dir="/tmp") as tmp:
        asyncio.run(run(args.tracks, args.rounds, Path(tmp)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
