"""`doctor`'s live checks: does each configured token work, and is the web port free?

Each check asks the real service through its own client library (python-telegram-bot,
discord.py, spotipy, lyricsgenius) and never prints a token: any error text is scrubbed first.
"""

from __future__ import annotations

import asyncio
import errno
import re
import socket
from typing import TYPE_CHECKING

from bot.cli.checks import Check

if TYPE_CHECKING:  # each client library loads only when its token is set and checked
    from bot.settings import Settings
    from handlers.edge.spotify import SpotifyApp

# A service that has not answered within this is unreachable from here, as far as `doctor` cares.
TOKEN_CHECK_TIMEOUT_S = 10.0
# Any word will do: the check is whether Genius accepts the token, not what it finds.
GENIUS_PROBE_QUERY = "rain"


def scrub(text: str, *secrets: str | None) -> str:
    """The text with every secret replaced, so no error message can leak one."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


async def token_checks(settings: Settings) -> list[Check]:
    """A check for each configured service's token, then the web port."""
    checks = []
    if settings.telegram_token is not None:
        token = settings.telegram_token.get_secret_value()
        checks.append(await check_telegram(token, settings.telegram_api_url))
    if settings.discord_token is not None:
        checks += await check_discord(settings.discord_token.get_secret_value())
    if settings.spotify_client_id:
        from bot.app import spotify_app

        checks.append(await check_spotify(spotify_app(settings)))
    if settings.genius_token is not None:
        checks.append(await check_genius(settings.genius_token.get_secret_value()))
    checks.append(check_web_port(settings.http_host, settings.http_port))
    return checks


async def check_telegram(token: str, api_url: str) -> Check:
    """getMe with the token: the bot's name when it works."""
    import telegram
    import telegram.error

    root = api_url.rstrip("/")
    try:
        bot = telegram.Bot(token, base_url=f"{root}/bot", base_file_url=f"{root}/file/bot")
        async with asyncio.timeout(TOKEN_CHECK_TIMEOUT_S), bot:  # initialize() asks getMe
            me = bot.bot
    except telegram.error.InvalidToken:
        return Check(
            "telegram token",
            False,
            "Telegram refused the token (getMe: unauthorized)",
            "get the token from @BotFather (/mybots -> API Token) and set TELEGRAM_TOKEN",
        )
    except (telegram.error.TelegramError, TimeoutError, OSError) as err:
        reason = scrub(str(err) or type(err).__name__, token)
        return Check(
            "telegram token",
            False,
            f"cannot reach the Bot API at {api_url}: {reason}",
            "check the network, or MELODICLENS_TELEGRAM_API_URL",
        )
    privacy = "reads all group messages" if me.can_read_all_group_messages else "privacy mode on"
    return Check("telegram token", True, f"works: @{me.username} ({privacy})")


async def check_discord(token: str) -> list[Check]:
    """GET /users/@me with the token, then the application's flags for the Message Content
    intent (without it the bot answers only mentions, DMs and /vibe)."""
    import aiohttp
    import discord

    client = discord.Client(intents=discord.Intents.none())
    try:
        async with asyncio.timeout(TOKEN_CHECK_TIMEOUT_S):
            await client.login(token)
        user, flags = client.user, client.application_flags
    except discord.LoginFailure:
        return [
            Check(
                "discord token",
                False,
                "Discord refused the token (401 on /users/@me)",
                "Developer Portal -> your app -> Bot -> Reset Token; set DISCORD_TOKEN",
            )
        ]
    except (discord.HTTPException, aiohttp.ClientError, TimeoutError, OSError) as err:
        reason = scrub(str(err) or type(err).__name__, token)
        return [
            Check("discord token", False, f"cannot reach Discord: {reason}", "check the network")
        ]
    finally:
        await client.close()
    granted = flags.gateway_message_content or flags.gateway_message_content_limited
    intent = (
        Check("discord message content", True, "intent granted: every photo in a channel counts")
        if granted
        else Check(
            "discord message content",
            True,
            "intent not granted: only photos that mention the bot, DMs and /vibe are answered",
            "optional: Developer Portal -> Bot -> Privileged Gateway Intents -> Message Content",
        )
    )
    return [Check("discord token", True, f"works: {user}"), intent]


async def check_spotify(app: SpotifyApp) -> Check:
    """A client-credentials token request with SPOTIFY_CLIENT_ID and SPOTIFY_CLIENT_SECRET."""
    from handlers.edge.spotify import SpotifyAuthFailed, SpotifyError

    try:
        await asyncio.wait_for(asyncio.to_thread(app.app_token), TOKEN_CHECK_TIMEOUT_S)
    except SpotifyAuthFailed as err:
        return Check(
            "spotify app",
            False,
            str(err),
            "copy Client ID and Client secret from the Spotify dashboard into .env",
        )
    except (SpotifyError, TimeoutError) as err:
        reason = str(err) or type(err).__name__
        return Check("spotify app", False, f"cannot reach Spotify: {reason}", "check the network")
    return Check("spotify app", True, "client credentials accepted")


async def check_genius(token: str, api_root: str | None = None) -> Check:
    """One authenticated search with GENIUS_TOKEN (optional: lyrics themes only)."""
    import requests

    from handlers.edge.genius import make_genius

    genius = make_genius(token, api_root)
    genius.sleep_time = 0  # one request: no need to be polite to ourselves
    genius.retries = 0
    try:
        await asyncio.wait_for(
            asyncio.to_thread(genius.search_songs, GENIUS_PROBE_QUERY, per_page=1),
            TOKEN_CHECK_TIMEOUT_S,
        )
    except AssertionError as err:  # lyricsgenius's way of saying "not 200"
        status = re.search(r"status code: (\d+)", str(err))
        if status and status.group(1) in ("401", "403"):
            return Check(
                "genius token",
                False,
                f"Genius refused the token ({status.group(1)})",
                "genius.com/api-clients -> Generate Access Token; set GENIUS_TOKEN (or unset it)",
                optional=True,
            )
        code = status.group(1) if status else "an unexpected answer"
        return Check(
            "genius token", False, f"Genius answered {code}", "try again later", optional=True
        )
    except (requests.RequestException, TimeoutError, RuntimeError) as err:
        reason = scrub(type(err).__name__, token)
        return Check(
            "genius token",
            False,
            f"cannot reach Genius: {reason}",
            "check the network",
            optional=True,
        )
    return Check("genius token", True, "works")


def check_web_port(host: str, port: int) -> Check:
    """Can the web server (health check, metrics, Spotify callback) listen where it is told?"""
    where = f"{host}:{port}"
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # As aiohttp does: a port left in TIME_WAIT by a stopped bot is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as err:
            return Check("web port", False, f"cannot listen on {where}: {_bind_reason(err)}",
                         _bind_fix(err))  # fmt: skip
    return Check("web port", True, f"{where} is free")


def _bind_reason(err: OSError) -> str:
    if err.errno == errno.EADDRINUSE:
        return "another program is using it (a running `melodiclens run` is fine)"
    if err.errno == errno.EADDRNOTAVAIL:
        return "that address is not on this machine"
    if err.errno == errno.EACCES:
        return "ports below 1024 need extra rights"
    return err.strerror or type(err).__name__


def _bind_fix(err: OSError) -> str:
    if err.errno == errno.EADDRNOTAVAIL:
        return "set MELODICLENS_HTTP_HOST to an address of this machine (or 0.0.0.0)"
    return "set MELODICLENS_HTTP_PORT to a free port (and SPOTIFY_REDIRECT_URI to match)"
