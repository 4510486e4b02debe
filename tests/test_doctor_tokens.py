"""`melodiclens doctor`'s token and port checks, each against a local fake speaking the real
protocol, with good and bad tokens; no secret ever reaches the report."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import pytest

from bot.cli.doctor_tokens import (
    Check,
    check_discord,
    check_genius,
    check_spotify,
    check_telegram,
    check_web_port,
    token_checks,
)
from bot.settings import load_settings
from handlers.edge.spotify import SpotifyApp
from support.bot_process import free_port
from support.fakes import fake_genius
from support.fakes.discord_api import FakeDiscord
from support.fakes.discord_payloads import TOKEN as DISCORD_TOKEN
from support.fakes.fake_genius import FakeGenius
from support.fakes.fake_ollama import closed_port_url
from support.fakes.fake_spotify import CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, FakeSpotify
from support.fakes.fake_telegram import TOKEN as TELEGRAM_TOKEN
from support.fakes.fake_telegram import FakeTelegram

WRONG = "999999:WRONG-token-that-must-never-be-printed"


def report(checks: list[Check]) -> str:
    return "\n".join(f"{c.name} {c.ok} {c.detail} {c.fix}" for c in checks)


@pytest.fixture
async def discord_api(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord().serving(monkeypatch) as fake:
        yield fake


@pytest.fixture
async def genius() -> AsyncIterator[FakeGenius]:
    async with FakeGenius() as server:
        yield server


async def test_telegram_token_that_works_and_one_that_does_not(fake_telegram: FakeTelegram) -> None:
    good = await check_telegram(TELEGRAM_TOKEN, fake_telegram.url)
    assert good.ok and "@MelodicLensBot" in good.detail and "privacy mode on" in good.detail
    assert [call.method for call in fake_telegram.calls] == ["getMe"]
    bad = await check_telegram(WRONG, fake_telegram.url)
    assert not bad.ok and "refused the token" in bad.detail and "BotFather" in bad.fix
    assert WRONG not in report([good, bad])


async def test_telegram_unreachable_says_where(fake_telegram: FakeTelegram) -> None:
    down = closed_port_url()
    check = await check_telegram(TELEGRAM_TOKEN, down)
    assert not check.ok and f"cannot reach the Bot API at {down}" in check.detail
    assert TELEGRAM_TOKEN not in report([check])


async def test_discord_token_and_message_content_intent(discord_api: FakeDiscord) -> None:
    token, intent = await check_discord(DISCORD_TOKEN)
    assert token.ok and token.detail == "works: MelodicLens"
    assert intent.ok and "intent granted" in intent.detail
    assert discord_api.find("GET", "/users/@me") and discord_api.find("GET", "/applications/@me")


async def test_discord_without_the_intent_says_what_is_answered(
    discord_api: FakeDiscord,
) -> None:
    discord_api.message_content_allowed = False
    _, intent = await check_discord(DISCORD_TOKEN)
    assert intent.ok  # optional: the bot works without it
    assert "not granted" in intent.detail and "Message Content" in intent.fix


async def test_discord_bad_token(discord_api: FakeDiscord) -> None:
    checks = await check_discord(WRONG)
    assert len(checks) == 1 and not checks[0].ok
    assert "refused the token" in checks[0].detail and "Reset Token" in checks[0].fix
    assert WRONG not in report(checks)


def spotify_app(server: FakeSpotify, secret: str) -> SpotifyApp:
    return SpotifyApp(CLIENT_ID, secret, REDIRECT_URI, server.url, server.url + "/v1")


async def test_spotify_client_credentials(fake_spotify: FakeSpotify) -> None:
    good = await check_spotify(spotify_app(fake_spotify, CLIENT_SECRET))
    assert good.ok and good.detail == "client credentials accepted"
    bad = await check_spotify(spotify_app(fake_spotify, "not-the-secret-at-all"))
    assert not bad.ok and "SPOTIFY_CLIENT_SECRET" in bad.detail
    assert "not-the-secret-at-all" not in report([bad])
    assert CLIENT_SECRET not in report([good, bad])


async def test_genius_token(genius: FakeGenius) -> None:
    good = await check_genius(fake_genius.TOKEN, genius.url)
    assert good.ok
    bad = await check_genius(WRONG, genius.url)
    assert not bad.ok and bad.detail == "Genius refused the token (401)"
    assert "GENIUS_TOKEN" in bad.fix and WRONG not in report([bad])
    assert sum(path.startswith("/search?") for path in genius.requests) == 2


def test_web_port_free_and_taken() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        taken = check_web_port("127.0.0.1", port)
        assert not taken.ok and "another program is using it" in taken.detail
        assert "MELODICLENS_HTTP_PORT" in taken.fix
    free = check_web_port("127.0.0.1", port)
    assert free.ok and free.detail == f"127.0.0.1:{port} is free"
    elsewhere = check_web_port("192.0.2.1", port)  # TEST-NET-1: never this machine's
    assert not elsewhere.ok and "MELODICLENS_HTTP_HOST" in elsewhere.fix


async def test_every_configured_token_is_checked_and_none_is_printed(
    fake_telegram: FakeTelegram, discord_api: FakeDiscord, fake_spotify: FakeSpotify
) -> None:
    settings = load_settings(
        None,
        TELEGRAM_TOKEN=WRONG,
        MELODICLENS_TELEGRAM_API_URL=fake_telegram.url,
        DISCORD_TOKEN=DISCORD_TOKEN,
        SPOTIFY_CLIENT_ID=CLIENT_ID,
        SPOTIFY_CLIENT_SECRET="a-wrong-spotify-secret",
        MELODICLENS_SPOTIFY_ACCOUNTS_URL=fake_spotify.url,
        MELODICLENS_HTTP_PORT=free_port(),
    )
    checks = await token_checks(settings)
    assert [(c.name, c.ok) for c in checks] == [
        ("telegram token", False),
        ("discord token", True),
        ("discord message content", True),
        ("spotify app", False),
        ("web port", True),
    ]
    text = report(checks)
    assert WRONG not in text and "a-wrong-spotify-secret" not in text
    assert DISCORD_TOKEN not in text
