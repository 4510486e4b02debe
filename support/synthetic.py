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

Run: nice -n 10 python -m support.synthetic [--scale 1m|28k] [--rebuild]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import re
import shutil
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import numpy as np

from db import migrations
from db.pool import Database, connect
from recsys.catalog_csv import UNIT_FEATURES, CatalogReader
from recsys.embedder import Embedder
from recsys.enrichment import TrackEnricher
from recsys.models import TrackInfo
from support.common import CACHE_DIR, CATALOG_CSV, stopwatch

log = logging.getLogger(__name__)

# Bump when the way rows are generated changes: a cached database with another version is rebuilt.
BUILD_VERSION = 2
# Bump when the enriched real rows change; independent of BUILD_VERSION so that a new way of
# growing the million does not embed the 28k real rows again (minutes on a loaded machine).
REAL_ROWS_VERSION = 1
SEED = 20261122
# A synthetic row is a point inside the triangle of a real row and two of its nearest real
# neighbours (Dirichlet weights, the row itself weighted most), plus a little residual noise.
# It stays on the surface the real embeddings lie on, where a bigger catalog of the same music
# would put its tracks; isotropic noise instead pushes every row off that surface into all 384
# dimensions at once, a catalog no embedding model produces. Checked by nn_profile below.
NEIGHBOURS = 10
MIX_WEIGHTS = (2.0, 1.0, 1.0)
# Per-dimension residual noise (norm ~0.02*sqrt(384) ~ 0.39): chosen so that a real-sized
# sample of the million spaces its rows as the real catalog does (median cosine to the 1st /
# 10th / 50th nearest neighbour 0.815 / 0.710 / 0.671 against the real 0.792 / 0.711 / 0.673;
# 0.01 gave 0.915 / 0.789 / 0.747, a catalog of near-twins).
EMBEDDING_NOISE = 0.02
LIBRARY_SIZE = 1_000
LISTENER = ("telegram", "bench-listener")
TRENDING_SOURCE = "bench"
# Rows generated and copied per round: bounds memory (50k x 384 floats = 77 MB) and keeps
# progress visible.
CHUNK = 50_000
# HNSW build: the whole graph of a million half-precision 384-d vectors (~1.1 GB) fits in
# memory, so pgvector builds it in one pass instead of spilling; one parallel worker plus the
# leader use both cores. At most 4 GB: the machine is shared.
INDEX_MEMORY = "4GB"
INDEX_WORKERS = 1
# Held by the server across restarts (ALTER SYSTEM): the HNSW graph and hot heap pages stay in
# PostgreSQL's own cache instead of round-tripping through the OS page cache.
SHARED_BUFFERS = "2GB"

# 0: the real rows only; 200k is for trying index settings before a million is built
SCALES = {"28k": 0, "200k": 200_000, "1m": 1_000_000}
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
    neighbours: int = 0
    library_size: int = LIBRARY_SIZE
    catalog_bytes: int = 0


@dataclass(frozen=True)
class BenchDatabase:
    """A built benchmark database: where it lives and what the build measured."""

    data_dir: Path
    params: BuildParams
    tracks: int  # rows loaded into `tracks`
    # chat_users id of the linked benchmark listener, whose library holds LIBRARY_SIZE tracks
    listener_id: int
    # what the build took: seconds per stage (embed_real_s, load_s, index_s), and index_mb
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
        neighbours=NEIGHBOURS,
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
    cache = CACHE_DIR / f"real-v{REAL_ROWS_VERSION}-{CATALOG_CSV.stat().st_size}.npz"
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


def real_neighbours(embeddings: np.ndarray, k: int = NEIGHBOURS) -> np.ndarray:
    """Each row's k nearest other rows by cosine (exact; rows are unit length)."""
    n = len(embeddings)
    found = np.empty((n, k), dtype=np.int32)
    for start in range(0, n, 2_000):  # 2,000 x 28k similarities at a time: ~220 MB
        sims = embeddings[start : start + 2_000] @ embeddings.T
        rows = np.arange(sims.shape[0])
        sims[rows, start + rows] = -np.inf  # never a row's own neighbour
        top = np.argpartition(-sims, k, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(sims, top, axis=1), axis=1)
        found[start : start + 2_000] = np.take_along_axis(top, order, axis=1)
    return found


