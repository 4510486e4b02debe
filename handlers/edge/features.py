"""The optional audio-features service (ReccoBeats-compatible): measured moods for Spotify ids.

Protocol: `GET {base}/audio-features?ids=a,b,c` with at most 40 Spotify track ids answers
`{"content": [{"href": "https://open.spotify.com/track/<id>", "valence": ..., ...}]}`; ids the
service does not know are left out. The service receives track ids only, never who asked.

Every way a request goes wrong becomes a `FeaturesServiceError`: `FeaturesRateLimited` (429,
with the wait), or `FeaturesUnavailable` (down, slow, 5xx, an answer that is not the protocol).
Items that are malformed or name ids that were not asked are dropped one by one.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import aiohttp

from db.moods import UNIT_FEATURE_COLUMNS
from handlers.edge.retry_after import RateLimited, parse_retry_after
from recsys.models import TrackFeatures

log = logging.getLogger(__name__)

# The service answers at most this many ids per request (ReccoBeats' documented limit).
MAX_IDS_PER_REQUEST = 40
# A full answer for 40 tracks is ~20 KB; more is not an answer to our question.
MAX_ANSWER_BYTES = 1024 * 1024
# A lookup runs in a background job: a slow service is given up on and asked again later.
REQUEST_TIMEOUT_S = 15.0
CONNECT_TIMEOUT_S = 5.0
# A Retry-After longer than this is taken as this: the job looks again within the day.
MAX_RETRY_AFTER_S = 24 * 3600.0

_TRACK_HREF = re.compile(r"open\.spotify\.com/track/([0-9A-Za-z]{22})")
_SPOTIFY_ID = re.compile(r"^[0-9A-Za-z]{22}$")


class FeaturesServiceError(Exception):
    """The audio-features service could not answer now; the lookup is asked again later."""


class FeaturesUnavailable(FeaturesServiceError):
    """Down, slow, a 5xx, or an answer that is not the service's protocol."""


class FeaturesRateLimited(FeaturesServiceError, RateLimited):
    """429: ask again after `retry_after` seconds."""


def _unit(value: Any) -> float | None:
    """A number in 0..1, or None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) and 0.0 <= number <= 1.0 else None


def _tempo(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) and 0 < value < 400 else None


def parse_item(item: Any, asked: frozenset[str]) -> tuple[str, TrackFeatures] | None:
    """One answer item as its Spotify id and features (None where the service gave none), or
    None if it is malformed, names an id not asked, or lacks valence or energy."""
    if not isinstance(item, Mapping):
        return None
    found = _TRACK_HREF.search(str(item.get("href") or ""))
    if found is None or found.group(1) not in asked:
        return None
    units = {name: _unit(item.get(name)) for name in UNIT_FEATURE_COLUMNS}
    if units["valence"] is None or units["energy"] is None:
        return None
    tempo = _tempo(item.get("tempo"))
    # mypy cannot tell that every unit feature names one of TrackFeatures' float fields
    return found.group(1), TrackFeatures(tempo=tempo, **units)  # type: ignore[arg-type]


def parse_answer(body: Any, asked: Sequence[str]) -> dict[str, TrackFeatures]:
    """The features in an answer, by Spotify id; raises FeaturesUnavailable if it is no answer."""
    if not isinstance(body, Mapping) or not isinstance(body.get("content"), list):
        raise FeaturesUnavailable("the features service answered without a 'content' list")
    wanted = frozenset(asked)
    found: dict[str, TrackFeatures] = {}
    for item in body["content"]:
        parsed = parse_item(item, wanted)
        if parsed is not None:
            found.setdefault(*parsed)
    return found


class FeaturesClient:
    """Asks the audio-features service about batches of Spotify track ids."""

    def __init__(self, base_url: str, timeout_s: float = REQUEST_TIMEOUT_S) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = aiohttp.ClientTimeout(total=timeout_s, sock_connect=CONNECT_TIMEOUT_S)
        self._session: aiohttp.ClientSession | None = None

    @property
    def connected(self) -> bool:
        """Whether a connection pool is open (one opens on the first request)."""
        return self._session is not None

    async def close(self) -> None:
        """Close the connection pool."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def fetch(self, spotify_ids: Sequence[str]) -> dict[str, TrackFeatures]:
        """Features of the ids the service knows (at most MAX_IDS_PER_REQUEST per call)."""
        ids = list(dict.fromkeys(i for i in spotify_ids if _SPOTIFY_ID.match(i)))
        if len(ids) > MAX_IDS_PER_REQUEST:
            raise ValueError(f"at most {MAX_IDS_PER_REQUEST} ids per request, got {len(ids)}")
        if not ids:
            return {}
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        url = f"{self.base_url}/audio-features"
        try:
            async with self._session.get(url, params={"ids": ",".join(ids)}) as response:
                body = await self._read(response)
        except (TimeoutError, aiohttp.ClientError) as err:
            raise FeaturesUnavailable(
                f"the features service at {self.base_url} did not answer ({type(err).__name__}):"
                " check MELODICLENS_FEATURES_URL, or leave it empty to turn the service off"
            ) from err
        return parse_answer(body, ids)

    async def _read(self, response: aiohttp.ClientResponse) -> Any:
        if response.status == 429:
            wait = min(parse_retry_after(response.headers.get("Retry-After")), MAX_RETRY_AFTER_S)
            raise FeaturesRateLimited(f"the features service asks to wait {wait:.0f} s", wait)
        if response.status != 200:
            raise FeaturesUnavailable(f"the features service answered {response.status}")
        if (response.content_length or 0) > MAX_ANSWER_BYTES:
            raise FeaturesUnavailable("the features service's answer is too large")
        raw = await response.content.read(MAX_ANSWER_BYTES + 1)
        if len(raw) > MAX_ANSWER_BYTES:
            raise FeaturesUnavailable("the features service's answer is too large")
        try:
            return json.loads(raw)
        except ValueError as err:
            raise FeaturesUnavailable("the features service answered something not JSON") from err
