"""A local fake of Discord (REST API v10, gateway websocket, CDN) that real discord.py talks to.

Point discord.py at it with `FakeDiscord.patch(monkeypatch)` (Route.BASE and the default
gateway URL are the library's only knobs for this). The gateway speaks plain JSON text frames:
HELLO, IDENTIFY (closing with 4014 when the Message Content intent is asked for but not
allowed, as Discord does), READY, GUILD_CREATE, then whatever the test dispatches.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import itertools
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import discord
import discord.gateway
import discord.http
import yarl
from aiohttp import WSMsgType, web

from support.fakes.discord_payloads import (
    APP_ID,
    BOT_ID,
    BOT_USER,
    CHANNEL_ID,
    DM_CHANNEL_ID,
    FLAG_MESSAGE_CONTENT_LIMITED,
    GUILD_ID,
    LISTENER,
    MESSAGE_CONTENT_BIT,
    TOKEN,
    app_info,
    bot_message,
    guild,
    member,
    text_channel,
    user_message,
)


@dataclass
class Request:
    """One REST call as the fake received it."""

    method: str
    path: str
    json: Any
    at: float


@dataclass
class FakeDiscord:
    """The fake server; `requests` records every REST call, newest last."""

    message_content_allowed: bool = True
    # What the application flags claim about the intent; None: the truth. (Discord's flags can
    # lag behind the portal switch, so the gateway's 4014 is the final word.)
    portal_flag: bool | None = None
    # Channels where posting answers 403 Missing Permissions.
    refused_channels: set[int] = field(default_factory=set)
    # Replies (messages with a message_reference) answer 403, as without Read Message History.
    refuse_replies: bool = False
    requests: list[Request] = field(default_factory=list)
    # The member's client language (an interaction's `locale`) and the server's preferred
    # locale (`guild_locale`, and the guild's `preferred_locale` at READY).
    locale: str = "en-US"
    guild_locale: str = "en-US"
    # The global commands as last published (PUT), with the ids Discord gave them.
    published: list[dict[str, Any]] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)
    identifies: list[dict[str, Any]] = field(default_factory=list)
    downloads: list[str] = field(default_factory=list)
    # Users' messages as posted (GET /channels/{c}/messages/{m} reads them again).
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Signatures of CDN links that no longer work (Discord's signed links expire).
    expired: set[str] = field(default_factory=set)
    # The file each signature was issued for.
    _signed_for: dict[str, str] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1_000_000))
    _sockets: list[web.WebSocketResponse] = field(default_factory=list)
    _seq: int = 0
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def start(self) -> None:
        """Listen on a random loopback port."""
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/cdn/{name}", self._cdn)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._api)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base = f"http://127.0.0.1:{port}"

    async def close(self) -> None:
        """Drop every socket and stop listening."""
        for socket in list(self._sockets):
            await socket.close()
        await self._runner.cleanup()

    def patch(self, monkeypatch: Any) -> None:
        """Send discord.py's REST calls and gateway connection here."""
        monkeypatch.setattr(discord.http.Route, "BASE", f"{self.base}/api/v10")
        gateway = yarl.URL(f"{self.base.replace('http', 'ws')}/gateway")
        monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", gateway)

    # --- what tests push -------------------------------------------------------------------

    def next_id(self) -> str:
        """A fresh snowflake."""
        return str(next(self._ids))

    def attachment(self, name: str, data: bytes, content_type: str | None) -> dict[str, Any]:
        """An attachment payload whose URL this fake serves."""
        self.files[name] = data
        url = self._signed(name)
        payload: dict[str, Any] = {
            "id": self.next_id(),
            "filename": name,
            "size": len(data),
            "url": url,
            "proxy_url": url,
        }
        if content_type is not None:
            payload["content_type"] = content_type
        return payload

    def _signed(self, name: str) -> str:
        """A CDN link with a signature of its own, as Discord's `?ex=...&hm=...` links."""
        signature = f"sig{self.next_id()}"
        self._signed_for[signature] = name
        return f"{self.base}/cdn/{name}?hm={signature}"

    def expire_links(self, *names: str) -> None:
        """The CDN links handed out so far (for these files, or all) stop working; a message
        read again through the API carries fresh ones."""
        self.expired.update(
            signature for signature, name in self._signed_for.items() if not names or name in names
        )

    def snowflake(self, age_s: float = 0.0) -> str:
        """A snowflake whose timestamp lies `age_s` seconds in the past (discord.py reads an
        interaction's creation time from its id)."""
        when = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=age_s)
        return str(discord.utils.time_snowflake(when) + next(self._ids) % 4096)

    async def post_message(
        self,
        content: str = "",
        attachments: list[dict[str, Any]] | None = None,
        *,
        dm: bool = False,
        mention_bot: bool = False,
        author: dict[str, Any] | None = None,
        deliver: bool = True,
    ) -> str:
        """A user's message, as Discord delivers it (stripped when the intent is off); with
        `deliver` False it is only kept (posted while no bot was connected)."""
        message_id = self.next_id()
        mentions = [BOT_USER] if mention_bot else []
        if mention_bot:
            content = f"<@{BOT_ID}> {content}".strip()
        readable = dm or mention_bot or self._content_intent()
        payload = user_message(
            message_id,
            str(DM_CHANNEL_ID if dm else CHANNEL_ID),
            author or LISTENER,
            content if readable else "",
            (attachments or []) if readable else [],
            mentions,
        )
        if not dm:
            payload["guild_id"] = str(GUILD_ID)
            payload["member"] = member(None)
        self.messages[message_id] = payload
        if deliver:
            await self.dispatch("MESSAGE_CREATE", payload)
        return message_id

    async def slash(
        self,
        name: str,
        options: list[dict[str, Any]] | None = None,
        resolved: dict[str, Any] | None = None,
        *,
        permissions: str = member(None)["permissions"],
        age_s: float = 0.0,
    ) -> str:
        """A slash command typed in the guild channel by a member with these permissions
        (a bitfield string), `age_s` seconds ago; returns the interaction token."""
        data: dict[str, Any] = {"id": self.command_id(name), "name": name, "type": 1}
        if options:
            data["options"] = options
        if resolved:
            data["resolved"] = resolved
        return await self._interaction(2, data, None, permissions, age_s)

    async def message_command(
        self, name: str, target: dict[str, Any], *, age_s: float = 0.0
    ) -> str:
        """A message context-menu command (right-click -> Apps -> name) on `target`, a message
        payload, `age_s` seconds ago; returns the interaction token."""
        data = {
            "id": self.command_id(name),
            "name": name,
            "type": 3,
            "target_id": target["id"],
            "resolved": {"messages": {target["id"]: target}},
        }
        return await self._interaction(2, data, None, age_s=age_s)

    def command_id(self, name: str) -> str:
        """The id Discord gave the published command of this name (a fresh one if none)."""
        ids = [c["id"] for c in self.published if c["name"] == name]
        return ids[0] if ids else self.next_id()

    async def press(self, custom_id: str, message: dict[str, Any]) -> str:
        """A button pressed on a message the bot sent; returns the interaction token."""
        data = {"custom_id": custom_id, "component_type": 2}
        return await self._interaction(3, data, message)

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a DISPATCH to every connected client."""
        self._seq += 1
        frame = json.dumps({"op": 0, "t": event, "s": self._seq, "d": data})
        for socket in self._sockets:
            await socket.send_str(frame)

    async def wait_for(
        self, method: str, path_part: str, count: int = 1, within_s: float = 5.0
    ) -> list[Request]:
        """The first `count` requests matching, waiting for them to arrive."""
        async with asyncio.timeout(within_s):
            while True:
                found = self.find(method, path_part)
                if len(found) >= count:
                    return found
                self._arrived.clear()
                await self._arrived.wait()

    def find(self, method: str, path_part: str) -> list[Request]:
        """Requests so far with this method whose path contains `path_part`."""
        return [r for r in self.requests if r.method == method and path_part in r.path]

    # --- the protocol ----------------------------------------------------------------------

    def _content_intent(self) -> bool:
        return any(d.get("intents", 0) & MESSAGE_CONTENT_BIT for d in self.identifies[-1:])

    async def _interaction(
        self,
        kind: int,
        data: dict[str, Any],
        message: dict[str, Any] | None,
        permissions: str = member(None)["permissions"],
        age_s: float = 0.0,
    ) -> str:
        token = f"itoken-{self.next_id()}"
        payload: dict[str, Any] = {
            "id": self.snowflake(age_s),
            "application_id": str(APP_ID),
            "type": kind,
            "token": token,
            "version": 1,
            "data": data,
            "guild_id": str(GUILD_ID),
            "channel_id": str(CHANNEL_ID),
            "channel": text_channel(),
            "member": {**member(LISTENER), "permissions": permissions},
            "locale": self.locale,
            "guild_locale": self.guild_locale,
            "app_permissions": "2251799813685247",
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(GUILD_ID)},
            "context": 0,
            "attachment_size_limit": 10_485_760,
        }
        if message is not None:
            payload["message"] = message
        await self.dispatch("INTERACTION_CREATE", payload)
        return token

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self._sockets.append(socket)
        await socket.send_json({"op": 10, "d": {"heartbeat_interval": 45_000}})
        try:
            async for frame in socket:
                if frame.type is not WSMsgType.TEXT:
                    break
                await self._on_frame(socket, json.loads(frame.data))
        finally:
            self._sockets.remove(socket)
        return socket

    async def _on_frame(self, socket: web.WebSocketResponse, frame: dict[str, Any]) -> None:
        if frame["op"] == 1:
            await socket.send_json({"op": 11})
        elif frame["op"] == 2:
            identify = frame["d"]
            self.identifies.append(identify)
            if (
                identify.get("intents", 0) & MESSAGE_CONTENT_BIT
                and not self.message_content_allowed
            ):
                await socket.close(code=4014, message=b"Disallowed intent(s).")
                return
            await self._ready(socket, identify.get("shard"))

    async def _ready(self, socket: web.WebSocketResponse, shard: list[int] | None) -> None:
        self._seq += 1
        ready = {
            "v": 10,
            "user": BOT_USER,
            "guilds": [{"id": str(GUILD_ID), "unavailable": True}],
            "session_id": "fake-session",
            "resume_gateway_url": f"{self.base.replace('http', 'ws')}/gateway",
            "application": {"id": str(APP_ID), "flags": self._app_flags()},
        }
        if shard is not None:
            ready["shard"] = shard
        await socket.send_json({"op": 0, "t": "READY", "s": self._seq, "d": ready})
        self._seq += 1
        created = guild(self.guild_locale)
        await socket.send_json({"op": 0, "t": "GUILD_CREATE", "s": self._seq, "d": created})

    def _app_flags(self) -> int:
        claimed = self.message_content_allowed if self.portal_flag is None else self.portal_flag
        return FLAG_MESSAGE_CONTENT_LIMITED if claimed else 0

    async def _cdn(self, request: web.Request) -> web.Response:
        self.downloads.append(request.match_info["name"])
        data = self.files.get(request.match_info["name"])
        if data is None or request.query.get("hm") in self.expired:
            # What Discord's CDN answers for an expired or unknown link.
            return web.Response(status=404, text="This content is no longer available.")
        return web.Response(body=data)

    async def _api(self, request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        path = "/" + request.match_info["tail"]
        self.requests.append(Request(request.method, path, body, asyncio.get_running_loop().time()))
        self._arrived.set()
        # Webhook and interaction-callback routes are authorised by their token, not the bot's.
        by_token = "/webhooks/" in path or "/interactions/" in path
        if request.headers.get("Authorization") != f"Bot {TOKEN}" and not by_token:
            return _json({"message": "401: Unauthorized", "code": 0}, status=401)
        return self._answer(request.method, path, body)

    def _answer(self, method: str, path: str, body: Any) -> web.StreamResponse:
        if path == "/users/@me":
            return _json(BOT_USER)
        if path == "/oauth2/applications/@me":
            return _json(app_info(self._app_flags()))
        if path == "/gateway/bot":
            url = f"{self.base.replace('http', 'ws')}/gateway"
            limit = {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}
            return _json({"url": url, "shards": 1, "session_start_limit": limit})
        if path.endswith("/commands") and method == "PUT":
            # As Discord stores them: context-menu commands get an empty description.
            self.published = [
                {"description": "", **command, "id": self.next_id(),
                 "application_id": str(APP_ID), "version": "1"}
                for command in body
            ]  # fmt: skip
            return _json(self.published)
        if path.endswith("/commands") and method == "GET":
            return _json(self.published)
        if any(path == f"/channels/{c}/messages" for c in self.refused_channels):
            return _json({"message": "Missing Permissions", "code": 50013}, status=403)
        if self.refuse_replies and isinstance(body, dict) and body.get("message_reference"):
            return _json({"message": "Missing Permissions", "code": 50013}, status=403)
        if path.endswith("/typing") or method == "DELETE":
            return web.Response(status=204)
        if path.endswith("/callback"):
            return _json(self._callback(path, body))
        if method in ("POST", "PATCH") and ("/messages" in path or "/webhooks/" in path):
            return _json(self._sent_message(path, body))
        if method == "POST" and path == "/users/@me/channels":
            return _json({"id": str(DM_CHANNEL_ID), "type": 1, "recipients": [LISTENER]})
        if method == "GET" and path.startswith("/channels/") and "/messages/" in path:
            return self._message(path)
        if method == "GET" and path.startswith("/channels/"):
            return self._channel(path)
        if method == "GET" and path.startswith("/users/"):
            return _json(LISTENER)
        return _json({"message": "Unknown route", "code": 0}, status=404)

    def message_from(self, request: Request) -> dict[str, Any]:
        """The message payload Discord would hold for a message the bot sent."""
        return self._sent_message(request.path, request.json)

    def _callback(self, path: str, body: Any) -> dict[str, Any]:
        flags = (body.get("data") or {}).get("flags", 0)
        return {
            "interaction": {
                "id": path.split("/")[2],
                "type": 2,
                "response_message_loading": body.get("type") == 5,
                "response_message_ephemeral": bool(flags & 64),
            }
        }

    def _sent_message(self, path: str, body: Any) -> dict[str, Any]:
        parts = path.split("/")
        channel = parts[2] if parts[1] == "channels" else str(CHANNEL_ID)
        return bot_message(self.next_id(), channel, body)

    def _message(self, path: str) -> web.Response:
        """A user's message read again: its attachments carry freshly signed links."""
        message = self.messages.get(path.rsplit("/", 1)[1])
        if message is None or path.split("/")[2] != message["channel_id"]:
            return _json({"message": "Unknown Message", "code": 10008}, status=404)
        attachments = [
            {**item, "url": (url := self._signed(item["filename"])), "proxy_url": url}
            for item in message["attachments"]
        ]
        return _json({**message, "attachments": attachments})

    def _channel(self, path: str) -> web.Response:
        channel_id = int(path.split("/")[2])
        if channel_id == CHANNEL_ID:
            return _json(text_channel())
        if channel_id == DM_CHANNEL_ID:
            return _json({"id": str(DM_CHANNEL_ID), "type": 1, "recipients": [LISTENER]})
        return _json({"message": "Unknown Channel", "code": 10003}, status=404)


