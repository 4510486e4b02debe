"""Benchmark databases: the real catalog (28k) and a synthetic million grown from it.

Each real row of ../shared/data/trending_catalog.csv is enriched and embedded by the real code
(recsys.enrichment.TrackEnricher over the real all-MiniLM-L6-v2 embedder). The million keeps
those rows and adds ~34 variants of each: audio features jittered, the embedding perturbed with
small Gaussian noise and re-normalised, artists renamed "Name #k" (so the one-artist-per-answer
rule sees distinct artists, as in a real catalog), and fake but valid 22-character base62 Spotify
ids, all from a fixed seed. Rows go in with binary COPY; the HNSW index is built after loading.

Each database is a separate embedded PostgreSQL under ~/.cache/mlbench (never the repository,
never the user's data directory); a marker file records the build's parameters and timings, and
a later run with the same parameters reuses the database.

Run: nice -n 10 /work/venv/bin/python -m benchmarks.synthetic [--scale 1m|28k] [--rebuild]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import shutil
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.common import CACHE_DIR, CATALOG_CSV, stopwatch
from db import migrations
from db.pool import Database, connect
from recsys.catalog_csv import UNIT_FEATURES, CatalogReader
from recsys.embedder import Embedder
from recsys.enrichment import TrackEnricher, TrackInfo

log = logging.getLogger(__name__)

# Bump when the way rows are generated changes: a cached database with another version is rebuilt.
BUILD_VERSION = 1
SEED = 20261122
# Per-dimension noise on a unit 384-d vector: noise norm ~0.03*sqrt(384) ~ 0.59, so a row sits
# at cosine ~0.86 from the real row it grew from and ~0.74 from its siblings. That matches the
# real catalog's own spacing (median cosine to a track's 1st nearest neighbour 0.82, to its 10th
# 0.75, to its 35th 0.72): a denser catalog of the same kind. Tighter noise builds clusters of
# near-duplicates that no real catalog has and that HNSW's greedy search cannot cross.
EMBEDDING_NOISE = 0.03
# Jitter of the 0..1 audio features and of tempo (bpm) / loudness (dB): small enough that a
# variant keeps its parent's character, large enough that the mood KNN sees distinct points.
FEATURE_NOISE = 0.05
TEMPO_NOISE = 6.0
LOUDNESS_NOISE = 1.0
LIBRARY_SIZE = 1_000
LISTENER = ("telegram", "bench-listener")
TRENDING_SOURCE = "bench"
# Rows generated and copied per round: bounds memory (50k x 384 floats = 77 MB) and keeps
# progress visible.
CHUNK = 50_000
# HNSW build: the whole graph of a million 384-d vectors (~2.5 GB) fits in memory, so pgvector
# builds it in one pass instead of spilling; one parallel worker plus the leader use both cores.
INDEX_MEMORY = "6GB"
INDEX_WORKERS = 1
# Held by the server across restarts (ALTER SYSTEM): the HNSW graph and hot heap pages stay in
# PostgreSQL's own cache instead of round-tripping through the OS page cache.
SHARED_BUFFERS = "2GB"

SCALES = {"28k": 0, "1m": 1_000_000}  # 0: the real rows only
COLUMNS = (
    "spotify_id",
    "title",
    "artists",
    "album",
    "popularity",
    *UNIT_FEATURES,
    "key",
    "loudness",
    "mode",
    "tempo",
    "time_signature",
    "mood_words",
    "theme_tags",
    "embedding",
    "in_catalog",
)
BASE62 = np.frombuffer(
    b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", dtype=np.uint8
)


@dataclass(frozen=True)
class BuildParams:
    """What a cached database was built from; any difference means a rebuild."""

    scale: str
    total: int
    version: int = BUILD_VERSION
    seed: int = SEED
    embedding_noise: float = 0.0
    feature_noise: float = 0.0
    library_size: int = LIBRARY_SIZE
    catalog_bytes: int = 0


@dataclass(frozen=True)
class BenchDatabase:
    """A built benchmark database: where it lives and what the build measured."""

    data_dir: Path
    params: BuildParams
    tracks: int
    listener_id: int
    build: dict[str, float]


@dataclass(frozen=True)
class RealRows:
    """The real catalog rows, enriched and embedded once."""

    infos: list[TrackInfo]
    mood_words: list[tuple[str, ...]]
    theme_tags: list[tuple[str, ...]]
    embeddings: np.ndarray


def data_dir_for(scale: str) -> Path:
    """The data directory of one benchmark database (its server runs from <dir>/pg)."""
    return CACHE_DIR / f"pg{scale}"


def _marker(scale: str) -> Path:
    return CACHE_DIR / f"pg{scale}.json"


def params_for(scale: str) -> BuildParams:
    """The parameters a build of this scale uses now (the real catalog alone has no noise)."""
    size = CATALOG_CSV.stat().st_size
    if SCALES[scale] == 0:
        return BuildParams(scale, 0, catalog_bytes=size)
    return BuildParams(
        scale,
        SCALES[scale],
        catalog_bytes=size,
        embedding_noise=EMBEDDING_NOISE,
        feature_noise=FEATURE_NOISE,
    )


def cached(scale: str) -> BenchDatabase | None:
    """The cached database of this scale, if one was built with today's parameters."""
    marker = _marker(scale)
    if not marker.exists() or not (data_dir_for(scale) / "pg" / "PG_VERSION").exists():
        return None
    saved = json.loads(marker.read_text())
    params = BuildParams(**saved["params"])
    if params != params_for(scale):
        return None
    return BenchDatabase(
        data_dir_for(scale), params, saved["tracks"], saved["listener_id"], saved["build"]
    )


