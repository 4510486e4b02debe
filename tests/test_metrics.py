"""`/metrics` through the real web app after real answers: real database, real models, a fake
Ollama over HTTP, and Prometheus' own parser reading the page."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from PIL import Image
from prometheus_client.parser import text_string_to_metric_families

from bot.app import build_bot_service, build_pipeline
from bot.cli.runner import held_maps
from bot.settings import load_settings
from bot.web import build_web_app
from db import jobs
from db.pool import Database
from handlers.metrics import STAGES, Metrics
from handlers.notifier import LogNotifier
from handlers.replies import ChatContext, ImageInput, VibeAsk
from handlers.service import DefaultBotService
from handlers.throttle import RATE_WINDOW_S, RateLimiter
from recsys.embedder import Embedder
from support.catalog_fixture import fresh_catalog
from support.fakes.fake_ollama import STRUCTURED_ANSWERS, FakeOllama, closed_port_url

pytestmark = pytest.mark.asyncio(loop_scope="session")

ALICE = ChatContext("telegram", "2001", "2001", "alice")
DANA = ChatContext("discord", "2002", "2002", "dana")


def party_photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (100, 70), (251, 38, 158)).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture(scope="module")
async def catalog(
    database: Database, embedder: Embedder, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, int]:
    directory = Path(tmp_path_factory.mktemp("catalog"))
    return await fresh_catalog(database, embedder, directory, also=("jobs", "caption_cache"))


def handlers_for(database: Database, embedder: Embedder, hosts: str) -> DefaultBotService:
    settings = load_settings(None, OLLAMA_HOST=hosts, MELODICLENS_VISION_TIMEOUT_S=3)
    pipeline = build_pipeline(settings, database, embedder, Metrics())
    return build_bot_service(settings, database, pipeline, LogNotifier())


async def scrape(database: Database, metrics: Metrics) -> tuple[str, dict[tuple, float]]:
    """GET /metrics from the real web app on loopback: content type and samples by name+labels."""
    app = build_web_app(database, None, metrics)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        response = await client.get("/metrics")
        assert response.status == 200
        text = await response.text()
        content_type = response.headers["Content-Type"]
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
    return content_type, samples


async def test_metrics_after_one_answer(
    catalog: dict[str, int], database: Database, embedder: Embedder, fake_ollama: FakeOllama
) -> None:
    # The first host refuses connections, so the photo fails over to the fake Ollama.
    dead = closed_port_url()
    service = handlers_for(database, embedder, f"{dead},{fake_ollama.url}")
    await jobs.enqueue(database.pool, "noop", {})
    fake_ollama.queue(STRUCTURED_ANSWERS["party"])

    reply = await service.vibe(ALICE, VibeAsk((ImageInput(party_photo()),)))
    assert reply.kind == "answer", reply.text
    refused = await service.vibe(DANA, VibeAsk((ImageInput(b"%PDF-1.7 not a photo"),)))
    assert refused.kind == "error"

    content_type, samples = await scrape(database, service.pipeline.metrics)
    assert content_type.startswith("text/plain; version=")

    def value(name: str, **labels: str) -> float:
        return samples[(name, tuple(sorted(labels.items())))]

    assert value("melodiclens_answers_total", platform="telegram", outcome="answered") == 1
    assert value("melodiclens_answers_total", platform="discord", outcome="image_rejected") == 1
    for stage in STAGES:
        assert value("melodiclens_stage_seconds_count", stage=stage) >= 1, stage
        assert value("melodiclens_stage_seconds_sum", stage=stage) > 0, stage
    assert value("melodiclens_vision_calls_total", host=dead) == 1
    assert value("melodiclens_vision_failures_total", host=dead) == 1
    assert value("melodiclens_vision_calls_total", host=fake_ollama.url) == 1
    assert value("melodiclens_vision_failures_total", host=fake_ollama.url) == 0
    assert value("melodiclens_vision_queue_depth") == 0
    assert value("melodiclens_vision_in_flight") == 0
    assert value("melodiclens_jobs", state="queued") >= 1
    assert value("melodiclens_jobs", state="failed") == 0
    measured = await database.pool.fetchval(
        "SELECT count(*) FROM tracks WHERE in_catalog AND mood_source = 'catalog'"
    )
    assert value("melodiclens_track_moods", scope="catalog", source="catalog") == measured > 0
    assert value("melodiclens_track_moods", scope="library", source="estimated") == 0


async def test_queue_depth_is_live_and_registries_stay_apart(
    catalog: dict[str, int], database: Database, embedder: Embedder, fake_ollama: FakeOllama
) -> None:
    service = handlers_for(database, embedder, fake_ollama.url)
    other = handlers_for(database, embedder, fake_ollama.url)
    gate = service.pipeline.gate
    gate.waiting = 3  # as if three photos stood in line
    try:
        _, samples = await scrape(database, service.pipeline.metrics)
    finally:
        gate.waiting = 0
    assert samples[("melodiclens_vision_queue_depth", ())] == 3
    _, fresh = await scrape(database, other.pipeline.metrics)
    assert fresh[("melodiclens_vision_queue_depth", ())] == 0
    assert not any(name == "melodiclens_answers_total" for name, _ in fresh)


async def test_no_metrics_route_without_metrics(database: Database) -> None:
    async with TestClient(TestServer(build_web_app(database), host="127.0.0.1")) as client:
        assert (await client.get("/metrics")).status == 404


async def test_openmetrics_when_the_scraper_asks_for_it(database: Database) -> None:
    metrics = Metrics()
    metrics.count_answer("telegram", "answered")
    app = build_web_app(database, None, metrics)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        response = await client.get(
            "/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"}
        )
        text = await response.text()
    assert response.headers["Content-Type"].startswith("application/openmetrics-text")
    assert 'melodiclens_answers_total{outcome="answered",platform="telegram"} 1.0' in text
    assert text.endswith("# EOF\n")


async def test_held_maps_follow_the_rate_limiter_as_it_fills_and_empties(
    catalog: dict[str, int], database: Database, embedder: Embedder, fake_ollama: FakeOllama
) -> None:
    service = handlers_for(database, embedder, fake_ollama.url)
    now = [1000.0]
    service.rate = RateLimiter(service.config.rate_limit_per_minute, clock=lambda: now[0])
    metrics = service.pipeline.metrics
    metrics.watch_held(held_maps(service, embedder, []))
    rate_keys = ("melodiclens_held_entries", (("map", "rate_limiter_keys"),))
    for n in range(5):
        service.admit(ChatContext("telegram", f"held{n}", f"held{n}"))
    _, samples = await scrape(database, metrics)
    assert samples[rate_keys] == 5
    assert ("melodiclens_held_entries", (("map", "embedding_cache"),)) in samples
    now[0] += RATE_WINDOW_S  # a quiet minute later the five are idle and swept
    service.admit(ALICE)
    _, samples = await scrape(database, metrics)
    assert samples[rate_keys] == 1
