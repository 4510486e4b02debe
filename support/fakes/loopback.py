"""Serving a fake's aiohttp app on a free loopback port: the one start and stop every fake uses."""

from __future__ import annotations

import socket
from typing import Self

from aiohttp import web

# aiohttp's own default: how long stopping waits for requests still being answered.
DEFAULT_SHUTDOWN_S = 60.0


class LoopbackServer:
    """An aiohttp app on 127.0.0.1 (or another loopback `host`) at a port the system picks (a
    fake's base class, or held by a fake that builds its app when it starts). No access log: its
    lines would carry the tokens in request paths, and tests prove the bot never logs those."""

    def __init__(
        self,
        app: web.Application,
        shutdown_timeout: float = DEFAULT_SHUTDOWN_S,
        host: str = "127.0.0.1",
    ) -> None:
        self.app = app
        self.host = host
        self.url = ""
        self._runner = web.AppRunner(app, shutdown_timeout=shutdown_timeout, access_log=None)

    async def start(self, sock: socket.socket | None = None) -> str:
        """Listen (on `sock` when given: a bound loopback socket whose URL had to be known
        first); returns the server's root URL (also kept in `url`)."""
        await self._runner.setup()
        site: web.BaseSite
        if sock is None:
            site = web.TCPSite(self._runner, self.host, 0)
        else:
            site = web.SockSite(self._runner, sock)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://{self.host}:{port}"
        return self.url

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def stop(self) -> None:
        """Stop listening (a server never started stops at once)."""
        await self._runner.cleanup()
