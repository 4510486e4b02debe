"""An album's photos go to the vision model at once, within the vision concurrency limit:
real database and models, a fake Ollama over HTTP that counts requests in flight."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PIL import Image

from bot.app import build_bot_service, build_pipeline
from bot.settings import load_settings
from db.pool import Database
from handlers.notifier import LogNotifier
from handlers.replies import ChatContext, ImageInput, VibeAsk
from handlers.service import DefaultBotService
from recsys.embedder import Embedder
from support.catalog_fixture import fresh_catalog
from support.fakes.fake_ollama import FakeOllama

pytestmark = pytest.mark.asyncio(loop_scope="session")

ERIN = ChatContext("telegram", "3001", "3001", "erin")


def album(seed: int, count: int) -> list[ImageInput]:
    """Photos no other test sends (so none is in the caption cache)."""
    photos = []
    for n in range(count):
        out = io.BytesIO()
        Image.new("RGB", (88 + n, 66), (seed, 17 * n + 3, 211 - seed)).save(out, "PNG")
        photos.append(ImageInput(out.getvalue()))
    return photos


@pytest.fixture(scope="module")
async def catalog(
    database: Database, embedder: Embedder, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, int]:
    return await fresh_catalog(
        database, embedder, Path(tmp_path_factory.mktemp("catalog")), also=("caption_cache",)
    )


@pytest.fixture
async def slow_ollama() -> AsyncIterator[FakeOllama]:
    async with FakeOllama(delay_s=0.4) as fake:
        yield fake


def service_for(
    fake: FakeOllama, database: Database, embedder: Embedder, slots: int
) -> DefaultBotService:
    settings = load_settings(
        None, OLLAMA_HOST=fake.url, MELODICLENS_VISION_TIMEOUT_S=10,
        MELODICLENS_VISION_CONCURRENCY=slots,
    )  # fmt: skip
    return build_bot_service(
        settings, database, build_pipeline(settings, database, embedder), LogNotifier()
    )


async def test_album_photos_are_read_together(
    catalog: dict[str, int], database: Database, embedder: Embedder, slow_ollama: FakeOllama
) -> None:
    service = service_for(slow_ollama, database, embedder, slots=4)
    reply = await service.vibe(ERIN, VibeAsk(tuple(album(40, 3))))
    assert reply.kind == "answer", reply.text
    assert reply.recommendation is not None and reply.recommendation.vision_used
    assert len(slow_ollama.chat_requests) == 3
    assert slow_ollama.max_in_flight == 3  # all three at the model at once


async def test_album_waits_its_turn_within_the_limit(
    catalog: dict[str, int], database: Database, embedder: Embedder, slow_ollama: FakeOllama
) -> None:
    service = service_for(slow_ollama, database, embedder, slots=2)
    places: list[int] = []

    async def noted(place: int) -> None:
        places.append(place)

    reply = await service.vibe(ERIN, VibeAsk(tuple(album(90, 4))), on_queued=noted)
    assert reply.kind == "answer", reply.text
    assert len(slow_ollama.chat_requests) == 4
    assert slow_ollama.max_in_flight == 2  # never more than the two slots
    assert places  # the photos beyond the limit stood in line
