"""A local ReccoBeats-compatible audio-features service: `GET /audio-features?ids=...`."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

from aiohttp import web

from support.fakes.loopback import LoopbackServer

# The real service refuses more ids than this in one request.
MAX_IDS = 40


class FakeFeatures(LoopbackServer):
    """Known tracks by Spotify id -> features; records every request's ids; injectable faults."""

    def __init__(self) -> None:
        self.known: dict[str, dict[str, float]] = {}
        self.requests: list[list[str]] = []
        # Faults for every request: a status (429, 500...), a raw body, a delay in seconds,
        # extra items (ids not asked), and a cap on how many known items are returned.
        self.fail_status: int | None = None
        self.fail_times: int | None = None
        self.retry_after: str | None = "1"
        self.garbage: bytes | None = None
        self.delay_s = 0.0
        self.extra_items: list[dict[str, Any]] = []
        self.answer_at_most: int | None = None
        super().__init__(web.Application())
        self.app.router.add_get("/audio-features", self.audio_features)

    def _failing(self) -> bool:
        if self.fail_status is None:
            return False
        if self.fail_times is None:
            return True
        if self.fail_times <= 0:
            return False
        self.fail_times -= 1
        return True

    async def audio_features(self, request: web.Request) -> web.Response:
        """The service's one endpoint, as ReccoBeats answers it."""
        ids = [i for i in request.query.get("ids", "").split(",") if i]
        self.requests.append(ids)
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        if self._failing():
            headers = {"Retry-After": self.retry_after} if self.retry_after else {}
            return web.json_response({"error": "failed"}, status=self.fail_status, headers=headers)
        if self.garbage is not None:
            return web.Response(body=self.garbage, content_type="application/json")
        if not ids or len(ids) > MAX_IDS:
            return web.json_response({"error": f"between 1 and {MAX_IDS} ids"}, status=400)
        content = [self._item(i) for i in ids if i in self.known]
        if self.answer_at_most is not None:
            content = content[: self.answer_at_most]
        body = {"content": [*content, *self.extra_items]}
        return web.Response(text=json.dumps(body), content_type="application/json")

    def _item(self, spotify_id: str) -> dict[str, Any]:
        return {
            "id": str(uuid.uuid5(uuid.NAMESPACE_URL, spotify_id)),
            "href": f"https://open.spotify.com/track/{spotify_id}",
            **self.known[spotify_id],
        }
