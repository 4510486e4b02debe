"""A fake Telegram Bot API server that the real python-telegram-bot stack talks to.

It speaks the real wire protocol: methods under /bot<token>/<method> (form-encoded parameters,
JSON-encoded where structured, answered with {"ok": true, "result": ...}), files under
/file/bot<token>/<file_path>, long-polled getUpdates, and webhook delivery with the
X-Telegram-Bot-Api-Secret-Token header. Tests inject updates with real image bytes and await
what the bot sends.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import itertools
import json
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from aiohttp import ClientSession, web
from PIL import Image

from bot.settings import Settings, load_settings
from support.fakes.loopback import LoopbackServer

TOKEN = "123456:TEST-fake-token"
BOT_ID = 777000
BOT_USERNAME = "MelodicLensBot"
# getUpdates never holds a request longer than this, whatever timeout the client asks for.
MAX_LONG_POLL_S = 5.0
# Parameters that are plain text on the wire even when they look like JSON.
TEXT_PARAMS = frozenset(
    {"text", "caption", "parse_mode", "url", "secret_token", "file_id", "description",
     "short_description", "language_code"}
)  # fmt: skip
# The sizes Telegram would list for one photo, smallest first.
PHOTO_SIZES = ((90, 60), (320, 213), (1280, 853))


def settings_for(fake: FakeTelegram, **extra: Any) -> Settings:
    """Settings pointing the bot at the fake server (albums close after 0.4 s)."""
    return load_settings(
        None,
        TELEGRAM_TOKEN=fake.token,
        MELODICLENS_TELEGRAM_API_URL=fake.url,
        MELODICLENS_ALBUM_WAIT_S="0.4",
        **extra,
    )


def jpeg(width: int, height: int, color: tuple[int, int, int] = (40, 60, 120)) -> bytes:
    """A real JPEG of the given size."""
    buf = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buf, "JPEG", quality=70)
    return buf.getvalue()


def user(
    user_id: int,
    first_name: str = "Ana",
    username: str | None = None,
    language_code: str | None = None,
) -> dict[str, Any]:
    """A Telegram User object (`language_code`: the IETF tag of the user's app, if known)."""
    person: dict[str, Any] = {
        "id": user_id,
        "is_bot": False,
        "first_name": first_name,
        "username": username or first_name.lower(),
    }
    if language_code is not None:
        person["language_code"] = language_code
    return person


def private_chat(person: dict[str, Any]) -> dict[str, Any]:
    """The private chat with a user (its id is the user's id)."""
    return {"id": person["id"], "type": "private", "first_name": person["first_name"]}


def group_chat(chat_id: int = -1001234, title: str = "Friends") -> dict[str, Any]:
    """A supergroup."""
    return {"id": chat_id, "type": "supergroup", "title": title}


@dataclass
class Call:
    """One Bot API method call as the fake received it."""

    method: str
    params: dict[str, Any]


@dataclass
class Sent:
    """A message the bot sent, with what a user would notice about it."""

    chat_id: int
    text: str
    parse_mode: str | None
    reply_to: int | None
    markup: dict[str, Any] | None
    message: dict[str, Any]

    @property
    def buttons(self) -> list[tuple[str, str]]:
        """(label, callback_data or url) of every inline button, row by row."""
        rows = (self.markup or {}).get("inline_keyboard", [])
        return [(b["text"], b.get("callback_data") or b.get("url", "")) for r in rows for b in r]


@dataclass
class _File:
    path: str
    data: bytes
    size: int
    refuse_too_big: bool = False


@dataclass
class FakeTelegram(LoopbackServer):
    """The server plus helpers to inject updates and await what the bot does."""

    token: str = TOKEN
    calls: list[Call] = field(default_factory=list)
    # chats whose sendMessage answers 403, like a user who never started the bot
    forbidden_chats: set[int] = field(default_factory=set)
    webhook: dict[str, Any] | None = None
    # the next sendMessage answers 429 "retry after N" (flood control) when set
    flood_wait_s: int = 0
    # group chat id -> ids of its administrators (getChatMember says "administrator")
    admins: dict[int, set[int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._updates: list[dict[str, Any]] = []
        self._new_update = asyncio.Event()
        self._ids = itertools.count(1)
        self._message_ids = itertools.count(100)
        self._files: dict[str, _File] = {}
        self._chats: dict[int, dict[str, Any]] = {}
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._queues: dict[str, asyncio.Queue[Call]] = defaultdict(asyncio.Queue)
        self._sent: asyncio.Queue[Sent] = asyncio.Queue()
        self.downloads: list[str] = []
        self._last_pushed = 0
        # No access log (LoopbackServer): its lines carry the token, and the test proving the
        # bot never logs it must not be fooled by the fake's own lines.
        super().__init__(web.Application(), shutdown_timeout=0.5)
        self.app.router.add_route("*", "/bot{token}/{method}", self._method)
        self.app.router.add_get("/file/bot{token}/{path:.+}", self._download)

    # --- server -------------------------------------------------------------------------

    async def stop(self) -> None:
        """Wake every long poll still waiting, then stop serving."""
        self._new_update.set()
        await super().stop()

    async def _method(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _fail(401, "Unauthorized")
        method = request.match_info["method"]
        params = await _params(request)
        call = Call(method, params)
        self.calls.append(call)
        self._queues[method].put_nowait(call)
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return _ok(True)
        result: web.Response = await handler(params)
        return result

    async def _download(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        path = request.match_info["path"]
        for file in self._files.values():
            if file.path == path:
                self.downloads.append(path)
                return web.Response(body=file.data, content_type="application/octet-stream")
        return web.Response(status=404, text="Not Found")

    # --- Bot API methods ------------------------------------------------------------------

    async def _api_getMe(self, params: dict[str, Any]) -> web.Response:
        return _ok(
            {
                "id": BOT_ID,
                "is_bot": True,
                "first_name": "MelodicLens",
                "username": BOT_USERNAME,
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            }
        )

    async def _api_getUpdates(self, params: dict[str, Any]) -> web.Response:
        if self.webhook is not None:
            return _fail(409, "Conflict: can't use getUpdates method while webhook is active")
        offset = int(params.get("offset") or 0)
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if not self._updates:
            self._new_update.clear()
            wait = min(float(params.get("timeout") or 0), MAX_LONG_POLL_S)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_update.wait(), wait)
        limit = int(params.get("limit") or 100)
        return _ok(self._updates[:limit])

    async def _api_setWebhook(self, params: dict[str, Any]) -> web.Response:
        self.webhook = params
        return _ok(True)

    async def _api_deleteWebhook(self, params: dict[str, Any]) -> web.Response:
        self.webhook = None
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return _ok(True)

    async def _api_getFile(self, params: dict[str, Any]) -> web.Response:
        file = self._files.get(str(params["file_id"]))
        if file is None:
            return _fail(400, "Bad Request: invalid file_id")
        if file.refuse_too_big:
            return _fail(400, "Bad Request: file is too big")
        return _ok(
            {
                "file_id": params["file_id"],
                "file_unique_id": f"u{params['file_id']}",
                "file_size": file.size,
                "file_path": file.path,
            }
        )

    async def _api_sendMessage(self, params: dict[str, Any]) -> web.Response:
        chat_id = int(params["chat_id"])
        if self.flood_wait_s:
            wait, self.flood_wait_s = self.flood_wait_s, 0
            return web.json_response(
                {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {wait}",
                    "parameters": {"retry_after": wait},
                },
                status=429,
            )
        if chat_id in self.forbidden_chats:
            return _fail(403, "Forbidden: bot can't initiate conversation with a user")
        reply_to = (params.get("reply_parameters") or {}).get("message_id")
        reply_to = reply_to or params.get("reply_to_message_id")
        message = self._bot_message(chat_id, str(params["text"]), params.get("reply_markup"))
        quoted = self._messages.get((chat_id, int(reply_to or 0)))
        if quoted is not None:
            message["reply_to_message"] = quoted
        self._sent.put_nowait(
            Sent(
                chat_id=chat_id,
                text=str(params["text"]),
                parse_mode=params.get("parse_mode"),
                reply_to=int(reply_to) if reply_to else None,
                markup=params.get("reply_markup"),
                message=message,
            )
        )
        return _ok(message)

    async def _api_editMessageText(self, params: dict[str, Any]) -> web.Response:
        chat_id = int(params.get("chat_id") or 0)
        message = self._messages.get((chat_id, int(params.get("message_id") or 0)))
        if message is None:
            return _fail(400, "Bad Request: message to edit not found")
        if message["text"] == str(params["text"]):
            return _fail(400, "Bad Request: message is not modified")
        message["text"] = str(params["text"])
        message["edit_date"] = int(time.time())
        return _ok(message)

    async def _api_deleteMessage(self, params: dict[str, Any]) -> web.Response:
        key = (int(params["chat_id"]), int(params["message_id"]))
        if self._messages.pop(key, None) is None:
            return _fail(400, "Bad Request: message to delete not found")
        return _ok(True)

    async def _api_getChatMember(self, params: dict[str, Any]) -> web.Response:
        chat_id, user_id = int(params["chat_id"]), int(params["user_id"])
        person = {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"}
        if user_id not in self.admins.get(chat_id, set()):
            return _ok({"status": "member", "user": person})
        rights = (
            "can_be_edited can_manage_chat can_delete_messages can_manage_video_chats "
            "can_restrict_members can_promote_members can_change_info can_invite_users "
            "can_post_stories can_edit_stories can_delete_stories"
        ).split()
        return _ok(
            {"status": "administrator", "user": person, "is_anonymous": False}
            | dict.fromkeys(rights, False)
            | {"can_manage_chat": True, "can_delete_messages": True}
        )

    def live_messages(self, chat_id: int) -> list[dict[str, Any]]:
        """The bot's messages in a chat that were not deleted, oldest first."""
        return [
            message
            for (chat, _), message in sorted(self._messages.items())
            if chat == chat_id and message["from"]["id"] == BOT_ID
        ]

    # --- injecting updates -----------------------------------------------------------------

    def push(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue a raw update (its update_id is assigned here) for getUpdates."""
        update = {"update_id": next(self._ids), **update}
        self._last_pushed = update["update_id"]
        self._updates.append(update)
        self._new_update.set()
        return update

    def add_file(
        self, data: bytes, *, size: int | None = None, refuse_too_big: bool = False
    ) -> str:
        """Store file bytes; returns the file_id getFile will serve."""
        file_id = f"F{len(self._files) + 1}"
        self._files[file_id] = _File(
            f"documents/file_{len(self._files)}.bin", data, size or len(data), refuse_too_big
        )
        return file_id

    def message(
        self, chat: dict[str, Any], sender: dict[str, Any], **fields: Any
    ) -> dict[str, Any]:
        """A Message object from a user, remembered so replies and presses can quote it."""
        self._chats[chat["id"]] = chat
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat,
            "from": sender,
            **{k: v for k, v in fields.items() if v is not None},
        }
        self._messages[(chat["id"], message["message_id"])] = message
        return message

    def send(self, chat: dict[str, Any], sender: dict[str, Any], **fields: Any) -> dict[str, Any]:
        """A message from a user (as `message` builds it), delivered to the bot as an update."""
        message = self.message(chat, sender, **fields)
        self.push({"message": message})
        return message

    def photo(
        self,
        chat: dict[str, Any],
        sender: dict[str, Any],
        caption: str | None = None,
        *,
        media_group_id: str | None = None,
        reply_to: dict[str, Any] | None = None,
        color: tuple[int, int, int] = (40, 60, 120),
    ) -> dict[str, Any]:
        """Send a photo (three real JPEG sizes, largest last) as a user; returns the message."""
        sizes = []
        for width, height in PHOTO_SIZES:
            data = jpeg(width, height, color)
            file_id = self.add_file(data)
            sizes.append(
                {
                    "file_id": file_id,
                    "file_unique_id": f"u{file_id}",
                    "width": width,
                    "height": height,
                    "file_size": len(data),
                }
            )
        return self.send(
            chat,
            sender,
            photo=sizes,
            caption=caption,
            caption_entities=_mentions(caption),
            media_group_id=media_group_id,
            reply_to_message=reply_to,
        )

    def document(
        self,
        chat: dict[str, Any],
        sender: dict[str, Any],
        data: bytes,
        mime_type: str,
        file_name: str,
        caption: str | None = None,
        *,
        size: int | None = None,
        refuse_too_big: bool = False,
    ) -> dict[str, Any]:
        """Send a file as a user; returns the message."""
        file_id = self.add_file(data, size=size, refuse_too_big=refuse_too_big)
        doc = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_name": file_name,
            "mime_type": mime_type,
            "file_size": size or len(data),
        }
        return self.send(
            chat, sender, document=doc, caption=caption, caption_entities=_mentions(caption)
        )

    def command(
        self,
        chat: dict[str, Any],
        sender: dict[str, Any],
        text: str,
        *,
        reply_to: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Send a /command as a user; returns the message."""
        length = len(text.split()[0])
        entities = [{"type": "bot_command", "offset": 0, "length": length}]
        return self.send(chat, sender, text=text, entities=entities, reply_to_message=reply_to)

    def text(
        self, chat: dict[str, Any], sender: dict[str, Any], text: str, *,
        reply_to: dict[str, Any] | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        """Send a plain text message (with entities for any @mentions) as a user."""
        return self.send(
            chat, sender, text=text, entities=_mentions(text), reply_to_message=reply_to
        )

    def press(self, sender: dict[str, Any], shown: dict[str, Any], data: str) -> str:
        """Press an inline button under a bot message; returns the callback query id."""
        query_id = f"Q{next(self._ids)}"
        self.push(
            {
                "callback_query": {
                    "id": query_id,
                    "from": sender,
                    "message": shown,
                    "chat_instance": "CI1",
                    "data": data,
                }
            }
        )
        return query_id

    async def deliver(self, update: dict[str, Any], secret: str | None) -> int:
        """POST an update to the registered webhook like Telegram does; returns the status."""
        assert self.webhook is not None, "no webhook was set"
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
        body = {"update_id": next(self._ids), **update}
        async with (
            ClientSession() as session,
            session.post(str(self.webhook["url"]), json=body, headers=headers) as response,
        ):
            return response.status

    # --- awaiting the bot ---------------------------------------------------------------------

    async def next_sent(self, within_s: float = 10.0) -> Sent:
        """The next message the bot sends."""
        return await asyncio.wait_for(self._sent.get(), within_s)

    async def fetched(self, within_s: float = 10.0) -> None:
        """Wait until the bot has confirmed (fetched) every update pushed so far."""
        last = self._last_pushed

        async def confirmed() -> None:
            while True:
                call = await self._queues["getUpdates"].get()
                if int(call.params.get("offset") or 0) > last:
                    return

        await asyncio.wait_for(confirmed(), within_s)

    def sent_pending(self) -> int:
        """How many sent messages nobody has awaited yet."""
        return self._sent.qsize()

    async def next_call(self, method: str, within_s: float = 10.0) -> Call:
        """The next call of a Bot API method."""
        return await asyncio.wait_for(self._queues[method].get(), within_s)

    def calls_of(self, method: str) -> list[Call]:
        """Every call of a method so far."""
        return [call for call in self.calls if call.method == method]

    def menus(self) -> dict[tuple[str, str], dict[str, str]]:
        """The command menus as Telegram keeps them after every setMyCommands so far:
        (scope type, language_code or "" for everyone) -> {command: description}."""
        kept: dict[tuple[str, str], dict[str, str]] = {}
        for call in self.calls_of("setMyCommands"):
            scope = call.params.get("scope") or {"type": "default"}
            key = (scope["type"], call.params.get("language_code") or "")
            kept[key] = {c["command"]: c["description"] for c in call.params["commands"]}
        return kept

    def descriptions(self, method: str = "setMyDescription") -> dict[str, str]:
        """The bot's (short) description per language_code ("" for everyone) as last set."""
        field_name = "short_description" if method == "setMyShortDescription" else "description"
        return {
            call.params.get("language_code") or "": call.params.get(field_name, "")
            for call in self.calls_of(method)
        }

    def _bot_message(
        self, chat_id: int, text: str, markup: dict[str, Any] | None
    ) -> dict[str, Any]:
        chat = self._chats.get(chat_id) or {"id": chat_id, "type": "private", "first_name": "?"}
        bot = {"id": BOT_ID, "is_bot": True, "first_name": "MelodicLens", "username": BOT_USERNAME}
        message = self.message(chat, bot, text=text, reply_markup=markup)
        return message


def _mentions(caption: str | None) -> list[dict[str, Any]] | None:
    if not caption:
        return None
    entities = []
    start = caption.find("@")
    while start >= 0:
        end = start + 1
        while end < len(caption) and (caption[end].isalnum() or caption[end] == "_"):
            end += 1
        entities.append({"type": "mention", "offset": start, "length": end - start})
        start = caption.find("@", end)
    return entities or None


async def _params(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        raw: dict[str, Any] = await request.json()
        return raw
    form = dict(request.query)
    if request.can_read_body:
        form.update({k: v for k, v in (await request.post()).items() if isinstance(v, str)})
    return {key: _decode(key, value) for key, value in form.items()}


def _decode(key: str, value: str) -> Any:
    if key in TEXT_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _fail(code: int, description: str) -> web.Response:
    return web.json_response(
        {"ok": False, "error_code": code, "description": description}, status=code
    )
