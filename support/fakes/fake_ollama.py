"""A local Ollama server for tests and benchmarks: the real HTTP protocol, scripted answers.

    async with FakeOllama() as fake:              # answers schema JSON for a calm lake
        client = ollama.AsyncClient(host=fake.url, timeout=5)
        fake.queue("Just prose, no JSON.")        # the next /api/chat answers this
        fake.failure = Failure(500, "boom")       # every /api/chat fails until reset to None
        fake.queue(Raw(b"<html>oops</html>"))     # the next /api/chat answers these bytes
        fake.delay_s = 3.0                        # every /api/chat waits this long
        fake.reply_for_image(jpeg_bytes, STRUCTURED_ANSWERS["party"])
        fake.replay(load_recorded_captions())     # queue the recorded captions, in order
        fake.chat_requests                        # what was asked, in order

Speaks POST /api/chat (messages[].images as base64, `format`, `stream` true or false),
GET /api/tags, POST /api/show (with capabilities), GET /api/version and GET /; answers a missing
model with Ollama's own 404.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import csv
import hashlib
import json
import socket
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web

from support.fakes.loopback import LoopbackServer

SHARED_CAPTIONS = Path(__file__).resolve().parents[3] / "shared" / "data" / "vlm_captions_dev.csv"
DEFAULT_MODEL = "qwen2.5vl:3b"
# Pending slow replies are released on close, so this only bounds a stuck writer.
SHUTDOWN_TIMEOUT_S = 1.0
IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG", b"GIF8", b"RIFF", b"BM", b"II*\x00", b"MM\x00*")

# The Ollama tags of the models recorded in vlm_captions_dev.csv (column `vlm`).
VLM_TAGS = {
    "LLaVA_7B": "llava:7b",
    "LLama3_2_Vision_11B": "llama3.2-vision:11b",
    "Gemma3_12B": "gemma3:12b",
    "MiniCPM_V_8B": "minicpm-v:8b",
    "Phi_14B": "phi4:14b",
    "LLaVA_LLama3_8B": "llava-llama3:8b",
    "BakLLaVA_7B": "bakllava:7b",
    "Granite3_2_Vision": "granite3.2-vision:2b",
}

# Realistic schema answers, written for these tests (not recorded from a model): a scene's name
# -> the answer as the vision model sends it.
STRUCTURED_ANSWERS: dict[str, dict[str, Any]] = json.loads(
    (Path(__file__).parent / "data" / "structured_answers.json").read_text(encoding="utf-8")
)

# Used when ../shared/data is absent: short prose in the recorded captions' style.
FALLBACK_CAPTIONS = (
    ("sadman.jpg", "lonely, rainy, sad", "LLaVA_7B",
     "A man sits alone on a bench in the rain, shoulders hunched. The grey street and the "
     "empty café behind him make the scene feel lonely and melancholic."),
    ("nightparty.jpeg", "party, dancing, friends, night", "LLaVA_7B",
     "A crowd dances under neon lights at a night party. Everyone is laughing and jumping; "
     "the energy is loud, joyful and wild."),
    ("flowers.jpg", "spring, colourful, cheerful", "BakLLaVA_7B",
     "Buckets of bright tulips at a sunny market stall. The colours are vivid and cheerful."),
)  # fmt: skip


@dataclass(frozen=True)
class Failure:
    """An HTTP error answer, e.g. Failure(500, "llama runner process has terminated")."""

    status: int
    error: str


@dataclass(frozen=True)
class Reply:
    """A chat answer: `content` is a dict (sent as JSON) or prose; optionally slow."""

    content: str | dict[str, Any]
    delay_s: float = 0.0
    done_reason: str = "stop"


@dataclass(frozen=True)
class Raw:
    """A raw HTTP answer to /api/chat, for garbage: Raw(b"<html>...", content_type="text/html")."""

    body: bytes
    status: int = 200
    content_type: str = "application/json"


Scripted = str | dict[str, Any] | Failure | Reply | Raw


@dataclass(frozen=True)
class RecordedCaption:
    """One row of vlm_captions_dev.csv: a real model's prose caption of a photo."""

    image: str
    vibe: str
    vlm: str
    caption: str

    @property
    def model(self) -> str:
        """The Ollama tag of the model that wrote it."""
        return VLM_TAGS.get(self.vlm, self.vlm.lower())


