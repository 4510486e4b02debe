"""The held-out chat check of issue 19, replicated in the project: a new listener's library in chat.

`python -m benchmarks.library_chat [--seed 19] [--half all|A|B] [--requests chat|dev]
[--unseen]` (needs ../shared/data and the cached 28k benchmark database, `python -m
support.synthetic --scale 28k`). `--half` keeps one half of the labelled tracks by artist
(training/calm_split.py's halves); `--requests dev` asks the dev table's 24 requests
(training/dev_table.py) instead; `--unseen` gives the library new Spotify ids (none known to
the catalog by id).

What it replays: a listener links a library the project has never seen (mood_labels_dev.csv's
343 tracks: Spotify track objects with no audio features, in six playlists named "Playlist 1"
to "Playlist 6") through the real linking, sync and library-mood code against the fake Spotify
Web API, then asks for 24 moods in chat through the bot service a Telegram text message
reaches (DefaultBotService.vibe, private chat, top 5). The catalog is the real 28k one: the
cached benchmark database is copied once (while no process runs it) to a private template in a
temporary directory, each run gets its own copy of that, and every copy is deleted after; the
cache itself is never opened.

Two arrangements of the playlists (which one the owners use is unknown): tracks dealt at
random (seeded), and grouped by their label (the set was gathered from mood playlists).
Three conditions of the audio-features service (MELODICLENS_FEATURES_URL, the local fake):
off; knowing a seeded random half of the library (with the CSV's real features); knowing all
of it. The sync, the `features_lookup` job and the `mood_refresh` job run through the job
worker as `melodiclens run` wires them (bot/jobs.py), schedulers included.

Scores per run: library_fit@5 = mean over requests of (library songs among the 5 whose label
is the asked mood) / 5; library precision = of all library songs shown, the share with the
asked label; per label "k of n" (k right of n library songs shown). 95% bootstrap intervals
over the requests (resampled within each label).

The 24 requests below were written before the first run and are not changed after seeing
results. mood_labels_dev.csv is the project's dev half of the owners' labelled set: the
owners' check very likely uses the other half, so these figures are a replica, not theirs.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import random
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from benchmarks.common import RESULTS_DIR, SHARED_DATA, machine, now_utc, write_json
from benchmarks.library_chat_score import LABELS, print_run, score
from bot.app import build_pipeline
from bot.jobs import add_mood_jobs
from bot.settings import load_settings
from db import migrations
from db.pool import Database, connect
from handlers.edge.worker import JobHandler, Scheduler, Worker
from handlers.features_lookup import FeaturesLookup
from handlers.library_moods import FEATURES_LOOKUP
from handlers.replies import ChatContext, VibeAsk
from handlers.service import DefaultBotService, ServiceConfig
from handlers.spotify.linking import LIBRARY_SYNC
from recsys.embedder import Embedder
from support import synthetic
from support.fakes.fake_features import FakeFeatures
from support.fakes.fake_ollama import closed_port_url
from support.fakes.fake_spotify import FakeSpotify, Library, Track, fake_id
from support.fakes.spotify_world import World, make_world
from training import calm_split
from training.dev_table import REQUESTS as DEV_REQUESTS

# Written before the first run; not to be changed after seeing results (see the docstring).
REQUESTS: dict[str, tuple[str, ...]] = {
    "Happy": (
        "happy songs",
        "something to cheer me up",
        "good vibes only",
        "songs that make me smile",
        "upbeat and happy, sunny afternoon",
        "feel good music",
    ),
    "Sad": (
        "sad",
        "music for a rainy heartbreak",
        "songs to cry to",
        "i miss her so much",
        "feeling down and lonely tonight",
        "sad songs for a breakup",
    ),
    "Energetic": (
        "energetic workout music",
        "pump me up for the gym",
        "hype songs for a party",
        "fast and loud, lets go",
        "running playlist, high energy",
        "songs to dance all night",
    ),
    "Calm": (
        "calm evening",
        "relaxing music to fall asleep",
        "soft piano to study",
        "chill and peaceful",
        "quiet sunday morning",
        "something soothing for my anxiety",
    ),
}
TOP = 5
PLAYLISTS = 6
ARRANGEMENTS = ("random", "by_label")
CONDITIONS = ("off", "half", "all")
# The targets, with the service knowing half the library.
TARGET_FIT = 0.45
TARGET_PRECISION = 0.55
# The service's features, as the CSV has them (the client keeps the ones it stores).
SERVICE_FEATURES = (
    *("valence", "energy", "danceability", "acousticness", "instrumentalness"),
    *("speechiness", "liveness", "tempo", "loudness"),
)
# The cache may be in use by another benchmark: wait for it this long, looking this often.
WAIT_IDLE_S = 1800.0
IDLE_POLL_S = 10.0
LISTENER = ChatContext("telegram", "919191", "919191", "Sam")


@dataclass(frozen=True)
class Labelled:
    """One track of the labelled set: its Spotify object's fields, label and real features."""

    spotify_id: str
    title: str
    artist: str
    album: str
    label: str  # its mood (one of LABELS), not a record label
    features: dict[str, float]  # by the names of SERVICE_FEATURES


