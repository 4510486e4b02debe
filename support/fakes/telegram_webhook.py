"""The Telegram adapter started in webhook mode against the fake Bot API, its webhook route
served on a loopback port, for tests."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import AsyncIterator

from aiohttp import web

from bot.telegram.adapter import TelegramAdapter
from bot.telegram.webhook import add_webhook_route
from handlers.inbox import DurableInbox
from handlers.service import BotService
from support.fakes.fake_telegram import FakeTelegram, settings_for
from support.fakes.loopback import LoopbackServer

WEBHOOK_PATH = "/hooks/telegram"


@contextlib.asynccontextmanager
async def webhook_bot(
    fake: FakeTelegram, service: BotService, secret: str, inbox: DurableInbox | None = None
) -> AsyncIterator[tuple[TelegramAdapter, str]]:
    """The adapter (with this secret and inbox) and its webhook URL; stopped on exit."""
    # The URL must be known before the adapter exists, so bind the socket first.
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}{WEBHOOK_PATH}"
    settings = settings_for(
        fake, MELODICLENS_TELEGRAM_WEBHOOK_URL=url, MELODICLENS_TELEGRAM_WEBHOOK_SECRET=secret
    )
    adapter = TelegramAdapter(settings, service, inbox)
    app = web.Application()
    add_webhook_route(app, adapter)
    server = LoopbackServer(app)
    await server.start(sock)
    try:
        await adapter.start()
        try:
            yield adapter, url
        finally:
            await adapter.stop()
    finally:
        await server.stop()
