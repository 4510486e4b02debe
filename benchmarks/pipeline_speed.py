"""The photo pipeline's own time, and a repeat photo answered from the caption cache.

On the 28k benchmark database (support.synthetic), with the 40 real OASIS photos:
- overhead: intake (check, orient, shrink, hash) + caption-cache lookup + query + search +
  ranking, i.e. everything of a first answer except the vision model's own time. The vision
  model is a fake Ollama answering at once over real HTTP; its measured round trip is
  subtracted from the first-answer time. Target p95 <= 100 ms.
- cache: the same photo sent again, end to end through Pipeline.answer. Target p95 <= 100 ms.
Each is printed beside the bare embedding time of one query in the same run.

Run: python -m benchmarks.pipeline_speed [--rounds N]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from typing import Any

from benchmarks.common import SHARED_DATA, Timings, machine
from bot.app import captioner as make_captioner
from bot.app import image_limits, vision_hosts
from bot.settings import load_settings
from db.pool import Database
from handlers.pipeline import Pipeline
from handlers.stores import DatabaseCandidates, DatabaseCaptionCache
from handlers.throttle import VisionGate
from recsys.captioner import CachedCaptioner, Captioner
from recsys.embedder import Embedder
from recsys.mood_reader import MoodReader
from recsys.recommender import Recommender, RecommendRequest
from support import synthetic
from support.fakes.fake_ollama import STRUCTURED_ANSWERS, FakeOllama

PHOTOS = SHARED_DATA / "photos"


class TimedCaptioner:
    """The real Captioner, with the time of each vision call noted (it is not overhead)."""

    def __init__(self, captioner: Captioner) -> None:
        self.inner = captioner
        self.model = captioner.model
        self.hosts = captioner.hosts
        self.calls_ms: list[float] = []

    def prompt_version(self, hint: str = "") -> str:
        """As the real captioner's."""
        return self.inner.prompt_version(hint)

    async def caption(self, image: Any, hint: str = "") -> Any:
        """As the real captioner's, timed."""
        started = time.perf_counter()
        try:
            return await self.inner.caption(image, hint)
        finally:
            self.calls_ms.append((time.perf_counter() - started) * 1000)


def build(
    database: Database, embedder: Embedder, ollama_url: str
) -> tuple[Pipeline, TimedCaptioner]:
    """The real pipeline against the fake Ollama."""
    settings = load_settings(None, OLLAMA_HOST=ollama_url)
    reader = MoodReader(embedder)
    reader.warm()
    hosts = vision_hosts(settings)
    captioner = TimedCaptioner(make_captioner(settings, hosts, reader.read))
    pipeline = Pipeline(
        CachedCaptioner(captioner, DatabaseCaptionCache(database.pool)),  # type: ignore[arg-type]
        Recommender(DatabaseCandidates(database.read_pool), embedder, reader),
        image_limits(settings),
        VisionGate(4, 100),
    )
    return pipeline, captioner


async def _clear_cache(database: Database) -> None:
    await database.pool.execute("TRUNCATE caption_cache")


async def measure(database: Database, embedder: Embedder, rounds: int) -> dict[str, Any]:
    """Overhead of first answers and time of cached answers, in ms."""
    photos = [p.read_bytes() for p in sorted(PHOTOS.glob("*.jpg"))]
    overhead, cached, vision = [], [], []
    async with FakeOllama(reply=STRUCTURED_ANSWERS["misty_lake"]) as fake:
        pipeline, timed = build(database, embedder, fake.url)
        # warm every path once
        await pipeline.run(await pipeline.prepare([photos[0]]), RecommendRequest())
        for _ in range(rounds):
            await _clear_cache(database)
            for data in photos:
                started = time.perf_counter()
                await pipeline.run(await pipeline.prepare([data]), RecommendRequest())
                total = (time.perf_counter() - started) * 1000
                model_ms = timed.calls_ms[-1]
                overhead.append(total - model_ms)
                vision.append(model_ms)
                started = time.perf_counter()
                await pipeline.run(await pipeline.prepare([data]), RecommendRequest())
                cached.append((time.perf_counter() - started) * 1000)
        await timed.hosts.close()
    bare = []
    for _ in range(50):
        started = time.perf_counter()
        embedder.embed_texts(["a calm misty lake at dawn, quiet and serene"])
        bare.append((time.perf_counter() - started) * 1000)
    return {
        "overhead": Timings(tuple(overhead)).summary(),
        "cached": Timings(tuple(cached)).summary(),
        "fake_vision_round_trip": Timings(tuple(vision)).summary(),
        "bare_embedding": Timings(tuple(bare)).summary(),
    }


async def run(rounds: int = 2) -> dict[str, Any]:
    """Measure on the cached 28k database (built on first use)."""
    embedder = Embedder()
    embedder.warm()
    bench = await synthetic.ensure("28k", embedder)
    database = await synthetic.open_bench(bench)
    try:
        return await measure(database, embedder, rounds)
    finally:
        await database.close()
        embedder.close()


def main(argv: list[str] | None = None) -> int:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2, help="passes over the 40 photos")
    args = parser.parse_args(argv)
    if not PHOTOS.exists():
        print(f"needs {PHOTOS}: absent", file=sys.stderr)
        return 2
    print(f"machine: {machine().line()}")
    figures = asyncio.run(run(args.rounds))
    for name, summary in figures.items():
        print(f"  {name:<24} p50 {summary['p50_ms']:7.1f} ms   p95 {summary['p95_ms']:7.1f} ms")
    bare = figures["bare_embedding"]["p50_ms"]
    print(
        f"  ratios to bare embedding p50: overhead p95 x{figures['overhead']['p95_ms'] / bare:.1f},"
        f" cached p95 x{figures['cached']['p95_ms'] / bare:.1f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
