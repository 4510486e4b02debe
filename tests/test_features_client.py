"""The audio-features service client against a local fake speaking its protocol."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from handlers.edge.features import (
    MAX_IDS_PER_REQUEST,
    FeaturesClient,
    FeaturesRateLimited,
    FeaturesUnavailable,
    parse_answer,
)
from support.fakes.fake_features import FakeFeatures

A = "4uLU6hMCjMI75M1A2tKUQC"
B = "7ouMYWpwJ422jRcDASZB7P"
C = "0VjIjW4GlUZAMYd2vXMi3b"


@pytest.fixture
async def fake() -> AsyncIterator[FakeFeatures]:
    service = FakeFeatures()
    service.known = {
        A: {"valence": 0.9, "energy": 0.8, "danceability": 0.7, "tempo": 120.0},
        B: {"valence": 0.1, "energy": 0.2, "acousticness": 0.95},
    }
    await service.start()
    yield service
    await service.stop()


@pytest.fixture
async def client(fake: FakeFeatures) -> AsyncIterator[FeaturesClient]:
    features = FeaturesClient(fake.url, timeout_s=0.5)
    yield features
    await features.close()


async def test_known_ids_come_back_and_unknown_ones_are_left_out(
    fake: FakeFeatures, client: FeaturesClient
) -> None:
    """One request carries the ids, comma-separated; the answer is keyed by Spotify id."""
    found = await client.fetch([A, B, C])
    assert fake.requests == [[A, B, C]]
    assert set(found) == {A, B}
    assert (found[A].valence, found[A].energy, found[A].tempo) == (0.9, 0.8, 120.0)
    assert found[B].acousticness == 0.95 and found[B].danceability is None


async def test_never_more_than_forty_ids(fake: FakeFeatures, client: FeaturesClient) -> None:
    """A caller asking for more in one request is a bug; nothing is sent."""
    ids = [f"{n:022d}" for n in range(MAX_IDS_PER_REQUEST + 1)]
    with pytest.raises(ValueError):
        await client.fetch(ids)
    assert fake.requests == []
    assert await client.fetch(ids[:MAX_IDS_PER_REQUEST]) == {}
    assert len(fake.requests[0]) == MAX_IDS_PER_REQUEST


async def test_429_carries_retry_after(fake: FakeFeatures, client: FeaturesClient) -> None:
    """The service's wait is kept; a missing or absurd one falls back to a bounded wait."""
    fake.fail_status, fake.retry_after = 429, "7"
    with pytest.raises(FeaturesRateLimited) as caught:
        await client.fetch([A])
    assert caught.value.retry_after == 7.0
    fake.retry_after = "99999999"
    with pytest.raises(FeaturesRateLimited) as caught:
        await client.fetch([A])
    assert caught.value.retry_after <= 24 * 3600


# Every answer that is not the protocol's 200 means "try again later" to the caller, never an
# empty answer: (the fake's fault, its value, what the error says).
UNAVAILABLE = [
    *(
        pytest.param("fail_status", status, f"answered {status}", id=f"status {status}")
        for status in (500, 502, 503, 404)
    ),
    pytest.param("delay_s", 2.0, "did not answer", id="slower than the timeout"),
    *(
        pytest.param(
            "garbage", body, "not JSON|without a 'content' list", id=f"not the protocol: {body!r}"
        )
        for body in (b"<html>oops</html>", b"[]", b'{"content": 3}', b'{"items": []}', b"\xff\xfe")
    ),
    pytest.param(
        "garbage",
        b'{"content": [' + b'{"href": "x"},' * 200_000 + b"{}]}",
        "too large",
        id="larger than any real answer (not read into memory)",
    ),
]


@pytest.mark.parametrize(("fault", "value", "said"), UNAVAILABLE)
async def test_a_failed_or_foreign_answer_is_unavailable(
    fake: FakeFeatures,
    client: FeaturesClient,
    monkeypatch: pytest.MonkeyPatch,
    fault: str,
    value: object,
    said: str,
) -> None:
    """A 5xx (or any status not 200), a timeout, or a body that is not the protocol."""
    monkeypatch.setattr(fake, fault, value)
    with pytest.raises(FeaturesUnavailable, match=said):
        await client.fetch([A])


async def test_service_down() -> None:
    """Nothing listening: unavailable, with a sentence naming the setting."""
    client = FeaturesClient("http://127.0.0.1:9", timeout_s=0.5)
    with pytest.raises(FeaturesUnavailable, match="MELODICLENS_FEATURES_URL"):
        await client.fetch([A])
    await client.close()


async def test_items_not_asked_or_malformed_are_dropped(
    fake: FakeFeatures, client: FeaturesClient
) -> None:
    """Extra ids, bad hrefs, out-of-range or missing values: each such item is skipped."""
    fake.extra_items = [
        {"href": f"https://open.spotify.com/track/{C}", "valence": 0.5, "energy": 0.5},
        {"href": "https://example.com/nothing", "valence": 0.5, "energy": 0.5},
        {"href": f"https://open.spotify.com/track/{B}", "valence": 1.5, "energy": 0.5},
        "not an object",
    ]
    fake.known[B] = {"valence": "high", "energy": 0.5}
    found = await client.fetch([A, B])
    assert set(found) == {A}


def test_partial_answer_keeps_what_came() -> None:
    """An answer with some of the asked ids is that many results, not an error."""
    body = {
        "content": [{"href": f"https://open.spotify.com/track/{A}", "valence": 0.2, "energy": 0}]
    }
    assert set(parse_answer(body, [A, B])) == {A}
    assert parse_answer(body, [A])[A].energy == 0.0
