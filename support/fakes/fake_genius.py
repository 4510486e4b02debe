"""A local Genius: the public search API lyricsgenius calls and song pages with lyrics markup."""

from __future__ import annotations

import asyncio
import html
import re

from aiohttp import web

from support.fakes.loopback import LoopbackServer


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


# The API client's access token this fake accepts on the authenticated API (api.genius.com).
TOKEN = "fake-genius-token"


# Lyrics of two fictional songs, by (title, artist): one heartbroken, one a party.
HEARTBREAK = (
    "Tears fall on the empty pillow tonight\nYou left and the rain will not stop\n"
    "I cry alone in the dark, my heart is broken\nNothing but sorrow and grief remain"
)
PARTY = (
    "Turn the music up, everybody dance tonight\nThe club is jumping, hands up in the air\n"
    "Party till the sunrise, drinks and lights and bass\nWe dance dance dance all night long"
)
FICTIONAL_SONGS = {
    ("Empty Pillow", "Rain Person"): HEARTBREAK,
    ("Jump All Night", "Club Crew"): PARTY,
}


class FakeGenius(LoopbackServer):
    """Songs by (title, artist) -> lyrics; counts every request."""

    def __init__(self) -> None:
        self.token = TOKEN
        self.songs: dict[tuple[str, str], str] = {}
        self.requests: list[str] = []
        self.down = False
        # Faults for every API search: an HTTP status (e.g. 429), a raw body, a delay.
        self.fail_status: int | None = None
        self.garbage: bytes | None = None
        self.delay_s = 0.0
        super().__init__(web.Application())
        self.app.router.add_get("/api/search/multi", self.search_multi)
        self.app.router.add_get("/api/search", self.search)
        # The authenticated API's root is this server's root, as api.genius.com's is.
        self.app.router.add_get("/search", self.api_search)
        self.app.router.add_get("/{slug}", self.page)

    def _hits(self, query: str) -> list[dict]:
        hits = []
        for n, (title, artist) in enumerate(self.songs):
            if title.lower() in query.lower():
                result = {
                    "id": n + 1,
                    "title": title,
                    "primary_artist": {"name": artist},
                    "url": f"https://genius.com/{_slug(artist)}-{_slug(title)}-lyrics",
                    "lyrics_state": "complete",
                    "instrumental": False,
                }
                hits.append({"index": "song", "type": "song", "result": result})
        return hits

    async def _fault(self) -> web.Response | None:
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        if self.fail_status is not None:
            headers = {"Retry-After": "3600"} if self.fail_status == 429 else None
            meta = {"meta": {"status": self.fail_status}}
            return web.json_response(meta, status=self.fail_status, headers=headers)
        if self.garbage is not None:
            return web.Response(body=self.garbage, content_type="application/json")
        return None

    async def search_multi(self, request: web.Request) -> web.Response:
        self.requests.append(request.path_qs)
        if self.down:
            return web.json_response({"meta": {"status": 503}}, status=503)
        if (fault := await self._fault()) is not None:
            return fault
        hits = self._hits(request.query.get("q", ""))
        sections = [{"type": "top_hit", "hits": hits[:1]}, {"type": "song", "hits": hits}]
        return web.json_response({"meta": {"status": 200}, "response": {"sections": sections}})

    async def search(self, request: web.Request) -> web.Response:
        self.requests.append(request.path_qs)
        if (fault := await self._fault()) is not None:
            return fault
        hits = self._hits(request.query.get("q", ""))
        return web.json_response({"meta": {"status": 200}, "response": {"hits": hits}})

    async def api_search(self, request: web.Request) -> web.Response:
        """GET /search on the authenticated API: 401 without the right Bearer token."""
        self.requests.append(request.path_qs)
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return web.json_response(
                {
                    "error": "invalid_token",
                    "error_description": "The access token provided is expired, revoked, "
                    "malformed or invalid for other reasons.",
                },
                status=401,
            )
        hits = self._hits(request.query.get("q", ""))
        return web.json_response({"meta": {"status": 200}, "response": {"hits": hits}})

    async def page(self, request: web.Request) -> web.Response:
        self.requests.append(request.path_qs)
        for (title, artist), lyrics in self.songs.items():
            if request.match_info["slug"] == f"{_slug(artist)}-{_slug(title)}-lyrics":
                body = "<br/>".join(html.escape(line) for line in lyrics.splitlines())
                text = f'<html><body><div data-lyrics-container="true">{body}</div></body></html>'
                return web.Response(text=text, content_type="text/html")
        return web.Response(status=404, text="<html><body>Page not found</body></html>")
