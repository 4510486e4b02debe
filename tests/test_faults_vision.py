"""A vision model that answers garbage or far too much: the photo is still answered, within
the caps (issue 10, fault kinds "Ollama garbage or oversized answers")."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from recsys.captioner import Captioner, VisionUnavailable
from recsys.models import AudioTraits, MoodReading
from recsys.text_hygiene import MAX_DESCRIPTION_CHARS
from recsys.vision_hosts import VisionHostPool
from support.fakes.fake_ollama import DEFAULT_MODEL, STRUCTURED_ANSWERS, FakeOllama, Raw
from tests.test_captioner import prepared


class RecordingReader:
    """Stands in for MoodReader: keeps the texts it was given."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def __call__(self, text: str) -> MoodReading:
        self.texts.append(text)
        return MoodReading(("calm",), ("nature",), AudioTraits(valence=0.5), 0.5)


@pytest.fixture
async def pool(fake_ollama: FakeOllama) -> AsyncIterator[VisionHostPool]:
    hosts = VisionHostPool([fake_ollama.url], timeout_s=5.0, rest_s=30.0)
    yield hosts
    await hosts.close()


def captioner(pool: VisionHostPool, reader: RecordingReader) -> Captioner:
    return Captioner(pool, DEFAULT_MODEL, timeout_s=5.0, num_ctx=4096, prose_reader=reader)


@pytest.mark.parametrize(
    "garbage",
    [
        Raw(b"<html><body>502 Bad Gateway</body></html>", content_type="text/html"),
        Raw(b"\xff\xfe\x00garbage\x80\x81", content_type="application/octet-stream"),
        Raw(b'{"model": "qwen2.5vl:3b", "message": 42}'),
        Raw(b"", status=200),
    ],
    ids=["html", "binary", "wrong-shape", "empty"],
)
async def test_garbage_http_answers_mean_the_model_is_unavailable(
    fake_ollama: FakeOllama, pool: VisionHostPool, garbage: Raw
) -> None:
    fake_ollama.queue(garbage, garbage)
    with pytest.raises(VisionUnavailable):
        await captioner(pool, RecordingReader()).caption(prepared())


async def test_deeply_nested_json_is_not_a_crash(
    fake_ollama: FakeOllama, pool: VisionHostPool
) -> None:
    nested = "[" * 100_000 + "]" * 100_000
    fake_ollama.queue(nested, nested)
    with pytest.raises(VisionUnavailable, match="nothing readable"):
        await captioner(pool, RecordingReader()).caption(prepared())


async def test_an_oversized_description_is_cut_and_cleaned(
    fake_ollama: FakeOllama, pool: VisionHostPool
) -> None:
    answer = dict(STRUCTURED_ANSWERS["party"])
    answer["description"] = "Loud\x00 lights\u200b and " + "dancing crowds " * 20_000
    answer["mood_words"] = ["eu\u200bphoric", "wild\x07", "joyful"]
    fake_ollama.queue(answer)
    caption = await captioner(pool, RecordingReader()).caption(prepared())
    assert len(caption.description) <= MAX_DESCRIPTION_CHARS
    assert caption.description.startswith("Loud lights and dancing crowds")
    assert caption.mood_words == ("euphoric", "wild", "joyful")


async def test_an_endless_prose_answer_is_read_from_its_start(
    fake_ollama: FakeOllama, pool: VisionHostPool
) -> None:
    prose = "A calm grey lake at dawn. " + "The water is still. " * 100_000  # ~2 MB
    fake_ollama.queue(prose, prose)
    reader = RecordingReader()
    caption = await captioner(pool, reader).caption(prepared())
    assert caption.source == "prose"
    assert caption.description.startswith("A calm grey lake at dawn.")
    assert len(caption.description) <= MAX_DESCRIPTION_CHARS
    assert reader.texts and all(len(text) <= 4000 for text in reader.texts)
    assert json.dumps(caption.description)  # storable as it is
