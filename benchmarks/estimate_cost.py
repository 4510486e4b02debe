"""What estimated moods cost a text answer at 28k (issue 19): the same queries in one run, with
the linked listener's 1,000-track library measured (every track's mood known, as before issue
19) and with half of it blind, carrying an estimate instead (as a library Spotify no longer
describes does). The two states alternate round by round, each after an untimed warm pass, and
every answer is timed beside the bare embedding of the same query. Each switch is followed by
a VACUUM, so neither state is timed over the other's dead row versions.

The estimates are made at sync time (handlers/library_moods.py); at answer time they are four
more columns per candidate and one more `trait_fit` per estimated one. The blind half is the
library tracks whose md5(spotify_id) is even; its estimate is its own measured mood moved to
the estimate's columns (the value does not matter for speed, only that the ranker reads it, and
so the mood goes back exactly). The cached benchmark database is put back as it was at the end,
and at the start if an earlier run was stopped half-way (a blind library track is one with an
estimate and no valence).

Run: python -m benchmarks.estimate_cost [--rounds 6]   (needs the 28k benchmark database,
built once by `python -m support.synthetic --scale 28k`)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import time
from typing import Any

from benchmarks.common import Timings, machine, now_utc, write_json
from benchmarks.search_scale import RecommenderPath, query_texts
from db.pool import Database
from db.search import prewarm_index
from recsys.embedder import Embedder
from support import synthetic

log = logging.getLogger(__name__)

SCALE = "28k"
# The bound: the text answer's p95 with estimates within 10% of it without.
TARGET_P95_RATIO = 1.10
# An estimate's expected error typical of the artist source (docs/library_mood.md).
ESTIMATE_ERROR = 0.17

LIBRARY = "SELECT track_id FROM library_entries WHERE user_id = $1"
BLIND = f"""
UPDATE tracks SET
    est_valence = valence, est_energy = energy,
    est_error = {ESTIMATE_ERROR}, est_basis = 'artist', mood_source = 'estimated',
    valence = NULL, energy = NULL
WHERE id = ANY(ARRAY({LIBRARY})) AND valence IS NOT NULL AND energy IS NOT NULL
    AND est_valence IS NULL AND ('x' || substr(md5(spotify_id), 1, 8))::bit(32)::int % 2 = 0
"""
# The trigger of alembic 0009 labels the track 'catalog' again when its valence comes back.
RESTORE = f"""
UPDATE tracks SET
    valence = est_valence, energy = est_energy,
    est_valence = NULL, est_energy = NULL, est_error = NULL, est_basis = NULL
WHERE id = ANY(ARRAY({LIBRARY})) AND valence IS NULL AND est_valence IS NOT NULL
"""


async def set_blind(database: Database, listener: int, blind: bool) -> int:
    """Make half the listener's library blind with estimates, or measured again; rows changed."""
    async with database.pool.acquire() as conn:
        status: str = await conn.execute(BLIND if blind else RESTORE, listener)
        # The moved rows' old versions leave the HNSW and mood indexes before the next state
        # is timed (and before the cache is handed back), as autovacuum does in the long run.
        await conn.execute("VACUUM (ANALYZE) tracks")
    return int(status.split()[-1])


async def _timed_ms(action: Any) -> float:
    start = time.perf_counter()
    await action
    return (time.perf_counter() - start) * 1000


async def measure(rounds: int) -> dict[str, Any]:
    """Both states' answers and bare embeddings, alternating, on the cached 28k database."""
    embedder = Embedder()
    bench = await synthetic.ensure(SCALE, embedder)
    database = await synthetic.open_bench(bench)
    samples: dict[bool, dict[str, list[float]]] = {
        state: {"answer": [], "embed": []} for state in (False, True)
    }
    changed: dict[str, int] = {}
    try:
        restored = await set_blind(database, bench.listener_id, blind=False)
        if restored:
            log.info("put back %d library tracks left blind by an earlier run", restored)
        await prewarm_index(database.pool, database.read_pool)
        answer = RecommenderPath(database, embedder, bench.listener_id)
        await asyncio.to_thread(answer.reader.warm)
        texts = query_texts(with_captions=False)
        for round_ in range(rounds):
            # off-on, on-off, ...: neither state always comes first after a switch
            for blind in (False, True) if round_ % 2 == 0 else (True, False):
                key = "blind" if blind else "measured"
                moved = await set_blind(database, bench.listener_id, blind)
                changed[key] = max(changed.get(key, 0), moved)  # 0 when the state was kept
                for text in texts:  # warm: the changed pages, the prepared statements
                    await answer(text)
                for text in texts:
                    embedder.cache.clear()
                    samples[blind]["embed"].append(await _timed_ms(embedder.aembed_one(text)))
                    embedder.cache.clear()
                    samples[blind]["answer"].append(await _timed_ms(answer(text)))
    finally:
        try:
            await set_blind(database, bench.listener_id, blind=False)
        finally:
            await database.close()
            embedder.close()
    return _summary(samples, changed, rounds)


def _summary(
    samples: dict[bool, dict[str, list[float]]], changed: dict[str, int], rounds: int
) -> dict[str, Any]:
    states = {
        name: {kind: Timings(tuple(values)).summary() for kind, values in samples[blind].items()}
        for name, blind in (("measured", False), ("half_estimated", True))
    }
    off, on = (Timings(tuple(samples[blind]["answer"])) for blind in (False, True))
    return {
        "benchmark": "estimate_cost",
        "when": now_utc(),
        "machine": machine().line(),
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "scale": SCALE,
        "rounds": rounds,
        "library_tracks_made_blind": changed.get("blind", 0),
        "states": states,
        "answer_p50_ratio": round(on.p50 / off.p50, 3),
        "answer_p95_ratio": round(on.p95 / off.p95, 3),
        "target_p95_ratio": TARGET_P95_RATIO,
        "passes": on.p95 / off.p95 <= TARGET_P95_RATIO,
    }


def main(argv: list[str] | None = None) -> int:
    """Print the two states' figures as JSON and keep them in benchmarks/results/."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=6, help="rounds per state (default 6)")
    args = parser.parse_args(argv)
    logging.basicConfig(level="INFO", format="%(asctime)s %(name)s: %(message)s")
    result = asyncio.run(measure(args.rounds))
    write_json(result)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