@dataclass(frozen=True)
class Variants:
    """Rows grown from the real ones: who they grew from, with which weights, and the vectors."""

    parents: np.ndarray  # (count, 3): the real row and the two neighbours mixed
    weights: np.ndarray  # (count, 3): Dirichlet weights, summing to 1
    vectors: np.ndarray  # (count, 384) float32, unit length


def variant_vectors(
    embeddings: np.ndarray, neighbours: np.ndarray, first: int, count: int
) -> Variants:
    """Rows `first` .. `first+count-1`: row j grows from real row j % n and two of its neighbours.

    Deterministic per (SEED, first), so the same chunk always holds the same rows.
    """
    n = len(embeddings)
    rng = np.random.default_rng([SEED, first])
    own = np.arange(first, first + count) % n
    picks = rng.integers(0, neighbours.shape[1], size=(count, 2))
    parents = np.column_stack([own, neighbours[own[:, None], picks]])
    weights = rng.dirichlet(MIX_WEIGHTS, size=count)
    vectors = np.einsum("ij,ijk->ik", weights, embeddings[parents])
    vectors += rng.normal(0, EMBEDDING_NOISE, vectors.shape)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return Variants(parents, weights, vectors.astype(np.float32))


# Nearest-neighbour ranks the realism check reads (1st, 10th, 50th nearest other row).
PROFILE_RANKS = (1, 10, 50)
PROFILE_PROBES = 2_000
# The old way of growing the million, kept only as the contrast in the realism check.
ISOTROPIC_NOISE = 0.03


def nn_profile(vectors: np.ndarray, seed: int = SEED) -> dict[str, float]:
    """Median cosine from a probe row to its 1st, 10th and 50th nearest other row."""
    rng = np.random.default_rng(seed)
    probes = rng.choice(len(vectors), size=min(PROFILE_PROBES, len(vectors)), replace=False)
    sims = vectors[probes] @ vectors.T
    sims[np.arange(len(probes)), probes] = -np.inf  # not a row's own neighbour
    deepest = max(PROFILE_RANKS)
    nearest = -np.partition(-sims, deepest, axis=1)[:, :deepest]  # the top sims, unordered
    nearest = np.sort(nearest, axis=1)[:, ::-1]
    return {f"nn{r}": round(float(np.median(nearest[:, r - 1])), 3) for r in PROFILE_RANKS}


def catalog_sample(embeddings: np.ndarray, total: int, size: int) -> np.ndarray:
    """`size` rows drawn at random from the synthetic catalog of `total` rows, as it is built."""
    neighbours = real_neighbours(embeddings)
    n = len(embeddings)
    wanted = np.sort(np.random.default_rng(SEED + 1).choice(total, size=size, replace=False))
    picked = []
    for first in range(0, total, CHUNK):
        inside = wanted[(wanted >= first) & (wanted < first + CHUNK)] - first
        if len(inside) == 0:
            continue
        vectors = variant_vectors(embeddings, neighbours, first, min(CHUNK, total - first)).vectors
        real_rows = inside + first < n  # the real rows go in unchanged
        vectors[inside[real_rows]] = embeddings[(inside + first)[real_rows]]
        picked.append(vectors[inside])
    return np.concatenate(picked)


def isotropic_sample(embeddings: np.ndarray, size: int) -> np.ndarray:
    """The same number of rows grown the old way: a real row plus Gaussian noise."""
    rng = np.random.default_rng(SEED + 2)
    vectors = embeddings[rng.integers(0, len(embeddings), size)]
    vectors = vectors + rng.normal(0, ISOTROPIC_NOISE, vectors.shape)
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def realism(embeddings: np.ndarray, total: int) -> dict[str, dict[str, float]]:
    """Does a catalog-sized sample of the million look like the real catalog? (see README)

    A million tracks of the same kind, sampled down to the real catalog's size, should space
    its rows as the real catalog does: the median cosine to a row's 1st, 10th and 50th nearest
    neighbour should match. The old isotropic-noise million is measured beside it.
    """
    size = len(embeddings)
    return {
        "real": nn_profile(embeddings),
        "interpolated_sample": nn_profile(catalog_sample(embeddings, total, size)),
        "isotropic_sample": nn_profile(isotropic_sample(embeddings, size)),
    }