async def open_bench(bench: BenchDatabase, pool_size: int = 4) -> Database:
    """Connect to a benchmark database (starting its embedded server) at the newest schema."""
    database = await connect("", bench.data_dir, pool_size=pool_size)
    await migrations.ensure_schema(database.url)
    return database


def load_real_rows(embedder: Embedder) -> RealRows:
    """Read the real catalog and enrich it with the real code, once per catalog file.

    The enriched rows are cached beside the databases and shared by both scales, so the 28k and
    1M databases hold the same real rows; a later change to the enrichment text does not force
    a new build (these benchmarks measure speed, not which words a track's text carries).
    """
    reader = CatalogReader(CATALOG_CSV)
    infos = list(reader)
    cache = CACHE_DIR / f"real-v{BUILD_VERSION}-{CATALOG_CSV.stat().st_size}.npz"
    if cache.exists():
        saved = np.load(cache, allow_pickle=True)
        if len(saved["embeddings"]) == len(infos):
            return RealRows(infos, list(saved["moods"]), list(saved["themes"]), saved["embeddings"])
    log.info("enriching and embedding %d real catalog rows (a few minutes, once)", len(infos))
    enricher = TrackEnricher(embedder)
    enriched: list[Any] = []
    for start in range(0, len(infos), 2_000):
        enriched += enricher.enrich(infos[start : start + 2_000])
        log.info("  %d / %d embedded", len(enriched), len(infos))
    rows = RealRows(
        infos,
        [e.mood_words for e in enriched],
        [e.theme_tags for e in enriched],
        np.stack([e.embedding for e in enriched]).astype(np.float32),
    )
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    moods = np.empty(len(infos), dtype=object)
    moods[:] = rows.mood_words
    themes = np.empty(len(infos), dtype=object)
    themes[:] = rows.theme_tags
    np.savez(cache, moods=moods, themes=themes, embeddings=rows.embeddings)
    return rows


def _spotify_ids(rng: np.random.Generator, count: int) -> list[str]:
    codes = BASE62[rng.integers(0, 62, size=(count, 22))]
    raw = codes.tobytes()
    return [raw[i * 22 : (i + 1) * 22].decode() for i in range(count)]


