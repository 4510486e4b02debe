"""Prometheus metrics of one process, in a registry of its own (built by the composition root).

A registry per `Metrics` object keeps tests and several bots in one process apart, and keeps
prometheus_client's process-wide default registry out of it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from functools import partial
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import choose_encoder

from db.urls import display_url

if TYPE_CHECKING:
    from recsys.recommender import Timings

STAGES = ("intake", "vision", "query", "search", "rank")
# From ~1 ms (ranking) up past the default 45 s vision timeout, so every stage lands in range.
LATENCY_BUCKETS_S = (
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 45.0, 90.0
)  # fmt: skip


class Metrics:
    """Answers, stage latencies, vision calls per host, the vision queue and jobs by state."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        # every metric of this object goes in its own registry (above)
        counter = partial(Counter, registry=self.registry)
        gauge = partial(Gauge, registry=self.registry)
        self.answers = counter(
            "melodiclens_answers",
            "Questions answered (photos and/or words), by platform and outcome.",
            ["platform", "outcome"],
        )
        self.stage_seconds = Histogram(
            "melodiclens_stage_seconds",
            "Time spent in each stage of an answer.",
            ["stage"],
            buckets=LATENCY_BUCKETS_S,
            registry=self.registry,
        )
        self.vision_calls = counter(
            "melodiclens_vision_calls", "Requests sent to each Ollama host.", ["host"]
        )
        self.vision_failures = counter(
            "melodiclens_vision_failures",
            "Requests to each Ollama host that failed (refused, 5xx, timeout, model missing).",
            ["host"],
        )
        self.queue_depth = gauge(
            "melodiclens_vision_queue_depth", "Photos waiting for a free vision slot."
        )
        self.vision_in_flight = gauge(
            "melodiclens_vision_in_flight", "Photos at the vision model right now."
        )
        self.jobs = gauge(
            "melodiclens_jobs",
            "Background jobs in the database, by state (read when scraped).",
            ["state"],
        )
        self.held = gauge(
            "melodiclens_held_entries",
            "Entries in each in-memory map of the process (read when scraped); none may grow "
            "with the number of users.",
            ["map"],
        )
        self.track_moods = gauge(
            "melodiclens_track_moods",
            "Library, trending and catalog tracks by where their mood comes from (catalog, "
            "same_song, features_service: measured; estimated; none), read when scraped.",
            ["scope", "source"],
        )
        for stage in STAGES:
            self.stage_seconds.labels(stage)

    def watch_queue(self, waiting: Callable[[], int], in_flight: Callable[[], int]) -> None:
        """Read the vision line's length and the photos being read whenever scraped."""
        self.queue_depth.set_function(waiting)
        self.vision_in_flight.set_function(in_flight)

    def watch_held(self, sizes: Mapping[str, Callable[[], int]]) -> None:
        """Read the size of each named in-memory map whenever scraped."""
        for name, size in sizes.items():
            self.held.labels(name).set_function(size)

    def watch_hosts(self, urls: Iterable[str]) -> None:
        """Show every vision host from the start, at zero, so rates work from the first call
        (labelled by display name: a URL's credentials never reach a label)."""
        for url in urls:
            self.vision_calls.labels(display_url(url))
            self.vision_failures.labels(display_url(url))

    def count_answer(self, platform: str, outcome: str) -> None:
        """One question answered (outcome "answered") or turned away (the reason)."""
        self.answers.labels(platform, outcome).inc()

    def count_vision_call(self, host: str, ok: bool) -> None:
        """One request to an Ollama host, and whether it failed."""
        self.vision_calls.labels(display_url(host)).inc()
        if not ok:
            self.vision_failures.labels(display_url(host)).inc()

    def observe_stage(self, stage: str, seconds: float) -> None:
        """The time one stage of one answer took."""
        self.stage_seconds.labels(stage).observe(seconds)

    def observe_recommendation(self, timings: Timings) -> None:
        """The query, search and rank stages of one recommendation."""
        self.observe_stage("query", timings.query_ms / 1000)
        self.observe_stage("search", timings.search_ms / 1000)
        self.observe_stage("rank", timings.rank_ms / 1000)

    @contextmanager
    def time_stage(self, stage: str) -> Iterator[None]:
        """Time the block as one stage (also when it raises)."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.observe_stage(stage, time.perf_counter() - started)

    def set_jobs(self, counts: Mapping[str, int]) -> None:
        """The job table's counts by state, as just read."""
        for state, count in counts.items():
            self.jobs.labels(state).set(count)

    def set_track_moods(self, shares: Mapping[str, Mapping[str, int]]) -> None:
        """Tracks per scope (library, trending, catalog) and mood source, as just read."""
        for scope, counts in shares.items():
            for source, count in counts.items():
                self.track_moods.labels(scope, source).set(count)

    def render(self, accept: str = "") -> tuple[bytes, str]:
        """The exposition in the format the scraper accepts (Prometheus text, or OpenMetrics
        when asked for) and its content type."""
        encoder, content_type = choose_encoder(accept)
        return encoder(self.registry), content_type
