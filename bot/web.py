"""The aiohttp web server: a health check, Prometheus metrics and the Spotify callback.
Others may add routes.

Linking takes two requests: Spotify's redirect (GET) shows a page naming the chat account the
Spotify login is about to be linked to, and only its button (a POST carrying a CSRF token that
must match a same-site cookie) stores the link. No route answers a database failure with a
500: the page says the bot is having trouble, and the log says why.
"""

from __future__ import annotations

import asyncio
import hmac
import html
import ipaddress
import logging
import secrets
from collections.abc import Awaitable, Callable

import asyncpg
from aiohttp import web

from bot.health import RunHealth
from db import jobs
from db.errors import DatabaseUnavailable, describe
from db.moods import mood_shares
from db.pool import Database
from handlers.metrics import Metrics
from handlers.spotify.linking import LinkOutcome, LinkReview, SpotifyLinker
from handlers.texts import LINK_CONFIRM, LINK_PAGE

log = logging.getLogger(__name__)

# /healthz answers 503 when the database does not answer within this.
HEALTH_TIMEOUT_S = 3.0
# The CSRF cookie of the confirm page lives as long as a link does.
CSRF_COOKIE = "melodiclens_link"
CSRF_MAX_AGE_S = 600
CSRF_BYTES = 32
# Errors that mean the database is not there right now (restart, network, closed pool),
# plus a server-side failure of a query (PostgresError) and a pool that timed out.
DB_TROUBLE = (DatabaseUnavailable, asyncpg.PostgresError, TimeoutError)

DB_KEY = web.AppKey("db", Database)
LINKER_KEY = web.AppKey("linker", SpotifyLinker)
HEALTH_KEY = web.AppKey("health", RunHealth)
METRICS_KEY = web.AppKey("metrics", Metrics)
METRICS_TOKEN_KEY = web.AppKey("metrics_token", str)

# Pages hold a state and a code: never framed, cached or sent on as a referrer.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>MelodicLens: {title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem}}
h1{{color:{color}}} button,.button{{font-size:1rem;padding:.6rem 1.2rem}}</style></head>
<body><h1>{title}</h1>{body}</body></html>
"""

CONFIRM_FORM = """<form method="post" action="">
<input type="hidden" name="state" value="{state}">
<input type="hidden" name="code" value="{code}">
<input type="hidden" name="csrf" value="{csrf}">
<button type="submit">{button}</button>
</form>
"""


def render_page(outcome: LinkOutcome) -> web.Response:
    """The small HTML result page of a link attempt."""
    body = f"<p>{html.escape(outcome.message)}</p>"
    if outcome.retry_url:
        retry = html.escape(outcome.retry_url, quote=True)
        again = html.escape(LINK_PAGE["start_again"])
        body += f'<p><a class="button" href="{retry}">{again}</a></p>'
    return _page(outcome.title, body, outcome.ok, outcome.http_status)


def _page(title: str, body: str, ok: bool, status: int) -> web.Response:
    text = PAGE.format(title=html.escape(title), body=body, color="#1db954" if ok else "#c0392b")
    return web.Response(text=text, content_type="text/html", status=status, headers=PAGE_HEADERS)


def render_confirm(review: LinkReview, state: str, code: str, csrf: str) -> web.Response:
    """The confirm page: names the chat account; its button posts the link."""
    body = LINK_CONFIRM.format(
        platform=html.escape(review.platform), account=html.escape(review.account_name)
    ) + CONFIRM_FORM.format(
        state=html.escape(state, quote=True),
        code=html.escape(code, quote=True),
        csrf=csrf,
        button=html.escape(LINK_PAGE["confirm_button"]),
    )
    return _page(LINK_PAGE["confirm_title"], body, True, 200)


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


NOT_SET_UP = LinkOutcome(False, LINK_PAGE["not_available"], LINK_PAGE["not_set_up"], 503)


async def spotify_callback(request: web.Request) -> web.Response:
    """Where Spotify sends the listener back: the confirm page (nothing is stored yet)."""
    linker = request.app.get(LINKER_KEY)
    if linker is None:
        return render_page(NOT_SET_UP)
    q = request.query
    state, code = q.get("state"), q.get("code")
    found = await linker.review(state, code, q.get("error"))
    if isinstance(found, LinkOutcome):
        return render_page(found)
    csrf = secrets.token_urlsafe(CSRF_BYTES)
    page = render_confirm(found, state or "", code or "", csrf)
    page.set_cookie(
        CSRF_COOKIE,
        csrf,
        max_age=CSRF_MAX_AGE_S,
        httponly=True,
        samesite="Strict",
        secure=request.secure or linker.app.redirect_uri.startswith("https://"),
        path="/",  # not the request path: a proxy may serve us under a prefix
    )
    return page


async def spotify_confirm(request: web.Request) -> web.Response:
    """The confirm page's button: checks the CSRF token, then stores the link."""
    linker = request.app.get(LINKER_KEY)
    if linker is None:
        return render_page(NOT_SET_UP)
    form = {key: value for key, value in (await request.post()).items() if isinstance(value, str)}
    if not _same_site(request, form.get("csrf", "")):
        log.warning("Spotify link confirmation refused: CSRF check failed")
        refused = LinkOutcome(False, LINK_PAGE["refused"], LINK_PAGE["csrf"], 403)
        return render_page(refused)
    outcome = await linker.finish(form.get("state"), form.get("code"))
    page = render_page(outcome)
    if outcome.ok:
        page.del_cookie(CSRF_COOKIE, path="/")
    return page


def _same_site(request: web.Request, token: str) -> bool:
    """The form's token equals the cookie set with the page, and no foreign Origin sent it."""
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not token or not cookie or not hmac.compare_digest(token, cookie):
        return False
    origin = request.headers.get("Origin")
    if origin is None or origin == "null":
        return origin is None
    return origin in {f"{request.scheme}://{request.host}", _origin(request)}


def _origin(request: web.Request) -> str:
    linker = request.app.get(LINKER_KEY)
    uri = linker.app.redirect_uri if linker is not None else ""
    scheme, _, rest = uri.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

DB_DOWN_PAGE = LinkOutcome(False, LINK_PAGE["db_title"], LINK_PAGE["db_down"], 503)


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
            return render_page(DB_DOWN_PAGE)
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
