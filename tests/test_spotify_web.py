"""The web server: health check and the Spotify callback page when linking is not set up."""

from __future__ import annotations

import logging

import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.web import build_web_app
from db.pool import Database
from tests.test_faults_database import unreachable_pool


async def test_healthz_reports_a_reachable_database(db: Database) -> None:
    async with TestClient(TestServer(build_web_app(db))) as client:
        answer = await client.get("/healthz")
        assert answer.status == 200
        assert await answer.json() == {"status": "ok", "database": "up"}


async def test_healthz_fails_when_the_database_is_gone(db: Database) -> None:
    pool = await asyncpg.create_pool(db.url, min_size=1, max_size=1)
    await pool.close()
    gone = Database(db.url, pool, pool)
    async with TestClient(TestServer(build_web_app(gone))) as client:
        answer = await client.get("/healthz")
        assert answer.status == 503 and (await answer.json())["database"] == "down"


async def test_callback_without_spotify_setup_says_so(db: Database) -> None:
    async with TestClient(TestServer(build_web_app(db))) as client:
        answer = await client.get("/spotify/callback", params={"code": "x", "state": "y"})
        assert answer.status == 503
        assert "not set up" in await answer.text()


async def test_other_routes_can_be_added(db: Database) -> None:
    from aiohttp import web

    app = build_web_app(db)

    async def hook(request: web.Request) -> web.Response:
        return web.Response(text="hooked")

    app.router.add_post("/telegram/webhook", hook)
    async with TestClient(TestServer(app)) as client:
        assert await (await client.post("/telegram/webhook")).text() == "hooked"


async def test_callback_answers_a_friendly_page_when_the_database_is_gone(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    from bot.app import spotify_app
    from handlers.notifier import LogNotifier
    from handlers.secrets import TokenCipher
    from handlers.spotify.linking import SpotifyLinker
    from support.fakes.spotify_world import SECRET_KEY, spotify_settings

    pool = await unreachable_pool()  # every use raises DatabaseUnavailable
    gone = Database(db.url, pool, pool)
    app = spotify_app(spotify_settings("http://127.0.0.1:9"))
    linker = SpotifyLinker(gone, app, TokenCipher([SECRET_KEY]), LogNotifier())
    async with TestClient(TestServer(build_web_app(gone, linker))) as client:
        with caplog.at_level(logging.ERROR):
            landing = await client.get("/spotify/callback", params={"code": "c", "state": "s"})
            page = await landing.text()
            assert landing.status == 503 and "cannot reach its database" in page
            client.session.cookie_jar.update_cookies({"melodiclens_link": "token"})
            form = {"state": "s", "code": "c", "csrf": "token"}
            confirm = await client.post("/spotify/callback", data=form)
            assert confirm.status == 503 and "cannot reach its database" in await confirm.text()
        assert "Traceback" not in page
        assert "database unavailable" in caplog.text and "DatabaseUnavailable" in caplog.text
