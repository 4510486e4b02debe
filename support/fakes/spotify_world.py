"""Wiring for Spotify tests: the fake Spotify, settings pointing at it, linker, sync, worker."""

from __future__ import annotations

import contextlib
import html
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlparse

import aiohttp
from aiohttp.test_utils import TestClient, TestServer

from bot.app import build_linker, spotify_app
from bot.settings import Settings, load_settings
from bot.web import build_web_app
from db.pool import Database
from db.users import find_user
from handlers.accounts import AccountHandler
from handlers.edge.worker import Worker
from handlers.library_moods import MoodPlacer
from handlers.notifier import LogNotifier
from handlers.replies import ChatContext
from handlers.secrets import TokenCipher
from handlers.spotify.linking import LIBRARY_SYNC
from handlers.spotify.sync import LibrarySync
from handlers.spotify.tracks import TrackStore
from recsys.embedder import Embedder
from recsys.enrichment import TrackEnricher
from support.fakes.fake_spotify import CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, FakeSpotify, Library

SECRET_KEY = "test-secret-key-0123456789abcdef"
CONFIRM_BUTTON = "Link my Spotify to this account"


def confirm_fields(page: str) -> dict[str, str]:
    """The hidden fields of the confirm page's form."""
    found = re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', page)
    return {name: html.unescape(value) for name, value in found}


def spotify_settings(base_url: str, **extra: Any) -> Settings:
    """Settings pointing every Spotify URL at the fake."""
    values: dict[str, Any] = {
        "SPOTIFY_CLIENT_ID": CLIENT_ID,
        "SPOTIFY_CLIENT_SECRET": CLIENT_SECRET,
        "SPOTIFY_REDIRECT_URI": REDIRECT_URI,
        "MELODICLENS_SPOTIFY_ACCOUNTS_URL": base_url,
        "MELODICLENS_SPOTIFY_API_URL": f"{base_url}/v1",
        "MELODICLENS_SECRET_KEY": SECRET_KEY,
    }
    values.update(extra)
    return load_settings(None, **{k: v for k, v in values.items() if v is not None})


@dataclass
class World:
    """Everything a Spotify test touches."""

    fake: FakeSpotify
    settings: Settings
    db: Database
    accounts: AccountHandler
    notifier: LogNotifier
    sync: LibrarySync
    web: TestClient
    embedder: Embedder

    def worker(self, worker_id: str = "test-worker", **kwargs: Any) -> Worker:
        """A job runner for library syncs."""
        return Worker(self.db, {LIBRARY_SYNC: self.sync}, worker_id=worker_id, **kwargs)

    async def link(self, ctx: ChatContext) -> tuple[int, str]:
        """Run /link, follow Spotify's redirect to our callback; (HTTP status, page text)."""
        return await self.callback(await self.consent(ctx))

    async def linked(self, ctx: ChatContext) -> int:
        """Link this listener's Spotify (the callback must answer 200); their user id."""
        status, page = await self.link(ctx)
        assert status == 200, page
        return await self.user_id(ctx)

    async def user_id(self, ctx: ChatContext) -> int:
        """This listener's user id (they must have one)."""
        found = await find_user(self.db.pool, ctx.platform, ctx.user_id)
        assert found is not None
        return found

    async def consent(self, ctx: ChatContext) -> dict[str, str]:
        """Run /link and consent at Spotify; the query parameters Spotify sends the callback."""
        reply = await self.accounts.link_spotify(ctx)
        assert reply.kind == "link" and reply.url, reply.text
        return await self.authorize(reply.url)

    async def authorize(self, url: str) -> dict[str, str]:
        """Open the authorize URL like a browser; the callback's query parameters."""
        async with (
            aiohttp.ClientSession() as session,
            session.get(url, allow_redirects=False) as answer,
        ):
            assert answer.status == 302, await answer.text()
            location = answer.headers["Location"]
        assert location.startswith(REDIRECT_URI)
        return {k: v[0] for k, v in parse_qs(urlparse(location).query).items()}

    async def callback(self, params: dict[str, str]) -> tuple[int, str]:
        """Land on /spotify/callback with these parameters and, when it asks, press Confirm."""
        status, page = await self.review(params)
        if status != 200 or CONFIRM_BUTTON not in page:
            return status, page
        return await self.confirm(confirm_fields(page))

    async def review(self, params: dict[str, str]) -> tuple[int, str]:
        """GET our /spotify/callback (the confirm page, or why not)."""
        answer = await self.web.get("/spotify/callback", params=params)
        return answer.status, await answer.text()

    async def confirm(
        self, fields: dict[str, str], headers: dict[str, str] | None = None
    ) -> tuple[int, str]:
        """POST the confirm form (the browser sends the page's cookie along)."""
        answer = await self.web.post("/spotify/callback", data=fields, headers=headers)
        return answer.status, await answer.text()

    async def close(self) -> None:
        """Stop the servers."""
        await self.web.close()
        await self.fake.stop()


async def make_world(db: Database, embedder: Embedder, fake: FakeSpotify) -> World:
    """Start the fake and our web app, wired together."""
    base = await fake.start()
    settings = spotify_settings(base)
    notifier = LogNotifier()
    accounts = AccountHandler(db, build_linker(settings, db, notifier))
    app = spotify_app(settings)
    tracks = TrackStore(db, TrackEnricher(embedder))
    moods = MoodPlacer(db, embedder=embedder)
    sync = LibrarySync(db, app, TokenCipher(settings.secret_keys), tracks, notifier, moods)
    web = TestClient(TestServer(build_web_app(db, accounts.linker)))
    await web.start_server()
    return World(fake, settings, db, accounts, notifier, sync, web, embedder)


@contextlib.asynccontextmanager
async def listener_world(
    db: Database, embedder: Embedder, library: Library, user: str = "robin"
) -> AsyncIterator[World]:
    """A world whose fake Spotify has one listener (`user`) with this library; closed on exit."""
    fake = FakeSpotify()
    fake.add_user(user, library)
    world = await make_world(db, embedder, fake)
    try:
        yield world
    finally:
        await world.close()