@dataclass(frozen=True)
class LoggedRequest:
    """One request the fake received."""

    method: str
    path: str
    body: dict[str, Any]
    at: float = field(default_factory=time.monotonic)

    @property
    def images(self) -> list[bytes]:
        """The decoded images of a chat request."""
        found: list[bytes] = []
        for message in self.body.get("messages") or []:
            found.extend(base64.b64decode(image) for image in message.get("images") or [])
        return found


def load_recorded_captions(path: Path | None = None) -> list[RecordedCaption]:
    """The recorded captions from ../shared/data, or a small built-in set when it is absent."""
    path = path or SHARED_CAPTIONS
    if not path.exists():
        return [RecordedCaption(*row) for row in FALLBACK_CAPTIONS]
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            RecordedCaption(row["image"], row["vibe"], row["vlm"], row["caption"])
            for row in csv.DictReader(handle)
        ]


def closed_port_url() -> str:
    """A loopback URL where nothing listens (a host that is down)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def _timestamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _digest(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


class FakeOllama(LoopbackServer):
    """An aiohttp server on 127.0.0.1 (random port) that behaves like Ollama."""

    def __init__(
        self,
        *,
        models: Iterable[str] = (DEFAULT_MODEL,),
        capabilities: Iterable[str] = ("completion", "vision"),
        reply: Scripted | None = None,
        delay_s: float = 0.0,
        failure: Failure | None = None,
    ) -> None:
        self.models = list(models)
        self.capabilities = list(capabilities)
        self.default_reply: Scripted = reply or STRUCTURED_ANSWERS["misty_lake"]
        self.delay_s = delay_s
        self.failure = failure
        # A hook for full control: gets the request body, returns the reply (or None: go on).
        self.on_chat: Callable[[dict[str, Any]], Scripted | None] | None = None
        self.requests: list[LoggedRequest] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._queue: deque[Scripted] = deque()
        self._by_image: dict[str, Scripted] = {}
        self._closing = asyncio.Event()
        super().__init__(
            web.Application(client_max_size=64 * 1024 * 1024), shutdown_timeout=SHUTDOWN_TIMEOUT_S
        )
        self.app.router.add_post("/api/chat", self._chat)
        self.app.router.add_get("/api/tags", self._tags)
        self.app.router.add_post("/api/show", self._show)
        self.app.router.add_get("/api/version", self._version)
        self.app.router.add_get("/", self._root)

    # --- scripting ---------------------------------------------------------------------------
    def queue(self, *replies: Scripted) -> None:
        """Answer the next chat requests with these, in order, then the default reply again."""
        self._queue.extend(replies)

    def reply_for_image(self, image: bytes, reply: Scripted) -> None:
        """Answer every chat request carrying exactly this image (bytes as sent) with `reply`."""
        self._by_image[hashlib.sha256(image).hexdigest()] = reply

    def replay(self, records: Iterable[RecordedCaption]) -> None:
        """Queue recorded prose captions as the next answers."""
        self.queue(*(record.caption for record in records))

    @property
    def chat_requests(self) -> list[LoggedRequest]:
        """The /api/chat requests received so far."""
        return [request for request in self.requests if request.path == "/api/chat"]

    # --- lifecycle ---------------------------------------------------------------------------
    async def stop(self) -> None:
        """Release the slow replies still waiting, then stop serving."""
        self._closing.set()
        await super().stop()

    # --- handlers ----------------------------------------------------------------------------
    async def _root(self, request: web.Request) -> web.Response:
        return web.Response(text="Ollama is running")

    async def _version(self, request: web.Request) -> web.Response:
        return web.json_response({"version": "0.12.6"})

    async def _tags(self, request: web.Request) -> web.Response:
        self.requests.append(LoggedRequest("GET", "/api/tags", {}))
        return web.json_response({"models": [self._model_entry(name) for name in self.models]})

    async def _show(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append(LoggedRequest("POST", "/api/show", body))
        name = body.get("model") or body.get("name") or ""
        if name not in self.models:
            return web.json_response({"error": f"model '{name}' not found"}, status=404)
        return web.json_response(
            {
                "license": "Apache License 2.0",
                "modelfile": f'# Modelfile generated by "ollama show"\nFROM {name}\n',
                "parameters": "temperature 0.0001",
                "template": "{{ .Prompt }}",
                "details": self._details(name),
                "model_info": {"general.architecture": "qwen25vl", "general.file_type": 15},
                "capabilities": self.capabilities,
                "modified_at": _timestamp(),
            }
        )

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await request.json()
        except ValueError:
            return web.json_response({"error": "invalid JSON body"}, status=400)
        self.requests.append(LoggedRequest("POST", "/api/chat", body))
        model = body.get("model", "")
        if model not in self.models:
            error = f'model "{model}" not found, try pulling it first'
            return web.json_response({"error": error}, status=404)
        problem = _check_messages(body.get("messages"))
        if problem:
            return web.json_response({"error": problem}, status=400)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return await self._answer(request, body, self._choose(body))
        finally:
            self.in_flight -= 1

    def _choose(self, body: dict[str, Any]) -> Scripted:
        if self.failure is not None:
            return self.failure
        if self.on_chat is not None and (hooked := self.on_chat(body)) is not None:
            return hooked
        for message in body.get("messages") or []:
            for image in message.get("images") or []:
                key = hashlib.sha256(base64.b64decode(image)).hexdigest()
                if key in self._by_image:
                    return self._by_image[key]
        return self._queue.popleft() if self._queue else self.default_reply

    async def _answer(
        self, request: web.Request, body: dict[str, Any], scripted: Scripted
    ) -> web.StreamResponse:
        if isinstance(scripted, Raw):
            return web.Response(
                body=scripted.body, status=scripted.status, content_type=scripted.content_type
            )
        reply = scripted if isinstance(scripted, Reply | Failure) else Reply(scripted)
        delay = self.delay_s + (reply.delay_s if isinstance(reply, Reply) else 0.0)
        started = time.monotonic_ns()
        if delay > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), delay)
        if isinstance(reply, Failure):
            return web.json_response({"error": reply.error}, status=reply.status)
        content = reply.content
        text = content if isinstance(content, str) else json.dumps(content)
        final = self._final(body["model"], text, reply.done_reason, started)
        if body.get("stream", True) is False:
            return web.json_response(final)
        return await self._stream(request, body["model"], text, final)

    async def _stream(
        self, request: web.Request, model: str, text: str, final: dict[str, Any]
    ) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/x-ndjson"})
        await response.prepare(request)
        for piece in text.split(" "):
            chunk = {
                "model": model,
                "created_at": _timestamp(),
                "message": {"role": "assistant", "content": piece + " "},
                "done": False,
            }
            await response.write(json.dumps(chunk).encode() + b"\n")
        final["message"]["content"] = ""
        await response.write(json.dumps(final).encode() + b"\n")
        await response.write_eof()
        return response

    def _final(self, model: str, text: str, reason: str, started: int) -> dict[str, Any]:
        total = max(time.monotonic_ns() - started, 1)
        words = max(len(text.split()), 1)
        return {
            "model": model,
            "created_at": _timestamp(),
            "message": {"role": "assistant", "content": text},
            "done": True,
            "done_reason": reason,
            "total_duration": total,
            "load_duration": total // 20,
            "prompt_eval_count": 1200,
            "prompt_eval_duration": total // 2,
            "eval_count": words * 4 // 3,
            "eval_duration": total // 2,
        }

    def _model_entry(self, name: str) -> dict[str, Any]:
        return {
            "name": name,
            "model": name,
            "modified_at": _timestamp(),
            "size": 3_200_000_000,
            "digest": _digest(name),
            "details": self._details(name),
        }

    def _details(self, name: str) -> dict[str, Any]:
        family = name.split(":")[0].replace(".", "")
        return {
            "parent_model": "",
            "format": "gguf",
            "family": family,
            "families": [family],
            "parameter_size": "3.8B",
            "quantization_level": "Q4_K_M",
        }


def _check_messages(messages: Any) -> str | None:
    """Ollama's complaint about malformed messages or images, or None."""
    if not isinstance(messages, list) or not messages:
        return "messages are required"
    for message in messages:
        if not isinstance(message, dict) or "role" not in message:
            return "each message needs a role"
        for image in message.get("images") or []:
            try:
                data = base64.b64decode(image, validate=True)
            except (binascii.Error, TypeError, ValueError):
                return "illegal base64 data at input byte 0"
            if not data.startswith(IMAGE_MAGIC):
                return "image: unknown format"
    return None
