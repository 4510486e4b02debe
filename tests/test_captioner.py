"""The captioner against a local fake Ollama: answers, retries, fallbacks, errors and the cache."""

from __future__ import annotations

import base64
import io
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import ollama
import pytest
from PIL import Image

from db.pool import Database
from handlers.stores import DatabaseCaptionCache
from recsys.captioner import (
    CAPTION_SCHEMA,
    KEEP_ALIVE,
    PROMPT_VERSION,
    CachedCaptioner,
    Captioner,
    VisionUnavailable,
    parse_caption,
)
from recsys.image_intake import ImageLimits, PreparedImage, prepare_image
from recsys.models import THEMES, AudioTraits, MoodReading
from recsys.vision_hosts import VisionHostPool
from support.fakes.fake_ollama import (
    DEFAULT_MODEL,
    STRUCTURED_ANSWERS,
    Failure,
    FakeOllama,
    Reply,
    closed_port_url,
    load_recorded_captions,
)

MISTY = STRUCTURED_ANSWERS["misty_lake"]
# A hung model answers after 30 s; a call cut at its 1 s timeout ends well before this, even
# on a loaded CI machine (this checks the cut, not the speed).
HUNG_MODEL_BOUND_S = 10.0


def picture(seed: int = 0) -> Image.Image:
    """A small distinct picture per seed."""
    image = Image.new("RGB", (96, 64))
    image.putdata([((x * 3 + seed) % 256, (y * 4) % 256, 90) for y in range(64) for x in range(96)])
    return image


def prepared(seed: int = 0, fmt: str = "PNG") -> PreparedImage:
    """The picture as intake hands it to the captioner."""
    out = io.BytesIO()
    picture(seed).save(out, fmt)
    return prepare_image(out.getvalue(), ImageLimits())


