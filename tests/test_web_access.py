"""/metrics and the details of /healthz answer loopback, or a caller with the bearer token
(MELODICLENS_METRICS_TOKEN); anyone else gets the bare readiness only (issue 21)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.health import RunHealth
from bot.settings import load_settings
from bot.web import Handler, build_web_app
from db.pool import Database
from handlers.edge.worker import WorkerHealth
from handlers.metrics import Metrics

TOKEN = "s3cret-scrape-token"
# A documentation address (RFC 5737): a caller from off this machine.
FAR_AWAY = "203.0.113.9"


def arriving_from(remote: str) -> web.Middleware:
    """Make every request look as if it came from `remote` (a test server listens on loopback
    only); the app's own code then decides as it would for that peer."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        return await handler(request.clone(remote=remote))

    return middleware


@pytest.fixture
async def client(request: pytest.FixtureRequest, db: Database) -> AsyncIterator[TestClient]:
    remote, token = request.param
    metrics = Metrics()
    metrics.count_answer("telegram", "answered")
    health = RunHealth({"Telegram": "running"}, WorkerHealth("running"))
    app = build_web_app(db, None, metrics, health, metrics_token=token)
    if remote is not None:
        app.middlewares.append(arriving_from(remote))
    async with TestClient(TestServer(app, host="127.0.0.1")) as test_client:
        yield test_client


@pytest.mark.parametrize("client", [(None, ""), (None, TOKEN)], indirect=True)
async def test_loopback_reads_metrics_and_details(client: TestClient) -> None:
    metrics = await client.get("/metrics")
    assert metrics.status == 200
    assert "melodiclens_answers_total" in await metrics.text()
    health = await (await client.get("/healthz")).json()
    assert health["adapters"] == {"Telegram": "running"} and health["ready"] is True


@pytest.mark.parametrize("client", [(FAR_AWAY, "")], indirect=True)
async def test_a_far_caller_without_a_token_setting_is_refused(client: TestClient) -> None:
    metrics = await client.get("/metrics")
    assert metrics.status == 403
    assert "melodiclens_answers_total" not in await metrics.text()
    health = await client.get("/healthz")
    assert health.status == 200
    assert await health.json() == {"status": "ok", "database": "up", "live": True, "ready": True}


@pytest.mark.parametrize("client", [(FAR_AWAY, TOKEN)], indirect=True)
async def test_a_far_caller_needs_the_right_bearer_token(client: TestClient) -> None:
    bare = await client.get("/metrics")
    assert bare.status == 401 and bare.headers["WWW-Authenticate"].startswith("Bearer")
    wrong = await client.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status == 401
    right = {"Authorization": f"Bearer {TOKEN}"}
    scraped = await client.get("/metrics", headers=right)
    assert scraped.status == 200 and "melodiclens_answers_total" in await scraped.text()
    assert "worker" not in await (await client.get("/healthz")).json()
    detailed = await (await client.get("/healthz", headers=right)).json()
    assert detailed["worker"]["state"] == "running"


def test_the_token_is_a_setting_and_a_secret() -> None:
    settings = load_settings(None, MELODICLENS_METRICS_TOKEN=TOKEN)
    assert settings.metrics_token is not None
    assert settings.metrics_token.get_secret_value() == TOKEN
    assert TOKEN not in repr(settings)
