"""Configured URLs are shown by their display names only (issue 21): an OLLAMA_HOST or
DATABASE_URL carrying a password never puts it on /metrics, /healthz or in the log."""

from __future__ import annotations

import logging

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.health import RunHealth
from bot.web import build_web_app
from db.pool import Database
from db.urls import ScrubCredentials, display_url, scrub_text
from handlers.edge.worker import WorkerHealth
from handlers.metrics import Metrics
from recsys.vision_hosts import VisionHostPool, VisionUnavailable
from support.fakes.fake_ollama import FakeOllama, closed_port_url

SECRET = "hunter2"


def with_credentials(url: str) -> str:
    """The same address with a user and password in it."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://ops:{SECRET}@{rest}"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://ops:hunter2@127.0.0.1:11434", "http://127.0.0.1:11434"),
        ("postgresql://ml:hunter2@db:5432/ml?sslmode=require&password=hunter2",
         "postgresql://db:5432/ml?sslmode=require&password=***"),
        ("https://bucket.s3.amazonaws.com/c.csv?X-Amz-Credential=AKIA&X-Amz-Signature=hunter2"
         "&v=1#hunter2", "https://bucket.s3.amazonaws.com/c.csv?X-Amz-Credential=***"
         "&X-Amz-Signature=***&v=1"),
        ("https://example.org/c.csv?token=hunter2&sig=hunter2", "https://example.org/c.csv?token=***&sig=***"),
        ("http://ops:pa/ss@hunter2@host:1/x", "http://host:1/x"),
        ("host=db password=hunter2", "host=db password=***"),
    ],
)  # fmt: skip
def test_display_names_hold_no_secret(url: str, shown: str) -> None:
    assert display_url(url) == shown
    assert SECRET not in display_url(url)


def test_urls_inside_text_are_shown_by_display_name() -> None:
    text = "cannot reach http://ops:hunter2@10.0.0.5:11434/api/chat; password=hunter2 refused"
    assert scrub_text(text) == "cannot reach http://10.0.0.5:11434/api/chat; password=*** refused"


async def test_no_credential_on_metrics_healthz_or_in_the_log(
    db: Database, fake_ollama: FakeOllama, caplog: pytest.LogCaptureFixture
) -> None:
    dead, alive = with_credentials(closed_port_url()), with_credentials(fake_ollama.url)
    metrics = Metrics()
    pool = VisionHostPool(
        [dead, alive], timeout_s=5.0, rest_s=60.0, on_call=metrics.count_vision_call
    )
    metrics.watch_hosts(pool.urls)
    caplog.set_level(logging.DEBUG)
    try:
        # The dead host fails (it rests, with its reason kept for /healthz); the other answers.
        await pool.call(lambda client: client.list(), model="m")
        with pytest.raises(VisionUnavailable) as refused:
            await VisionHostPool([dead], timeout_s=5.0, rest_s=1.0).call(
                lambda client: client.list(), model="m"
            )
        health = RunHealth({"Telegram": "running"}, WorkerHealth("running"), pool)
        app = build_web_app(db, None, metrics, health)
        async with TestClient(TestServer(app, host="127.0.0.1")) as client:
            scraped = await (await client.get("/metrics")).text()
            healthz = await (await client.get("/healthz")).json()
    finally:
        await pool.close()
    assert f'host="{display_url(alive)}"' in scraped
    assert healthz["vision_hosts"][0]["last_failure"].startswith("cannot reach Ollama at http")
    for shown in (scraped, str(healthz), str(refused.value), caplog.text):
        assert SECRET not in shown and "ops:" not in shown


def test_the_log_handler_scrubs_what_a_library_logs() -> None:
    record = logging.LogRecord(
        "httpx", logging.INFO, __file__, 1, "HTTP Request: GET %s", ("http://ops:hunter2@h/x",),
        None,
    )  # fmt: skip
    assert ScrubCredentials().filter(record)
    assert record.getMessage() == "HTTP Request: GET http://h/x"