@dataclass(frozen=True)
class Shown:
    """One of the 5 songs of an answer: from the library or not, whether its label is the asked
    mood, its mood source. No id or label is kept: the results file must not carry the
    labelled set's rows (../shared/data stays out of the repository)."""

    library: bool
    right: bool
    source: str | None


def labelled_tracks(half: str = "all", unseen: bool = False) -> list[Labelled]:
    """mood_labels_dev.csv, read at run time (never copied into the repository); `half` A or B
    keeps one half by artist, the halves of training/calm_split.py (TargetLimits were fitted
    on A); `unseen` gives every track a new Spotify id, so the catalog knows none by id (the
    same song under another id can still be matched by title and artist)."""
    with (SHARED_DATA / "mood_labels_dev.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    halves = [t.half for t in calm_split.tracks()]
    return [
        Labelled(
            fake_id(f"unseen-{r['id']}") if unseen else r["id"],
            r["name"],
            r["artist"],
            r["album"],
            r["mood"],
            {n: float(r[n]) for n in SERVICE_FEATURES},
        )
        for r, h in zip(rows, halves, strict=True)
        if half in ("all", h)
    ]


def arrange(tracks: Sequence[Labelled], how: str, seed: int) -> list[list[Labelled]]:
    """Six playlists: dealt at random, or grouped by label (the two largest labels in two)."""
    rng = random.Random(f"{seed}-{how}")
    shuffled = list(tracks)
    rng.shuffle(shuffled)
    if how == "random":
        return [shuffled[i::PLAYLISTS] for i in range(PLAYLISTS)]
    groups = [[t for t in shuffled if t.label == label] for label in LABELS]
    while len(groups) < PLAYLISTS:
        largest = max(groups, key=len)
        groups.remove(largest)
        groups += [largest[: len(largest) // 2], largest[len(largest) // 2 :]]
    rng.shuffle(groups)  # the names say nothing of the order of the labels
    return groups


def library_of(playlists: Sequence[Sequence[Labelled]]) -> Library:
    """The fake Spotify's view: plain playlist names, track objects without features or ISRC."""
    library = Library("Sam")
    for n, tracks in enumerate(playlists, start=1):
        for t in tracks:
            library.tracks[t.spotify_id] = Track(t.spotify_id, t.title, [t.artist], t.album)
        library.playlists[fake_id(f"sam-playlist-{n}")] = (
            f"Playlist {n}",
            [t.spotify_id for t in tracks],
        )
    return library


def known_to_service(tracks: Sequence[Labelled], condition: str, seed: int) -> set[str]:
    """The ids the features service knows: none, a seeded random half, or all."""
    ids = sorted(t.spotify_id for t in tracks)
    if condition == "off":
        return set()
    if condition == "all":
        return set(ids)
    random.Random(f"{seed}-half").shuffle(ids)
    return set(ids[: len(ids) // 2])


def copy_cache(into: Path) -> Path:
    """A private copy of the cached 28k database, taken while no process runs it (another
    benchmark may use the cache: this waits for it, up to WAIT_IDLE_S)."""
    bench = synthetic.cached("28k")
    if bench is None:
        raise SystemExit("build it first: python -m support.synthetic --scale 28k")
    source = bench.data_dir / "pg"
    for _ in range(int(WAIT_IDLE_S / IDLE_POLL_S)):
        if not _running(source):
            target = into / "pg"
            _copy(source, target)
            if not _running(source):  # nobody started it while we copied: the copy is whole
                (target / ".handle_pids.json").write_text("[]")
                return into
            shutil.rmtree(target)
        time.sleep(IDLE_POLL_S)
    raise SystemExit(f"the cached database stayed in use ({source}); try again later")


def copy_of(template: Path, into: Path) -> Path:
    """A fresh copy of the private template for one run."""
    _copy(template / "pg", into / "pg")
    return into


def _copy(source: Path, target: Path) -> None:
    """`cp -a`: the server's files keep their owner (the embedded server's own user)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["cp", "-a", str(source), str(target)], check=True)


def _running(pgdata: Path) -> bool:
    pids = pgdata / ".handle_pids.json"
    held = pids.exists() and pids.read_text().strip() not in ("", "[]")
    return held or (pgdata / "postmaster.pid").exists()


async def _wire_jobs(world: World, features_url: str | None) -> tuple[Worker, list[Scheduler]]:
    """The job worker with the sync and the library-mood jobs, as bot/jobs.py wires them."""
    settings = world.settings.model_copy(update={"features_url": features_url or ""})
    handlers: dict[str, JobHandler] = {LIBRARY_SYNC: world.sync}
    schedulers: list[Scheduler] = []
    world.sync.moods = add_mood_jobs(settings, world.db, world.sync.tracks, handlers, schedulers)
    return Worker(world.db, handlers, worker_id="chat-bench"), schedulers


async def _settle(world: World, worker: Worker, schedulers: list[Scheduler]) -> int:
    """Run jobs and the schedulers until nothing is left to do (as the worker loop would)."""
    ran = 0
    for _ in range(5):
        done = await worker.drain()
        for scheduler in schedulers:
            await scheduler(world.db)
        done += await worker.drain()
        ran += done
        if not done:
            break
    return ran


async def one_run(
    data_dir: Path,
    tracks: Sequence[Labelled],
    how: str,
    condition: str,
    seed: int,
    embedder: Any,
    requests: dict[str, tuple[str, ...]],
) -> dict[str, Any]:
    """Link, sync, place moods, ask the 24 requests; what each answer showed."""
    database: Database = await connect("", data_dir, pool_size=4)
    await migrations.ensure_schema(database.url)
    spotify = FakeSpotify()
    spotify.add_user("sam", library_of(arrange(tracks, how, seed)))
    service = FakeFeatures()
    known = known_to_service(tracks, condition, seed)
    service.known = {t.spotify_id: t.features for t in tracks if t.spotify_id in known}
    await service.start()
    world = await make_world(database, embedder, spotify)
    worker, schedulers = await _wire_jobs(world, service.url if known else None)
    try:
        started = time.perf_counter()
        status, page = await world.link(LISTENER)
        if status != 200:
            raise RuntimeError(f"linking failed: {status} {page[:200]}")
        jobs_run = await _settle(world, worker, schedulers)
        settled_s = time.perf_counter() - started
        placement = (await world.sync.moods.placement(await _user_id(database))).as_dict()
        answers = await _ask(world, tracks, requests)
    finally:
        lookup = worker.handlers.get(FEATURES_LOOKUP)
        if isinstance(lookup, FeaturesLookup):
            await lookup.client.close()
        await world.close()
        await service.stop()
        await database.close()
    return {
        "arrangement": how,
        "condition": condition,
        "service_knows": len(known),
        "service_requests": len(service.requests),
        "jobs_run": jobs_run,
        "sync_and_jobs_s": round(settled_s, 1),
        "placement": placement,
        "answers": answers,
    }


async def _user_id(database: Database) -> int:
    """The linked listener's chat user id."""
    return int(
        await database.pool.fetchval(
            "SELECT id FROM chat_users WHERE platform = 'telegram' AND platform_user_id = $1",
            LISTENER.user_id,
        )
    )


async def _ask(
    world: World, tracks: Sequence[Labelled], requests: dict[str, tuple[str, ...]]
) -> list[dict[str, Any]]:
    """The 24 requests through the bot service, as a Telegram text message reaches it."""
    labels = {t.spotify_id: t.label for t in tracks}
    settings = load_settings(None, OLLAMA_HOST=closed_port_url())
    pipeline = build_pipeline(settings, world.db, world.embedder)
    bot = DefaultBotService(
        ServiceConfig(top_n=TOP, rate_limit_per_minute=1000), world.db, pipeline, world.accounts
    )
    answers = []
    for label, texts in requests.items():
        for text in texts:
            reply = await bot.vibe(LISTENER, VibeAsk(words=text, admitted=True))
            if reply.recommendation is None:
                raise RuntimeError(f"no answer for {text!r}: {reply.text}")
            ids = [p.spotify_id for p in reply.recommendation.tracks]
            sources = await _sources(world.db, ids)
            shown = [Shown(i in labels, labels.get(i) == label, sources.get(i)) for i in ids if i]
            answers.append({"label": label, "text": text, "shown": [asdict(s) for s in shown]})
    return answers


async def _sources(db: Database, spotify_ids: Sequence[str | None]) -> dict[str, str]:
    rows = await db.pool.fetch(
        "SELECT spotify_id, mood_source FROM tracks WHERE spotify_id = ANY($1::text[])",
        [i for i in spotify_ids if i],
    )
    return {r["spotify_id"]: r["mood_source"] for r in rows}


async def run(
    seed: int,
    only: Sequence[str],
    conditions: Sequence[str],
    half: str,
    requests: dict[str, tuple[str, ...]],
    unseen: bool = False,
) -> dict[str, Any]:
    """Every arrangement and condition, each on its own copy of the 28k database."""
    tracks = labelled_tracks(half, unseen)
    embedder = Embedder()
    runs = []
    with tempfile.TemporaryDirectory(prefix="mlchat-", dir="/tmp") as base:
        os.chmod(base, 0o755)
        template = copy_cache(Path(base) / "template")
        try:
            for how in only:
                for condition in conditions:
                    with tempfile.TemporaryDirectory(prefix="run-", dir=base) as tmp:
                        os.chmod(tmp, 0o755)
                        data_dir = copy_of(template, Path(tmp))
                        found = await one_run(
                            data_dir, tracks, how, condition, seed, embedder, requests
                        )
                    found["score"] = score(found["answers"])
                    print_run(found)
                    runs.append(found)
        finally:
            embedder.close()
    return {"runs": runs}


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the options, run, print the table and write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--arrangement", choices=ARRANGEMENTS, nargs="+", default=ARRANGEMENTS)
    parser.add_argument("--condition", choices=CONDITIONS, nargs="+", default=CONDITIONS)
    parser.add_argument(
        "--half",
        choices=("all", "A", "B"),
        default="all",
        help="the library: every labelled track, or one half by artist (training/calm_split.py)",
    )
    parser.add_argument(
        "--requests",
        choices=("chat", "dev"),
        default="chat",
        help="the 24 chat requests written here, or the dev table's 24 (training/dev_table.py)",
    )
    parser.add_argument(
        "--unseen",
        action="store_true",
        help="new Spotify ids for the library, so the catalog knows none of them by id",
    )
    parser.add_argument("--out", default=str(RESULTS_DIR / "library_chat.json"))
    args = parser.parse_args(argv)
    if not (SHARED_DATA / "mood_labels_dev.csv").exists():
        print(f"needs {SHARED_DATA}/mood_labels_dev.csv, which is absent")
        return 2
    here = machine()
    load = os.getloadavg()[0]
    print(f"library: {args.half}, unseen {args.unseen}; {here.line()}; load {load:.1f}")
    print(now_utc())
    requests = REQUESTS if args.requests == "chat" else dict(DEV_REQUESTS)
    result = asyncio.run(
        run(args.seed, args.arrangement, args.condition, args.half, requests, args.unseen)
    )
    result.update(
        {
            "when": now_utc(),
            "machine": here.line(),
            "seed": args.seed,
            "half": args.half,
            "unseen": args.unseen,
            "requests": requests,
            "targets": {"library_fit_at_5": TARGET_FIT, "library_precision": TARGET_PRECISION},
        }
    )
    print(f"wrote {write_json(result, Path(args.out))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