def _real_record(real: RealRows, i: int) -> tuple[Any, ...]:
    info, f = real.infos[i], real.infos[i].features
    units = [getattr(f, name) for name in UNIT_FEATURES]
    return (
        info.spotify_id,
        info.title,
        list(info.artists),
        info.album,
        info.popularity,
        *units,
        f.key,
        f.loudness,
        f.mode,
        f.tempo,
        f.time_signature,
        list(real.mood_words[i]),
        list(real.theme_tags[i]),
        real.embeddings[i],
        True,
    )


def _jitter(value: float | None, noise: float, low: float, high: float, draw: float) -> Any:
    if value is None:
        return None
    return float(min(high, max(low, value + noise * draw)))


def _variant_records(real: RealRows, first: int, count: int) -> list[tuple[Any, ...]]:
    """Rows number `first` .. `first+count-1`; row j grows from real row j % n.

    Every row's embedding is perturbed, the real rows' too (k = 0): an unperturbed real row
    would sit closer to every query than all of its variants and crowd them out of every answer.
    The k = 0 rows keep their real Spotify id, title, artists and audio features.
    """
    n = len(real.infos)
    rng = np.random.default_rng([SEED, first])
    parents = np.arange(first, first + count) % n
    vectors = real.embeddings[parents] + rng.normal(0, EMBEDDING_NOISE, (count, 384))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors = vectors.astype(np.float32)
    draws = rng.normal(size=(count, len(UNIT_FEATURES) + 2))
    ids = _spotify_ids(rng, count)
    records = []
    for j in range(count):
        p, k = int(parents[j]), (first + j) // n
        if k == 0:
            records.append((*_real_record(real, p)[:-2], vectors[j], True))
            continue
        info, f, d = real.infos[p], real.infos[p].features, draws[j]
        units = [
            _jitter(getattr(f, name), FEATURE_NOISE, 0.0, 1.0, d[u])
            for u, name in enumerate(UNIT_FEATURES)
        ]
        records.append(
            (
                ids[j],
                info.title,
                [f"{artist} #{k}" for artist in info.artists],
                info.album,
                info.popularity,
                *units,
                f.key,
                _jitter(f.loudness, LOUDNESS_NOISE, -60.0, 5.0, d[-2]),
                f.mode,
                _jitter(f.tempo, TEMPO_NOISE, 0.0, 300.0, d[-1]),
                f.time_signature,
                list(real.mood_words[p]),
                list(real.theme_tags[p]),
                vectors[j],
                True,
            )
        )
    return records


def _chunks(real: RealRows, total: int) -> Iterator[list[tuple[Any, ...]]]:
    n = len(real.infos)
    if total <= n:  # the real catalog as it is
        for start in range(0, n, CHUNK):
            yield [_real_record(real, i) for i in range(start, min(n, start + CHUNK))]
        return
    for first in range(0, total, CHUNK):
        yield _variant_records(real, first, min(CHUNK, total - first))


async def _load_tracks(database: Database, real: RealRows, total: int) -> int:
    loaded = 0
    async with database.pool.acquire() as conn:
        # The index is built once after loading: inserting into HNSW row by row is far slower.
        await conn.execute("DROP INDEX IF EXISTS tracks_embedding_hnsw")
        for records in _chunks(real, total):
            await conn.copy_records_to_table("tracks", records=records, columns=COLUMNS)
            loaded += len(records)
            log.info("  %d tracks loaded", loaded)
    return loaded


async def _build_index(database: Database) -> float:
    async with database.pool.acquire() as conn:
        await conn.execute(f"SET maintenance_work_mem = '{INDEX_MEMORY}'")
        await conn.execute(f"SET max_parallel_maintenance_workers = {INDEX_WORKERS}")
        with stopwatch() as elapsed:
            await conn.execute(
                "CREATE INDEX tracks_embedding_hnsw ON tracks USING hnsw "
                "(embedding vector_cosine_ops)",
                timeout=None,
            )
            seconds = elapsed()
        await conn.execute("VACUUM ANALYZE tracks")
    return seconds


