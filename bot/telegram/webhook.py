"""Telegram webhook mode: a route on our aiohttp app that feeds updates to the adapter."""

from __future__ import annotations

import hmac
import logging
from json import JSONDecodeError
from urllib.parse import urlsplit

from aiohttp import web

from bot.settings import Settings
from bot.telegram.adapter import TelegramAdapter

log = logging.getLogger(__name__)

# Telegram repeats this header on every delivery when setWebhook was given a secret_token.
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Used when MELODICLENS_TELEGRAM_WEBHOOK_URL has no path of its own.
DEFAULT_PATH = "/telegram/webhook"

ADAPTER_KEY = web.AppKey("telegram_adapter", TelegramAdapter)


def webhook_path(settings: Settings) -> str:
    """The local path the webhook URL points at (a reverse proxy must keep it)."""
    return urlsplit(settings.telegram_webhook_url).path or DEFAULT_PATH


def add_webhook_route(app: web.Application, adapter: TelegramAdapter) -> None:
    """Serve the adapter's webhook on the aiohttp app; call before the app starts."""
    app[ADAPTER_KEY] = adapter
    app.router.add_post(webhook_path(adapter.settings), receive_update)


async def receive_update(request: web.Request) -> web.Response:
    """One update from Telegram: check the secret, store it (in the inbox), then answer 200."""
    adapter = request.app[ADAPTER_KEY]
    secret = adapter.settings.telegram_webhook_secret
    given = request.headers.get(SECRET_HEADER, "")
    if secret is None or not hmac.compare_digest(
        given.encode(), secret.get_secret_value().encode()
    ):
        log.warning("refused a webhook call without the right secret from %s", request.remote)
        return web.Response(status=403, text="forbidden")
    try:
        data = await request.json()
    except (JSONDecodeError, UnicodeDecodeError):
        return web.Response(status=400, text="not JSON")
    if not isinstance(data, dict) or "update_id" not in data:
        return web.Response(status=400, text="not an update")
    if not await adapter.feed(data):
        # Stopping, or the update could not be stored in the inbox (database down): Telegram
        # retries a non-2xx delivery later, so nothing is lost.
        return web.Response(status=503, text="not accepted now; deliver again later")
    # Only now, with the update stored, does Telegram learn that it arrived.
    return web.Response(text="ok")
