"""The garbage collector's pauses in a warm answering process, with start-up's objects frozen
(bot.app.freeze_startup_heap, as `melodiclens run` does once started) and without.

The process holds what `melodiclens run` holds while it answers: every module run_bot imports,
the real pipeline and BotService (bot.app) over the 28k benchmark database, the models loaded
and warmed by text answers. On that one warm process (gc.unfreeze puts frozen objects back
under the collector):
- full collections, timed one by one, the two states alternating: what one costs in each;
- blocks of text answers, each new to the embedding cache, the two states in random order per
  block, each block starting from a full collection as a long-running process would: every
  collection the answers trigger timed through gc.callbacks (how often the collector stops an
  answer, for how long, and what that does to the answer's tail).

Run: python -m benchmarks.gc_pause [--blocks N] [--out FILE]
"""

from __future__ import annotations

import argparse
import gc
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bot.cli.runner  # noqa: F401  (what `melodiclens run` imports, in this process's heap)
from benchmarks.common import RESULTS_DIR, Timings, machine, now_utc, print_figures, write_json
from benchmarks.search_scale import query_texts
from bot.app import build_bot_service, build_pipeline, freeze_startup_heap
from bot.settings import load_settings
from handlers.pipeline import Pipeline
from recsys.embedder import Embedder
from recsys.recommender import RecommendRequest
from support import synthetic
from support.fakes.fake_ollama import closed_port_url

STATES = ("frozen", "unfrozen")
BLOCKS = 4
# Text answers per block: a full collection comes every hundred or so (one search_scale run).
ANSWERS = 90
# Full collections timed per state: enough for a median, little time (~0.4 s each unfrozen).
COLLECTIONS = 10
SEED = 20261207


@dataclass
class Pauses:
    """Every collection the collector makes while this hook is in gc.callbacks, by generation,
    in milliseconds."""

    by_generation: dict[int, list[float]] = field(default_factory=lambda: {0: [], 1: [], 2: []})
    started: float = 0.0  # when the collection under way began (perf_counter)

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self.started = time.perf_counter()
        else:
            pause_ms = (time.perf_counter() - self.started) * 1000
            self.by_generation[info["generation"]].append(pause_ms)


def set_state(state: str) -> None:
    """Start-up's objects frozen (as run_bot leaves them) or back under the collector, after
    a full collection either way."""
    gc.unfreeze()
    if state == "frozen":
        freeze_startup_heap()
    else:
        gc.collect()


async def answer(pipeline: Pipeline, embedder: Embedder, text: str) -> float:
    """One text answer, new to the embedding cache, in milliseconds."""
    embedder.cache.clear()
    prepared = await pipeline.prepare([])
    started = time.perf_counter()
    await pipeline.run(prepared, RecommendRequest(words=text))
    return (time.perf_counter() - started) * 1000


def timed_collections() -> dict[str, list[float]]:
    """COLLECTIONS full collections in each state, alternating, each in milliseconds."""
    times: dict[str, list[float]] = {state: [] for state in STATES}
    for _ in range(COLLECTIONS):
        for state in STATES:
            set_state(state)
            started = time.perf_counter()
            gc.collect()
            times[state].append((time.perf_counter() - started) * 1000)
    return times


def summary(samples: list[float]) -> dict[str, Any]:
    """p50, p95 and max of a sample (an empty one: zero collections)."""
    if not samples:
        return {"n": 0}
    return {**Timings(tuple(samples)).summary(), "max_ms": round(max(samples), 2)}


async def measure(embedder: Embedder, blocks: int) -> dict[str, Any]:
    """The blocks on one warm process; each state's collections and answers."""
    bench = await synthetic.ensure("28k", embedder)
    settings = load_settings(None, OLLAMA_HOST=closed_port_url())
    database = await synthetic.open_bench(bench)
    texts = query_texts(with_captions=False)
    answers: dict[str, list[float]] = {state: [] for state in STATES}
    pauses = {state: Pauses() for state in STATES}
    try:
        # the BotService, held as the bot holds it (part of the heap measured); answers go
        # through its pipeline
        built = build_pipeline(settings, database, embedder)
        service = build_bot_service(settings, database, built)
        pipeline = service.pipeline
        pipeline.warm()
        for text in texts:
            await answer(pipeline, embedder, text)
        objects = len(gc.get_objects())
        full = timed_collections()
        order = random.Random(SEED)
        for _ in range(blocks):
            for state in order.sample(STATES, len(STATES)):
                set_state(state)
                gc.callbacks.append(pauses[state])
                try:
                    for i in range(ANSWERS):
                        text = texts[i % len(texts)]
                        answers[state].append(await answer(pipeline, embedder, text))
                finally:
                    gc.callbacks.remove(pauses[state])
    finally:
        gc.unfreeze()
        await database.close()
    return report(objects, full, answers, pauses)


def report(
    objects: int,
    full: dict[str, list[float]],
    answers: dict[str, list[float]],
    pauses: dict[str, Pauses],
) -> dict[str, Any]:
    """Each state's figures, and frozen over unfrozen for the ones that matter."""
    states: dict[str, Any] = {}
    for state in STATES:
        during = pauses[state].by_generation
        states[state] = {
            "full_collection": summary(full[state]),
            "answer": summary(answers[state]),
            "collections_during_answers": {
                f"gen{generation}": summary(times) for generation, times in during.items()
            },
            "collector_ms_per_answer": round(
                sum(map(sum, during.values())) / len(answers[state]), 3
            ),
        }

    def ratio(part: str, figure: str) -> float:
        return round(states["frozen"][part][figure] / states["unfrozen"][part][figure], 3)

    return {
        "benchmark": "gc_pause",
        "when": now_utc(),
        "machine": machine().line(),
        "tracked_objects_after_start": objects,
        "states": states,
        "frozen_over_unfrozen": {
            "full_collection_p50": ratio("full_collection", "p50_ms"),
            "answer_p50": ratio("answer", "p50_ms"),
            "answer_p95": ratio("answer", "p95_ms"),
            "answer_max": ratio("answer", "max_ms"),
        },
    }


def main(argv: list[str] | None = None) -> int:
    """Print the figures as JSON and keep them under benchmarks/results/."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=BLOCKS)
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "gc_pause.json")
    args = parser.parse_args(argv)

    async def work(embedder: Embedder) -> dict[str, Any]:
        result = await measure(embedder, args.blocks)
        write_json(result, args.out)
        return result

    return print_figures(work)


if __name__ == "__main__":
    raise SystemExit(main())