async def _body(request: web.Request) -> Any:
    if not request.can_read_body:
        return None
    if request.content_type == "multipart/form-data":
        reader = await request.multipart()
        async for part in reader:
            if getattr(part, "name", None) == "payload_json":
                return json.loads(await part.text())  # type: ignore[union-attr]
        return None
    text = await request.text()
    return json.loads(text) if text else None


def _json(data: Any, status: int = 200) -> web.Response:
    # discord.py parses JSON only when the content type is exactly application/json.
    return web.Response(
        body=json.dumps(data).encode(), status=status, content_type="application/json"
    )


@contextlib.asynccontextmanager
async def running_bot(
    monkeypatch: Any,
    service: Any,
    *,
    fake: FakeDiscord | None = None,
    env: dict[str, str] | None = None,
    state: Any = None,
    inbox: Any = None,
    keep_fake: bool = False,
) -> AsyncIterator[tuple[FakeDiscord, Any]]:
    """A started DiscordAdapter (keeping its commands' hash in `state`, if given, and accepted
    photos in `inbox`) connected to a started fake; both stopped afterwards (with `keep_fake`,
    the given fake is already running and outlives this bot, as Discord outlives a restart)."""
    from bot.discord import client as discord_client
    from bot.discord.adapter import DiscordAdapter
    from bot.settings import Settings

    fake = fake or FakeDiscord()
    if not keep_fake:
        await fake.start()
    fake.patch(monkeypatch)
    # discord.py waits this long for more GUILD_CREATEs; the fake sends its one at once.
    monkeypatch.setattr(discord_client, "GUILD_READY_TIMEOUT_S", 0.02)
    overrides: dict[str, Any] = {"DISCORD_TOKEN": TOKEN, **(env or {})}
    settings = Settings(_env_file=None, **overrides)  # type: ignore[call-arg]
    adapter = DiscordAdapter(settings, service, state, inbox)
    try:
        await adapter.start()
        yield fake, adapter
        await adapter.stop()
    finally:
        if adapter.client is not None and not adapter.client.is_closed():
            await adapter.client.close()
        if not keep_fake:
            await fake.close()
