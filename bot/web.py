"""The aiohttp web server: a health check, Prometheus metrics and the Spotify callback (its
pages are bot/link_pages.py). Others may add routes.

No route answers a database failure with a 500: the page says the bot is having trouble, and
the log says why.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import logging
from collections.abc import Awaitable, Callable

import asyncpg
from aiohttp import web

from bot.health import RunHealth
from bot.link_pages import LINKER_KEY, db_down_page, spotify_callback, spotify_confirm
from db import jobs
from db.errors import DatabaseUnavailable, describe
from db.moods import mood_shares
from db.pool import Database
from handlers.metrics import Metrics
from handlers.spotify.linking import SpotifyLinker

log = logging.getLogger(__name__)

# /healthz answers 503 when the database does not answer within this.
HEALTH_TIMEOUT_S = 3.0
# Errors that mean the database is not there right now (restart, network, closed pool),
# plus a server-side failure of a query (PostgresError) and a pool that timed out.
DB_TROUBLE = (DatabaseUnavailable, asyncpg.PostgresError, TimeoutError)

DB_KEY = web.AppKey("db", Database)
HEALTH_KEY = web.AppKey("health", RunHealth)
METRICS_KEY = web.AppKey("metrics", Metrics)
METRICS_TOKEN_KEY = web.AppKey("metrics_token", str)


async def healthz(request: web.Request) -> web.Response:
    """Readiness: 200 when the database answers (and, under `run`, every chat adapter serves),
    503 otherwise; under `run` it also reports the adapters, the job worker and vision hosts
    to a trusted caller (loopback, or the metrics token)."""
    database_up = await _database_answers(request.app[DB_KEY])
    body: dict[str, object] = {"status": "ok", "database": "up" if database_up else "down"}
    ready = database_up
    health = request.app.get(HEALTH_KEY)
    if health is not None:
        ready = database_up and health.ready_without_database()
        body.update(live=True, ready=ready)
        if _trusted(request):
            body.update(health.report())
    if not ready:
        body["status"] = "unhealthy"
    return web.json_response(body, status=200 if ready else 503)


async def livez(request: web.Request) -> web.Response:
    """Liveness: 200 whenever the event loop answers at all (restart the process if not)."""
    return web.json_response({"status": "alive"})


async def _database_answers(database: Database) -> bool:
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT_S):
            await database.pool.fetchval("SELECT 1")
    except Exception as err:  # any failure here means "not healthy"
        log.warning("health check failed: %s", err)
        return False
    return True


async def metrics_page(request: web.Request) -> web.Response:
    """The Prometheus text exposition, to a trusted caller only; job counts are read from the
    database at each scrape."""
    if not _trusted(request):
        return _untrusted(request)
    metrics = request.app[METRICS_KEY]
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT_S):
            metrics.set_jobs(await jobs.count_by_state(request.app[DB_KEY].pool))
            metrics.set_track_moods(await mood_shares(request.app[DB_KEY].pool))
    except Exception as err:  # the other metrics are still worth serving
        log.warning("metrics: could not count jobs or track moods: %s", err)
    body, content_type = metrics.render(request.headers.get("Accept", ""))
    # Set as a header: aiohttp's content_type= would drop the format's version parameter.
    return web.Response(body=body, headers={"Content-Type": content_type})


def _trusted(request: web.Request) -> bool:
    """The caller may read the metrics and the detailed health: it sent the bearer token, or
    (no token sent) it connects from this machine's loopback."""
    token = request.app.get(METRICS_TOKEN_KEY, "")
    sent = request.headers.get("Authorization", "")
    if token and sent:
        return hmac.compare_digest(sent.encode(), f"Bearer {token}".encode())
    return _loopback(request.remote)


def _loopback(remote: str | None) -> bool:
    try:
        return remote is not None and ipaddress.ip_address(remote).is_loopback
    except ValueError:  # a Unix socket's peer, or no address at all
        return False


def _untrusted(request: web.Request) -> web.Response:
    """401 asking for the token when one is set, else 403 (only loopback may read)."""
    if request.app.get(METRICS_TOKEN_KEY):
        headers = {"WWW-Authenticate": 'Bearer realm="melodiclens"'}
        return web.json_response({"error": "a bearer token is required"}, status=401,
                                 headers=headers)  # fmt: skip
    return web.json_response(
        {"error": "only loopback may read this; set MELODICLENS_METRICS_TOKEN"}, status=403
    )


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def database_trouble(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Any route: a database failure is a friendly 503 (and a log line), never a 500."""
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except DB_TROUBLE as err:
        log.error("%s %s: database unavailable: %s", request.method, request.path, describe(err))
        if request.path.startswith("/spotify/"):
            return await db_down_page(request)
        return web.json_response({"error": "database unavailable"}, status=503)


def build_web_app(
    database: Database,
    linker: SpotifyLinker | None = None,
    metrics: Metrics | None = None,
    health: RunHealth | None = None,
    metrics_token: str = "",
) -> web.Application:
    """The web application; callers may add routes (e.g. a Telegram webhook) before running it.
    `metrics_token` lets a caller off this machine read /metrics and the detailed /healthz."""
    app = web.Application(middlewares=[database_trouble])
    app[DB_KEY] = database
    app[METRICS_TOKEN_KEY] = metrics_token
    if linker is not None:
        app[LINKER_KEY] = linker
    if health is not None:
        app[HEALTH_KEY] = health
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/livez", livez)
    if metrics is not None:
        app[METRICS_KEY] = metrics
        app.router.add_get("/metrics", metrics_page)
    app.router.add_get("/spotify/callback", spotify_callback)
    app.router.add_post("/spotify/callback", spotify_confirm)
    return app
