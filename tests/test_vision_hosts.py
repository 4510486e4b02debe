"""Several vision hosts: least-busy choice, failover, rest periods, and the captioner on top."""

from __future__ import annotations

import asyncio
import contextlib
import io
import time
from collections.abc import AsyncIterator

import ollama
import pytest
from PIL import Image

from bot.app import vision_hosts
from recsys.captioner import Captioner
from recsys.image_intake import ImageLimits, PreparedImage, prepare_image
from recsys.models import MoodReading
from recsys.vision_hosts import VisionHostPool, VisionUnavailable
from support.fakes.fake_ollama import DEFAULT_MODEL, Failure, FakeOllama, closed_port_url

MODEL = DEFAULT_MODEL


def image() -> PreparedImage:
    """A small prepared photo."""
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (40, 90, 160)).save(out, "PNG")
    return prepare_image(out.getvalue(), ImageLimits())


@contextlib.asynccontextmanager
async def host_pool(
    urls: list[str], timeout_s: float = 5.0, rest_s: float = 30.0
) -> AsyncIterator[VisionHostPool]:
    """A pool over these hosts, closed when the test is done with it."""
    pool = VisionHostPool(urls, timeout_s=timeout_s, rest_s=rest_s)
    try:
        yield pool
    finally:
        await pool.close()


async def ask(client: ollama.AsyncClient) -> str:
    """One minimal chat request, as the captioner would send it."""
    response = await client.chat(
        MODEL, [{"role": "user", "content": "hi", "images": [image().jpeg]}], stream=False
    )
    return response.model or ""


@pytest.fixture
async def three_fakes() -> AsyncIterator[tuple[FakeOllama, FakeOllama, FakeOllama]]:
    """Three fake Ollama hosts."""
    async with FakeOllama() as a, FakeOllama() as b, FakeOllama() as c:
        yield a, b, c


async def test_down_and_slow_hosts_are_skipped_for_the_healthy_one(
    three_fakes: tuple[FakeOllama, FakeOllama, FakeOllama],
) -> None:
    slow, healthy, _ = three_fakes
    slow.delay_s = 30.0
    down = closed_port_url()
    pool = VisionHostPool([down, slow.url, healthy.url], timeout_s=4.0, rest_s=60.0)
    captioner = Captioner(
        pool, MODEL, timeout_s=4.0, num_ctx=2048, prose_reader=lambda text: MoodReading()
    )
    try:
        durations = []
        for _ in range(6):
            started = time.monotonic()
            caption = await captioner.caption(image())
            durations.append(time.monotonic() - started)
            assert caption.source == "vision"
        assert len(healthy.chat_requests) == 6
        assert len(slow.chat_requests) == 1, "a slow host is rested after one timeout"
        # The first request lost at most part of its budget to the slow host; later ones never
        # wait on it (the bounds are loose for a loaded machine, and far below the 30 s hang).
        assert durations[0] < 4.0 + 1.0
        assert max(durations[1:]) < 4.0 * 0.5
        resting = {load.url for load in pool.loads() if load.resting}
        assert resting == {down, slow.url}
    finally:
        await pool.close()


async def test_failed_host_rests_then_gets_requests_again(
    three_fakes: tuple[FakeOllama, FakeOllama, FakeOllama],
) -> None:
    flaky, steady, _ = three_fakes
    flaky.failure = Failure(500, "model runner crashed")
    async with host_pool([flaky.url, steady.url], rest_s=0.4) as pool:
        assert await pool.call(ask, model=MODEL) == MODEL  # flaky fails, steady answers
        assert len(flaky.chat_requests) == 1 and len(steady.chat_requests) == 1
        flaky.failure = None
        for _ in range(3):
            await pool.call(ask, model=MODEL)
        assert len(flaky.chat_requests) == 1, "resting: no requests during the rest period"
        await asyncio.sleep(0.5)
        for _ in range(2):
            await pool.call(ask, model=MODEL)
        assert len(flaky.chat_requests) >= 2, "back in rotation after the rest"
        assert not any(load.resting for load in pool.loads())


async def test_least_busy_host_gets_the_next_request(
    three_fakes: tuple[FakeOllama, FakeOllama, FakeOllama],
) -> None:
    a, b, c = three_fakes
    for fake in three_fakes:
        fake.delay_s = 0.4
    async with host_pool([a.url, b.url, c.url]) as pool:
        tasks = [asyncio.create_task(pool.call(ask, model=MODEL)) for _ in range(6)]
        await asyncio.sleep(0.2)
        assert [load.in_flight for load in pool.loads()] == [2, 2, 2]
        assert pool.in_flight() == 6
        await asyncio.gather(*tasks)
        assert [fake.max_in_flight for fake in three_fakes] == [2, 2, 2]
        assert pool.in_flight() == 0


async def test_busy_host_is_passed_over(
    three_fakes: tuple[FakeOllama, FakeOllama, FakeOllama],
) -> None:
    busy, idle, _ = three_fakes
    busy.delay_s = 0.5
    async with host_pool([busy.url, idle.url]) as pool:
        long_one = asyncio.create_task(pool.call(ask, model=MODEL))
        await asyncio.sleep(0.1)
        assert len(busy.chat_requests) == 1
        for _ in range(3):
            await pool.call(ask, model=MODEL)
        assert len(idle.chat_requests) == 3 and len(busy.chat_requests) == 1
        await long_one


async def test_model_missing_on_one_host_is_found_on_another() -> None:
    async with (
        FakeOllama(models=["llava:7b"]) as empty,
        FakeOllama() as ready,
        host_pool([empty.url, ready.url]) as pool,
    ):
        assert await pool.call(ask, model=MODEL) == MODEL
        assert len(empty.chat_requests) == 1 and len(ready.chat_requests) == 1


async def test_all_hosts_failing_names_each_reason() -> None:
    down = closed_port_url()
    async with (
        FakeOllama(failure=Failure(500, "out of memory")) as broken,
        host_pool([down, broken.url]) as pool,
    ):
        with pytest.raises(VisionUnavailable) as caught:
            await pool.call(ask, model=MODEL)
    reason = caught.value.reason
    assert reason.startswith("no vision host could answer: ")
    assert f"cannot reach Ollama at {down}" in reason
    assert f"Ollama at {broken.url} failed (500): out of memory" in reason


async def test_a_refused_request_is_not_retried_elsewhere(
    three_fakes: tuple[FakeOllama, FakeOllama, FakeOllama],
) -> None:
    first, second, _ = three_fakes
    first.failure = Failure(400, "invalid options")
    async with host_pool([first.url, second.url]) as pool:
        with pytest.raises(VisionUnavailable, match=r"refused the request \(400\)"):
            await pool.call(ask, model=MODEL)
        assert second.chat_requests == []


async def test_when_every_host_rests_one_is_still_tried(
    three_fakes: tuple[FakeOllama, FakeOllama, FakeOllama],
) -> None:
    only, _, _ = three_fakes
    only.failure = Failure(503, "loading model")
    async with host_pool([only.url], rest_s=60.0) as pool:
        with pytest.raises(VisionUnavailable):
            await pool.call(ask, model=MODEL)
        only.failure = None
        assert await pool.call(ask, model=MODEL) == MODEL


def test_pool_follows_the_settings() -> None:
    from bot.settings import load_settings

    settings = load_settings(None, OLLAMA_HOST="http://10.0.0.5:11434, gpu-2:11434")
    pool = vision_hosts(settings)
    assert pool.urls == ("http://10.0.0.5:11434", "http://gpu-2:11434")