class StubReader:
    """Stands in for MoodReader: records what it was asked and answers a fixed reading."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def __call__(self, text: str) -> MoodReading:
        self.texts.append(text)
        return MoodReading(
            mood_words=("gloomy",),
            themes=("sadness",),
            traits=AudioTraits(valence=0.2, energy=0.3),
            confidence=0.6,
        )


MakeCaptioner = Callable[..., Captioner]


@pytest.fixture
async def make_captioner() -> AsyncIterator[MakeCaptioner]:
    """Builds captioners on given hosts and closes their HTTP clients afterwards."""
    pools: list[VisionHostPool] = []

    def build(
        *urls: str,
        timeout_s: float = 5.0,
        reader: Callable[[str], MoodReading] | None = None,
        model: str = DEFAULT_MODEL,
    ) -> Captioner:
        pool = VisionHostPool(urls, timeout_s=timeout_s, rest_s=30.0)
        pools.append(pool)
        return Captioner(
            pool, model, timeout_s=timeout_s, num_ctx=4096, prose_reader=reader or StubReader()
        )

    yield build
    for pool in pools:
        await pool.close()


async def unavailable(call: Awaitable[object]) -> str:
    """The reason of the VisionUnavailable that `call` raises."""
    with pytest.raises(VisionUnavailable) as caught:
        await call
    return caught.value.reason


# --- structured answers -----------------------------------------------------------------------


async def test_structured_answer_becomes_a_caption(
    fake_ollama: FakeOllama, make_captioner: MakeCaptioner
) -> None:
    image = prepared()
    caption = await make_captioner(fake_ollama.url).caption(image)
    assert caption.source == "vision" and caption.model == DEFAULT_MODEL
    assert caption.description.startswith("A still lake under low morning mist")
    assert caption.mood_words == ("calm", "serene", "misty", "quiet", "reflective")
    assert caption.themes == ("nature", "calm", "meditation")
    # the model's 0.35 / 0.15 averaged with the (stub) reading of its words, 0.2 / 0.3
    assert caption.traits.valence == 0.275 and caption.traits.energy == 0.225
    assert caption.traits.tempo_max == 90 and caption.traits.acousticness == 0.85
    assert caption.genres == ("ambient", "acoustic", "folk")


# Recorded-style structured answers (fictional, written for these tests) whose stated traits
# disagree with their own words: a model that rates every photo middling.
FLAT_TRAITS = {
    "valence": 0.5, "energy": 0.5, "danceability": 0.5, "acousticness": 0.5,
    "instrumentalness": 0.2, "tempo_min": 80, "tempo_max": 130,
}  # fmt: skip
FLAT_SAD = {
    "description": "An old man sits alone on a wet bench in the rain, grey street, nobody "
    "around. Lonely and heavy.",
    "mood_words": ["lonely", "sad", "gloomy"],
    "themes": ["sadness"],
    "traits": FLAT_TRAITS,
    "genres": ["blues"],
}
FLAT_PARTY = {
    "description": "Friends dancing at a birthday party, confetti in the air, everyone "
    "laughing and cheering.",
    "mood_words": ["joyful", "wild", "euphoric"],
    "themes": ["party"],
    "traits": FLAT_TRAITS,
    "genres": ["dance pop"],
}


async def test_structured_traits_are_fused_with_the_reading_of_its_words(
    fake_ollama: FakeOllama, make_captioner: MakeCaptioner
) -> None:
    reader = StubReader()
    fake_ollama.queue(json.dumps(FLAT_SAD))
    caption = await make_captioner(fake_ollama.url, reader=reader).caption(prepared())
    assert reader.texts == [FLAT_SAD["description"] + " lonely, sad, gloomy."]
    assert caption.source == "vision"
    assert caption.traits.valence == 0.35 and caption.traits.energy == 0.4
    assert caption.traits.danceability == 0.5 and caption.traits.tempo_min == 80


async def test_a_missing_stated_trait_comes_from_the_reading(
    fake_ollama: FakeOllama, make_captioner: MakeCaptioner
) -> None:
    answer = {**FLAT_SAD, "traits": {**FLAT_TRAITS, "valence": 7.5}}  # nonsense: no opinion
    fake_ollama.queue(json.dumps(answer))
    caption = await make_captioner(fake_ollama.url).caption(prepared())
    assert caption.traits.valence == 0.2 and caption.traits.energy == 0.4


async def test_fusion_with_the_real_reader_tells_sad_from_party(
    fake_ollama: FakeOllama, make_captioner: MakeCaptioner, embedder: object
) -> None:
    from recsys.mood_reader import MoodReader

    reader = MoodReader(embedder)  # type: ignore[arg-type]
    captioner = make_captioner(fake_ollama.url, reader=reader.read)
    fake_ollama.queue(json.dumps(FLAT_SAD))
    sad = await captioner.caption(prepared(1))
    fake_ollama.queue(json.dumps(FLAT_PARTY))
    party = await captioner.caption(prepared(2))
    assert sad.traits.valence is not None and party.traits.valence is not None
    assert sad.traits.energy is not None and party.traits.energy is not None
    assert sad.traits.valence < 0.45 < 0.55 < party.traits.valence
    assert sad.traits.energy < party.traits.energy


async def test_request_carries_image_schema_and_options(
    fake_ollama: FakeOllama, make_captioner: MakeCaptioner
) -> None:
    image = prepared()
    await make_captioner(fake_ollama.url).caption(image, hint="our trip to Norway")
    [request] = fake_ollama.chat_requests
    body = request.body
    assert request.images == [image.jpeg]
    assert body["format"] == CAPTION_SCHEMA
    assert body["options"] == {"temperature": 0, "num_ctx": 4096}
    assert body["stream"] is False and body["keep_alive"] == KEEP_ALIVE
    prompt = body["messages"][-1]["content"]
    assert "our trip to Norway" in prompt and ", ".join(THEMES) in prompt
    assert CAPTION_SCHEMA["properties"]["themes"]["items"]["enum"] == list(THEMES)


async def test_invalid_json_is_retried_once(
    fake_ollama: FakeOllama, make_captioner: MakeCaptioner
) -> None:
    fake_ollama.queue('{"description": "A dance floor, lights', STRUCTURED_ANSWERS["party"])
    caption = await make_captioner(fake_ollama.url).caption(prepared())
    assert caption.source == "vision" and "dance floor" in caption.description
    assert len(fake_ollama.chat_requests) == 2
    assert "not valid JSON" in fake_ollama.chat_requests[1].body["messages"][-1]["content"]


def test_out_of_range_values_are_clamped_or_dropped() -> None:
    answer = {
        "description": "  A  foggy pier. ",
        "mood_words": ["Calm", "calm", " lonely ", 7, "a whole sentence that is not a word at all"],
        "themes": ["calm", "Sadness", "rainy-day"],
        "traits": {"valence": 1.05, "energy": 7, "danceability": -0.5, "acousticness": "high",
                   "instrumentalness": 0.4, "tempo_min": 120, "tempo_max": 80},
        "genres": ["ambient"] * 9,
    }  # fmt: skip
    caption = parse_caption(json.dumps(answer), "m")
    assert caption is not None
    assert caption.description == "A foggy pier."
    assert caption.mood_words == ("calm", "lonely")
    assert caption.themes == ("calm", "sadness")
    traits = caption.traits
    assert traits.valence == 1.0 and traits.energy is None and traits.danceability is None
    assert traits.acousticness is None and traits.instrumentalness == 0.4
    assert (traits.tempo_min, traits.tempo_max) == (80, 120)
    assert caption.genres == ("ambient",)


@pytest.mark.parametrize(
    "content", ["", "[1, 2]", '{"mood_words": ["sad"]}', '{"description": ""}']
)
def test_answers_without_a_description_are_invalid(content: str) -> None:
    assert parse_caption(content, "m") is None


# --- prose fallback ---------------------------------------------------------------------------

PROSE = (
    "<image_description>\nOkay, so this one is **moody**! A man sits alone on a bench in the "
    "rain. The street is grey and empty. It feels lonely.\n</image_description>"
)


async def test_prose_answer_is_read_for_mood(
    fake_ollama: FakeOllama, make_captioner: MakeCaptioner
) -> None:
    fake_ollama.queue(PROSE, PROSE)
    reader = StubReader()
    caption = await make_captioner(fake_ollama.url, reader=reader).caption(prepared())
    assert len(fake_ollama.chat_requests) == 2
    assert caption.source == "prose"
    assert (
        caption.description
        == "Okay, so this one is moody! A man sits alone on a bench in the rain."
    )
    assert reader.texts == [
        "Okay, so this one is moody! A man sits alone on a bench in the rain. "
        "The street is grey and empty. It feels lonely."
    ]
    assert caption.traits.valence == 0.2 and caption.mood_words == ("gloomy",)


async def test_prose_fallback_with_the_real_mood_reader(
    fake_ollama: FakeOllama, make_captioner: MakeCaptioner, embedder: object
) -> None:
    mood_reader = pytest.importorskip("recsys.mood_reader")
    reader = mood_reader.MoodReader(embedder)
    reader.warm()
    records = {(r.image, r.vlm): r for r in load_recorded_captions()}
    sad = records.get(("sadman.jpg", "LLaVA_7B"))
    party = records.get(("nightparty.jpeg", "LLaVA_7B"))
    assert sad is not None and party is not None
    captioner = make_captioner(fake_ollama.url, reader=reader.read)
    fake_ollama.replay([sad, sad])
    sad_caption = await captioner.caption(prepared(1))
    fake_ollama.replay([party, party])
    party_caption = await captioner.caption(prepared(2))
    assert sad_caption.source == party_caption.source == "prose"
    assert sad_caption.traits.valence is not None and party_caption.traits.valence is not None
    assert sad_caption.traits.valence < party_caption.traits.valence
    assert (sad_caption.traits.energy or 0) < (party_caption.traits.energy or 0)


async def test_every_recorded_caption_replays_into_a_caption(
    fake_ollama: FakeOllama, make_captioner: MakeCaptioner
) -> None:
    records = load_recorded_captions()
    reader = StubReader()
    captioner = make_captioner(fake_ollama.url, reader=reader)
    for record in records:
        fake_ollama.replay([record, record])
        caption = await captioner.caption(prepared())
        assert caption.source == "prose"
        assert caption.description and len(caption.description) <= 400
        assert caption.description.split()[0] in record.caption
    assert len(reader.texts) == len(records)
    assert len(fake_ollama.chat_requests) == 2 * len(records)


async def test_empty_answers_mean_unavailable(
    fake_ollama: FakeOllama, make_captioner: MakeCaptioner
) -> None:
    fake_ollama.queue("", "  ")
    reason = await unavailable(make_captioner(fake_ollama.url).caption(prepared()))
    assert reason == f"the vision model ({DEFAULT_MODEL}) answered nothing"


# --- errors -----------------------------------------------------------------------------------


async def test_missing_model_says_how_to_pull_it(make_captioner: MakeCaptioner) -> None:
    async with FakeOllama(models=["llava:7b"]) as other:
        reason = await unavailable(make_captioner(other.url).caption(prepared()))
    assert reason == (
        f"model {DEFAULT_MODEL} is not pulled on {other.url}: run `ollama pull {DEFAULT_MODEL}`"
    )


async def test_slow_model_gives_up_at_the_timeout(
    fake_ollama: FakeOllama, make_captioner: MakeCaptioner
) -> None:
    fake_ollama.delay_s = 30.0
    started = time.monotonic()
    reason = await unavailable(make_captioner(fake_ollama.url, timeout_s=1.0).caption(prepared()))
    elapsed = time.monotonic() - started
    # Cut at the 1 s timeout, not the model's 30 s: the bound is loose on purpose (a busy CI
    # machine), and still far below the hang it guards against.
    assert elapsed < HUNG_MODEL_BOUND_S
    assert "timed out after 1" in reason


async def test_slow_retry_still_ends_at_the_timeout(
    fake_ollama: FakeOllama, make_captioner: MakeCaptioner
) -> None:
    # The first answer is quick but broken; the retry hangs. The whole call stays bounded.
    fake_ollama.queue("{broken", Reply(STRUCTURED_ANSWERS["party"], delay_s=30.0))
    started = time.monotonic()
    await unavailable(make_captioner(fake_ollama.url, timeout_s=1.0).caption(prepared()))
    assert time.monotonic() - started < HUNG_MODEL_BOUND_S
    assert len(fake_ollama.chat_requests) == 2


async def test_server_error_is_unavailable(
    fake_ollama: FakeOllama, make_captioner: MakeCaptioner
) -> None:
    fake_ollama.failure = Failure(500, "llama runner process has terminated: signal: killed")
    reason = await unavailable(make_captioner(fake_ollama.url).caption(prepared()))
    assert reason == (
        f"Ollama at {fake_ollama.url} failed (500): "
        "llama runner process has terminated: signal: killed"
    )


async def test_unreachable_host_says_to_start_ollama(make_captioner: MakeCaptioner) -> None:
    url = closed_port_url()
    reason = await unavailable(make_captioner(url).caption(prepared()))
    assert reason == (
        f"cannot reach Ollama at {url}: is it running? Start it with `ollama serve` "
        "(or fix OLLAMA_HOST)"
    )


# --- the cache --------------------------------------------------------------------------------


async def test_repeat_photo_is_answered_from_the_cache(
    db: Database, make_captioner: MakeCaptioner
) -> None:
    async with FakeOllama() as first:
        cached = CachedCaptioner(make_captioner(first.url), DatabaseCaptionCache(db.pool))
        fresh = await cached.caption(prepared(5, "PNG"))
        assert len(first.chat_requests) == 1
    # A new process, the same photo re-sent as another lossless file: the model is not asked.
    async with FakeOllama() as second:
        again = await CachedCaptioner(
            make_captioner(second.url), DatabaseCaptionCache(db.pool)
        ).caption(prepared(5, "BMP"))
        assert second.requests == []
    assert again == fresh


async def test_cache_is_keyed_by_model_prompt_and_hint(
    db: Database, fake_ollama: FakeOllama, make_captioner: MakeCaptioner
) -> None:
    async with FakeOllama(models=["llava:7b"]) as llava:
        image = prepared(6)
        await CachedCaptioner(
            make_captioner(fake_ollama.url), DatabaseCaptionCache(db.pool)
        ).caption(image)
        await CachedCaptioner(
            make_captioner(llava.url, model="llava:7b"), DatabaseCaptionCache(db.pool)
        ).caption(image)
        await CachedCaptioner(
            make_captioner(fake_ollama.url), DatabaseCaptionCache(db.pool)
        ).caption(image, hint="at dusk")
        assert len(fake_ollama.chat_requests) == 2 and len(llava.chat_requests) == 1
    async with db.pool.acquire() as conn:
        versions = await conn.fetch("SELECT model, prompt_version FROM caption_cache")
    assert {row["model"] for row in versions} == {DEFAULT_MODEL, "llava:7b"}
    assert all(row["prompt_version"].startswith(PROMPT_VERSION) for row in versions)


async def test_failures_are_not_cached(
    db: Database, fake_ollama: FakeOllama, make_captioner: MakeCaptioner
) -> None:
    fake_ollama.failure = Failure(503, "busy")
    cached = CachedCaptioner(make_captioner(fake_ollama.url), DatabaseCaptionCache(db.pool))
    await unavailable(cached.caption(prepared(7)))
    fake_ollama.failure = None
    caption = await cached.caption(prepared(7))
    assert caption.source == "vision" and len(fake_ollama.chat_requests) == 2


# --- doctor checks ----------------------------------------------------------------------------


async def test_check_reports_a_ready_host(
    fake_ollama: FakeOllama, make_captioner: MakeCaptioner
) -> None:
    status = await make_captioner(fake_ollama.url).check(fake_ollama.url)
    assert status.ok and status.reachable and status.model_pulled and status.sees_images


async def test_check_reports_a_missing_model(make_captioner: MakeCaptioner) -> None:
    async with FakeOllama(models=["llava:7b"]) as other:
        status = await make_captioner(other.url).check(other.url)
    assert status.reachable and not status.model_pulled
    assert status.problem == (
        f"model {DEFAULT_MODEL} is not pulled on {other.url}: run `ollama pull {DEFAULT_MODEL}`"
    )


async def test_check_reports_a_model_that_cannot_see(make_captioner: MakeCaptioner) -> None:
    async with FakeOllama(models=["phi4:14b"], capabilities=["completion"]) as other:
        status = await make_captioner(other.url, model="phi4:14b").check(other.url)
    assert status.sees_images is False
    assert status.problem is not None and "cannot see images" in status.problem


async def test_check_reports_a_host_that_is_down(make_captioner: MakeCaptioner) -> None:
    url = closed_port_url()
    status = await make_captioner(url).check(url)
    assert not status.reachable
    assert status.problem is not None and "`ollama serve`" in status.problem


async def test_fake_refuses_what_ollama_refuses(fake_ollama: FakeOllama) -> None:
    client = ollama.AsyncClient(host=fake_ollama.url, timeout=5)
    not_an_image = base64.b64encode(b"hello").decode()
    with pytest.raises(ollama.ResponseError) as caught:
        await client.chat(
            DEFAULT_MODEL, [{"role": "user", "content": "hi", "images": [not_an_image]}]
        )
    assert caught.value.status_code == 400
    await client._client.aclose()