def _mixed(values: list[float | None], weights: np.ndarray, low: float, high: float) -> Any:
    """The weighted mean of the parents' feature; the own row's value where one is missing."""
    if values[0] is None:
        return None
    if any(v is None for v in values):
        return values[0]
    mixed = sum(w * v for w, v in zip(weights, values, strict=True) if v is not None)
    return float(min(high, max(low, mixed)))


def _variant_records(
    real: RealRows, neighbours: np.ndarray, first: int, count: int
) -> list[tuple[Any, ...]]:
    """Rows number `first` .. `first+count-1`; the first n are the real rows unchanged."""
    n = len(real.infos)
    grown = variant_vectors(real.embeddings, neighbours, first, count)
    ids = _spotify_ids(np.random.default_rng([SEED, first, 1]), count)
    records = []
    for j in range(count):
        p, k = int(grown.parents[j, 0]), (first + j) // n
        if k == 0:
            records.append(_real_record(real, p))
            continue
        info, f, w = real.infos[p], real.infos[p].features, grown.weights[j]
        feats = [real.infos[int(q)].features for q in grown.parents[j]]
        units = [_mixed([getattr(g, name) for g in feats], w, 0.0, 1.0) for name in UNIT_FEATURES]
        records.append(
            (
                ids[j],
                info.title,
                [f"{artist} #{k}" for artist in info.artists],
                info.album,
                info.popularity,
                *units,
                f.key,
                _mixed([g.loudness for g in feats], w, -60.0, 5.0),
                f.mode,
                _mixed([g.tempo for g in feats], w, 0.0, 300.0),
                f.time_signature,
                list(real.mood_words[p]),
                list(real.theme_tags[p]),
                grown.vectors[j],
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
    neighbours = real_neighbours(real.embeddings)
    for first in range(0, total, CHUNK):
        yield _variant_records(real, neighbours, first, min(CHUNK, total - first))


INDEX_DEF_SQL = "SELECT pg_get_indexdef('tracks_embedding_hnsw'::regclass)"


async def _load_tracks(database: Database, real: RealRows, total: int) -> tuple[int, str]:
    """COPY the rows in; returns how many and the schema's HNSW index definition (dropped)."""
    loaded = 0
    async with database.pool.acquire() as conn:
        # The index is built once after loading, exactly as the schema defines it: inserting
        # into HNSW row by row is far slower.
        index_def: str = await conn.fetchval(INDEX_DEF_SQL)
        await conn.execute("DROP INDEX tracks_embedding_hnsw")
        for records in _chunks(real, total):
            await conn.copy_records_to_table("tracks", records=records, columns=COLUMNS)
            loaded += len(records)
            log.info("  %d tracks loaded", loaded)
    return loaded, index_def


async def _build_index(
    database: Database, index_def: str, name: str = "tracks_embedding_hnsw"
) -> tuple[float, float]:
    """Build the HNSW index (named `name`); its build seconds and size in MB."""
    async with database.pool.acquire() as conn:
        await conn.execute(f"SET maintenance_work_mem = '{INDEX_MEMORY}'")
        await conn.execute(f"SET max_parallel_maintenance_workers = {INDEX_WORKERS}")
        with stopwatch() as elapsed:
            await conn.execute(index_def, timeout=None)
            seconds = elapsed()
        size = await conn.fetchval("SELECT pg_relation_size($1::regclass)", name)
        await conn.execute("VACUUM ANALYZE tracks")
    return seconds, size / 2**20


SCRATCH_DB = "mlbench_schema"
NEW_INDEX = "tracks_embedding_hnsw_new"


async def schema_index_def(database: Database) -> str:
    """The HNSW index as the schema at head defines it, read from a scratch database."""
    async with database.pool.acquire() as conn:
        await conn.execute(f"DROP DATABASE IF EXISTS {SCRATCH_DB}")
        await conn.execute(f"CREATE DATABASE {SCRATCH_DB}")
    scratch = urlunsplit(urlsplit(database.url)._replace(path=f"/{SCRATCH_DB}"))
    try:
        await migrations.upgrade(scratch)
        conn = await asyncpg.connect(scratch)
        try:
            index_def: str = await conn.fetchval(INDEX_DEF_SQL)
        finally:
            await conn.close()
    finally:
        async with database.pool.acquire() as admin:
            await admin.execute(f"DROP DATABASE IF EXISTS {SCRATCH_DB} WITH (FORCE)")
    return index_def


async def reindex(scale: str, options: str = "") -> dict[str, float]:
    """Rebuild a built database's HNSW index as the schema now defines it; update its marker.

    After an index migration this saves reloading the rows (minutes at a million). `options`
    (e.g. "m = 16, ef_construction = 64") replaces the schema's WITH (...) when a build with
    the schema's own settings takes longer than there is time for; the marker and the results
    record the definition actually built.
    """
    database = await connect("", data_dir_for(scale), pool_size=1)
    try:
        index_def = await schema_index_def(database)
        if options:
            index_def = re.sub(r"WITH \([^)]*\)", f"WITH ({options})", index_def)
        # Built beside the old index and swapped in at the end: a build stopped half way (an
        # hour at a million) leaves the database with its old index, not without one.
        async with database.pool.acquire() as conn:
            await conn.execute(f"DROP INDEX IF EXISTS {NEW_INDEX}")
        new_def = index_def.replace("INDEX tracks_embedding_hnsw ON", f"INDEX {NEW_INDEX} ON", 1)
        index_s, index_mb = await _build_index(database, new_def, NEW_INDEX)
        async with database.pool.acquire() as conn, conn.transaction():
            await conn.execute("DROP INDEX IF EXISTS tracks_embedding_hnsw")
            await conn.execute(f"ALTER INDEX {NEW_INDEX} RENAME TO tracks_embedding_hnsw")
    finally:
        await database.close()
    marker = _marker(scale)
    saved = json.loads(marker.read_text())
    saved["build"].update(index_s=round(index_s, 1), index_mb=round(index_mb, 1))
    saved["index_def"] = index_def
    marker.write_text(json.dumps(saved, indent=2))
    log.info("reindexed %s in %.0f s (%.0f MB): %s", scale, index_s, index_mb, index_def)
    return dict(saved["build"])


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
            tracks, index_def = await _load_tracks(database, real, total)
            load_s = elapsed()
        listener_id = await _add_listener_and_trending(database, total)
        index_s, index_mb = await _build_index(database, index_def)
    finally:
        await database.close()
    timings = {"embed_real_s": embed_s, "load_s": load_s, "index_s": index_s, "index_mb": index_mb}
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
    parser.add_argument(
        "--reindex", action="store_true", help="rebuild the built database's HNSW index only"
    )
    parser.add_argument("--index-options", default="", help='with --reindex: "m = 16, ..."')
    parser.add_argument(
        "--realism", action="store_true", help="only compare the million's spacing with the real"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level="INFO", format="%(asctime)s %(name)s: %(message)s")
    if args.reindex:
        print(json.dumps(asyncio.run(reindex(args.scale, args.index_options))))
        return 0
    embedder = Embedder()
    if args.realism:
        rows = load_real_rows(embedder)
        print(json.dumps(realism(rows.embeddings, SCALES["1m"]), indent=2))
        return 0
    try:
        bench = asyncio.run(ensure(args.scale, embedder, args.rebuild))
    finally:
        embedder.close()
    print(json.dumps({"scale": args.scale, "tracks": bench.tracks, "build": bench.build}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
