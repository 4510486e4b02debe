"""The Spotify link pages: Spotify's redirect (GET) shows a page naming the chat account the
Spotify login is about to be linked to, and only its button (a POST carrying a CSRF token that
must match a same-site cookie) stores the link. Every page is in the language of the person
who asked for the link (carried in the link's state, handlers/spotify/linking.py); a request
without a valid state is answered in English.
"""

from __future__ import annotations

import hmac
import html
import logging
import secrets

from aiohttp import web

from handlers.spotify.linking import LinkOutcome, LinkReview, SpotifyLinker, state_language
from handlers.texts import LINK_CONFIRM, LINK_PAGE, say

log = logging.getLogger(__name__)

# The CSRF cookie of the confirm page lives as long as a link does.
CSRF_COOKIE = "melodiclens_link"
CSRF_MAX_AGE_S = 600
CSRF_BYTES = 32

LINKER_KEY = web.AppKey("linker", SpotifyLinker)

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
<html lang="{lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
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
    """The small HTML result page of a link attempt (already worded in `outcome.lang`)."""
    body = f"<p>{html.escape(outcome.message)}</p>"
    if outcome.retry_url:
        retry = html.escape(outcome.retry_url, quote=True)
        again = html.escape(say(outcome.lang, LINK_PAGE["start_again"]))
        body += f'<p><a class="button" href="{retry}">{again}</a></p>'
    return _page(outcome.lang, outcome.title, body, outcome.ok, outcome.http_status)


def _page(lang: str, title: str, body: str, ok: bool, status: int) -> web.Response:
    colour = "#1db954" if ok else "#c0392b"
    text = PAGE.format(lang=_html_lang(lang), title=html.escape(title), body=body, color=colour)
    return web.Response(text=text, content_type="text/html", status=status, headers=PAGE_HEADERS)


def _html_lang(lang: str) -> str:
    """The page's `lang` attribute (BCP 47: "pt-BR")."""
    return lang.replace("_", "-")


def _outcome(lang: str, title: str, message: str, status: int) -> LinkOutcome:
    """A page of the web server's own (not set up, refused, database down) in `lang`."""
    return LinkOutcome(False, say(lang, title), say(lang, message), status, lang=lang)


def render_confirm(review: LinkReview, state: str, code: str, csrf: str) -> web.Response:
    """The confirm page: names the chat account; its button posts the link."""
    lang = review.lang
    body = say(
        lang,
        LINK_CONFIRM,
        platform=html.escape(review.platform),
        account=html.escape(review.account_name),
    ) + CONFIRM_FORM.format(
        state=html.escape(state, quote=True),
        code=html.escape(code, quote=True),
        csrf=csrf,
        button=html.escape(say(lang, LINK_PAGE["confirm_button"])),
    )
    return _page(lang, say(lang, LINK_PAGE["confirm_title"]), body, True, 200)


def not_set_up(lang: str) -> LinkOutcome:
    """The page when this bot has no Spotify linking."""
    return _outcome(lang, LINK_PAGE["not_available"], LINK_PAGE["not_set_up"], 503)


async def spotify_callback(request: web.Request) -> web.Response:
    """Where Spotify sends the listener back: the confirm page (nothing is stored yet)."""
    linker = request.app.get(LINKER_KEY)
    q = request.query
    if linker is None:
        return render_page(not_set_up(state_language(q.get("state"))))
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
    form = {key: value for key, value in (await request.post()).items() if isinstance(value, str)}
    lang = state_language(form.get("state"))
    if linker is None:
        return render_page(not_set_up(lang))
    if not _same_site(request, form.get("csrf", "")):
        log.warning("Spotify link confirmation refused: CSRF check failed")
        return render_page(_outcome(lang, LINK_PAGE["refused"], LINK_PAGE["csrf"], 403))
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


async def db_down_page(request: web.Request) -> web.Response:
    """The page when the database failed under a link page, in the link's language."""
    state = request.query.get("state")
    if state is None and request.method == "POST":
        state = str((await request.post()).get("state", ""))  # already read by the route
    return render_page(
        _outcome(state_language(state), LINK_PAGE["db_title"], LINK_PAGE["db_down"], 503)
    )
