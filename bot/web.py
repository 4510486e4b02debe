"""The aiohttp web server: a health check, Prometheus metrics and the Spotify callback.
Others may add routes."""

from __future__ import annotations

import asyncio
import html
import logging

import asyncpg
from aiohttp import web

from db import jobs
from db.errors import DatabaseError
from db.pool import Database
from handlers.metrics import Metrics
from handlers.spotify.linking import LinkOutcome, SpotifyLinker

log = logging.getLogger(__name__)

# /healthz answers 503 when the database does not answer within this.
HEALTH_TIMEOUT_S = 3.0

DB_KEY = web.AppKey("db", Database)
LINKER_KEY = web.AppKey("linker", SpotifyLinker)
METRICS_KEY = web.AppKey("metrics", Metrics)

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>MelodicLens: {title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem}}
h1{{color:{color}}}</style></head>
<body><h1>{title}</h1><p>{message}</p></body></html>
"""


def render_page(outcome: LinkOutcome) -> web.Response:
    """The small HTML result page of a link attempt."""
    body = PAGE.format(
        title=html.escape(outcome.title),
        message=html.escape(outcome.message),
        color="#1db954" if outcome.ok else "#c0392b",
    )
    return web.Response(text=body, content_type="text/html", status=outcome.http_status)


async def healthz(request: web.Request) -> web.Response:
    """200 when the database answers, 503 otherwise."""
    database = request.app[DB_KEY]
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT_S):
            await database.pool.fetchval("SELECT 1")
    except Exception as err:  # any failure here means "not healthy"
        log.warning("health check failed: %s", err)
        return web.json_response({"status": "unhealthy", "database": "down"}, status=503)
    return web.json_response({"status": "ok", "database": "up"})


async def metrics_page(request: web.Request) -> web.Response:
    """The Prometheus text exposition; job counts are read from the database at each scrape."""
    metrics = request.app[METRICS_KEY]
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT_S):
            metrics.set_jobs(await jobs.count_by_state(request.app[DB_KEY].pool))
    except Exception as err:  # the other metrics are still worth serving
        log.warning("metrics: could not count jobs: %s", err)
    body, content_type = metrics.render(request.headers.get("Accept", ""))
    # Set as a header: aiohttp's content_type= would drop the format's version parameter.
    return web.Response(body=body, headers={"Content-Type": content_type})


async def spotify_callback(request: web.Request) -> web.Response:
    """Where Spotify sends the listener back after they grant access."""
    linker = request.app.get(LINKER_KEY)
    if linker is None:
        outcome = LinkOutcome(False, "Not available", "Spotify linking is not set up here.", 503)
        return render_page(outcome)
    q = request.query
    try:
        outcome = await linker.finish(q.get("state"), q.get("code"), q.get("error"))
    except (DatabaseError, asyncpg.PostgresError, OSError, TimeoutError):
        log.warning("Spotify callback: database unavailable", exc_info=True)
        outcome = LinkOutcome(False, "Not linked", "The bot's database is down; try again.", 503)
    return render_page(outcome)


def build_web_app(
    database: Database, linker: SpotifyLinker | None = None, metrics: Metrics | None = None
) -> web.Application:
    """The web application; callers may add routes (e.g. a Telegram webhook) before running it."""
    app = web.Application()
    app[DB_KEY] = database
    if linker is not None:
        app[LINKER_KEY] = linker
    app.router.add_get("/healthz", healthz)
    if metrics is not None:
        app[METRICS_KEY] = metrics
        app.router.add_get("/metrics", metrics_page)
    app.router.add_get("/spotify/callback", spotify_callback)
    return app
