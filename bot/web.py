"""The aiohttp web server: a health check and the Spotify callback. Others may add routes."""

from __future__ import annotations

import asyncio
import html
import logging

import asyncpg
from aiohttp import web

from bot.health import RunHealth
from db.errors import DatabaseError
from db.pool import Database
from handlers.spotify.linking import LinkOutcome, SpotifyLinker

log = logging.getLogger(__name__)

# /healthz answers 503 when the database does not answer within this.
HEALTH_TIMEOUT_S = 3.0

DB_KEY = web.AppKey("db", Database)
LINKER_KEY = web.AppKey("linker", SpotifyLinker)
HEALTH_KEY = web.AppKey("health", RunHealth)

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
    """Readiness: 200 when the database answers (and, under `run`, every chat adapter serves),
    503 otherwise; under `run` it also reports the adapters, the job worker and vision hosts."""
    database_up = await _database_answers(request.app[DB_KEY])
    body: dict[str, object] = {"status": "ok", "database": "up" if database_up else "down"}
    ready = database_up
    health = request.app.get(HEALTH_KEY)
    if health is not None:
        ready = database_up and health.ready_without_database()
        body.update(live=True, ready=ready, **health.report())
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
    database: Database, linker: SpotifyLinker | None = None, health: RunHealth | None = None
) -> web.Application:
    """The web application; callers may add routes (e.g. a Telegram webhook) before running it."""
    app = web.Application()
    app[DB_KEY] = database
    if linker is not None:
        app[LINKER_KEY] = linker
    if health is not None:
        app[HEALTH_KEY] = health
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/livez", livez)
    app.router.add_get("/spotify/callback", spotify_callback)
    return app