async def _add_listener_and_trending(database: Database, total: int) -> int:
    """The trending membership of every row, and a linked listener with a 1,000-track library."""
    async with database.pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO trending_entries (source, track_id, rank) "
            "SELECT $1, id, row_number() OVER (ORDER BY id) FROM tracks",
            TRENDING_SOURCE,
        )
        user_id: int = await conn.fetchval(
            "INSERT INTO chat_users (platform, platform_user_id, display_name) "
            "VALUES ($1, $2, 'Benchmark listener') RETURNING id",
            *LISTENER,
        )
        await conn.execute(
            "INSERT INTO spotify_links (user_id, spotify_user_id, display_name, status) "
            "VALUES ($1, 'bench', 'Benchmark listener', 'active')",
            user_id,
        )
        # Every 1,000th-ish track, spread over the whole table, a deterministic choice.
        await conn.execute(
            "INSERT INTO library_entries (user_id, track_id, playlist_id, playlist_name, origin) "
            "SELECT $1, id, 'bench', 'Benchmark mix', 'playlist' FROM tracks "
            "ORDER BY md5(spotify_id) LIMIT $2",
            user_id,
            LIBRARY_SIZE,
        )
    return user_id


async def _tune_server(data_dir: Path) -> None:
    """Give the server a cache that holds the index; it takes effect at the next start."""
    database = await connect("", data_dir, pool_size=1)
    try:
        async with database.pool.acquire() as conn:
            await conn.execute(f"ALTER SYSTEM SET shared_buffers = '{SHARED_BUFFERS}'")
            await conn.execute("ALTER SYSTEM SET effective_cache_size = '8GB'")
    finally:
        await database.close()


async def build(scale: str, embedder: Embedder) -> BenchDatabase:
    """Build the benchmark database of this scale from scratch and record the marker."""
    params = params_for(scale)
    data_dir = data_dir_for(scale)
    shutil.rmtree(data_dir, ignore_errors=True)
    _marker(scale).unlink(missing_ok=True)
    with stopwatch() as elapsed:
        real = await asyncio.to_thread(load_real_rows, embedder)
        embed_s = elapsed()
    total = params.total or len(real.infos)
    await _tune_server(data_dir)
    bench = BenchDatabase(data_dir, params, 0, 0, {})
    database = await open_bench(bench, pool_size=1)
    try:
        with stopwatch() as elapsed:
            tracks = await _load_tracks(database, real, total)
            load_s = elapsed()
        listener_id = await _add_listener_and_trending(database, total)
        index_s = await _build_index(database)
    finally:
        await database.close()
    timings = {"embed_real_s": embed_s, "load_s": load_s, "index_s": index_s}
    timings = {k: round(v, 1) for k, v in timings.items()}
    bench = BenchDatabase(data_dir, params, tracks, listener_id, timings)
    _marker(scale).write_text(
        json.dumps(
            {
                "params": asdict(params),
                "tracks": tracks,
                "listener_id": listener_id,
                "build": timings,
            },
            indent=2,
        )
    )
    log.info("built %s: %d tracks, %s", scale, tracks, timings)
    return bench


async def ensure(scale: str, embedder: Embedder, rebuild: bool = False) -> BenchDatabase:
    """The cached database of this scale, building it first when absent or out of date."""
    bench = None if rebuild else cached(scale)
    return bench or await build(scale, embedder)


def main(argv: list[str] | None = None) -> int:
    """Build (or confirm the cache of) one benchmark database."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="1m")
    parser.add_argument("--rebuild", action="store_true", help="ignore the cache")
    args = parser.parse_args(argv)
    logging.basicConfig(level="INFO", format="%(asctime)s %(name)s: %(message)s")
    embedder = Embedder()
    try:
        bench = asyncio.run(ensure(args.scale, embedder, args.rebuild))
    finally:
        embedder.close()
    print(json.dumps({"scale": args.scale, "tracks": bench.tracks, "build": bench.build}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
