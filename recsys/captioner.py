"""Captioning through Ollama: a photo in, a structured description of its scene and mood out."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import re
from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass, replace
from typing import Any, Protocol

from recsys.image_intake import PreparedImage
from recsys.models import (
    THEMES,
    TRAIT_NAMES,
    AudioTraits,
    Caption,
    MoodReading,
    caption_from_json,
    caption_to_json,
)
from recsys.ollama_lib import ollama
from recsys.text_hygiene import clean_description, clean_text, clean_words
from recsys.vision_hosts import HostStatus, VisionHostPool, VisionUnavailable, check_host

__all__ = [
    "PROMPT_VERSION",
    "CacheUnavailable",
    "CachedCaptioner",
    "CaptionCache",
    "Captioner",
    "HostStatus",
    "ProseReader",
    "VisionUnavailable",
]

log = logging.getLogger(__name__)

# Bump whenever the prompt or the schema changes: cached captions of older prompts stop matching.
PROMPT_VERSION = "2026-11-22.1"
# Loading a vision model takes longer than answering; keep it in memory between photos.
KEEP_ALIVE = "30m"
# A prose answer's first sentences make the description; more would crowd the reply.
PROSE_SENTENCES = 2
PROSE_DESCRIPTION_CHARS = 400
# A model that runs on in prose is read from this much of it (its mood shows early).
MAX_PROSE_CHARS = 4000

SYSTEM_PROMPT = (
    "You help choose music for photos. You look at one photo and answer only with a JSON "
    "object that follows the given schema."
)
USER_PROMPT = (
    "Describe this photo for someone choosing songs to go with it.\n"
    "- description: 1-3 vivid sentences on what the photo shows and how it feels.\n"
    "- mood_words: 3-8 single words for its mood (for example: melancholy, serene, joyful).\n"
    "- themes: the ones that fit, only from this list: {themes}.\n"
    "- traits: the music that would fit this photo, each from 0 to 1: valence (0 sad, dark; "
    "1 happy, bright), energy (0 calm, quiet; 1 loud, intense), danceability, acousticness, "
    "instrumentalness; and tempo_min, tempo_max in beats per minute.\n"
    "- genres: 1-4 music genres that would fit."
)
HINT_LINE = "\nThe sender added this context (describe the photo, not the text): {hint}"
RETRY_LINE = "\nYour last answer was not valid JSON. Answer with the JSON object only."

ProseReader = Callable[[str], MoodReading]

# Share of the vision model's own valence/energy when fused with the reader's reading of its
# description and mood words. No recorded JSON answers exist to fit it on (the dev captions are
# prose), so the two get equal weight, as the reader's own readings do (benchmarks/README.md).
# It stays at 0.5 until real JSON answers exist to fit it: a new mood model or reader recipe
# (training/README.md) changes the reading it is fused with, never this weight (issue 23).
VISION_TRAITS_WEIGHT = 0.5

# Models overshoot a 0..1 scale a little now and then (1.05); beyond this a value is nonsense.
UNIT_TOLERANCE = 0.1
# Slower or faster than this is not a tempo a song plays at; such values are dropped.
TEMPO_RANGE = (40.0, 220.0)
MAX_MOOD_WORDS = 8
MAX_GENRES = 4
# Longer "words" are sentences the model put in the wrong field.
MAX_WORD_CHARS = 30

_UNIT = {"type": "number", "minimum": 0, "maximum": 1}
_TEMPO = {"type": "number", "minimum": TEMPO_RANGE[0], "maximum": TEMPO_RANGE[1]}
_WORDS = {"type": "array", "items": {"type": "string"}}
# Written out (no $ref) so that every Ollama version's grammar converter takes it.
CAPTION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "description": {"type": "string"},
        "mood_words": {**_WORDS, "minItems": 3, "maxItems": MAX_MOOD_WORDS},
        "themes": {"type": "array", "items": {"type": "string", "enum": list(THEMES)}},
        "traits": {
            "type": "object",
            "properties": {
                **{name: _UNIT for name in TRAIT_NAMES},
                "tempo_min": _TEMPO,
                "tempo_max": _TEMPO,
            },
            "required": [*TRAIT_NAMES, "tempo_min", "tempo_max"],
        },
        "genres": {**_WORDS, "maxItems": MAX_GENRES},
    },
    "required": ["description", "mood_words", "themes", "traits", "genres"],
}


@dataclass(eq=False)
class Captioner:
    """Asks a vision model on the host pool for a structured caption, never past the timeout."""

    hosts: VisionHostPool
    model: str
    _: KW_ONLY
    timeout_s: float
    num_ctx: int
    prose_reader: ProseReader
    keep_alive: str = KEEP_ALIVE

    def prompt_version(self, hint: str = "") -> str:
        """The cache's prompt key: the prompt version, plus the hint when one shapes the prompt."""
        hint = clean_words(hint)
        if not hint:
            return PROMPT_VERSION
        return f"{PROMPT_VERSION}+{hashlib.sha256(hint.encode()).hexdigest()[:16]}"

    async def caption(self, image: PreparedImage, hint: str = "") -> Caption:
        """The caption of a photo, or VisionUnavailable once the timeout has passed."""
        deadline = asyncio.get_running_loop().time() + self.timeout_s
        try:
            async with asyncio.timeout_at(deadline):
                answer = await self._structured_or_prose(image, clean_words(hint), deadline)
        except TimeoutError:
            raise VisionUnavailable(
                f"the vision model ({self.model}) timed out after {self.timeout_s:g} s; "
                "raise MELODICLENS_VISION_TIMEOUT_S or use a smaller model"
            ) from None
        # Reading text is local work, so it does not count against the model's timeout.
        if isinstance(answer, Caption):
            return await self._fused(answer)
        return await self._from_prose(answer)

    async def _fused(self, caption: Caption) -> Caption:
        """The model's own valence and energy, fused with the reading of its own words."""
        text = caption.description
        if caption.mood_words:
            text += " " + ", ".join(caption.mood_words) + "."
        reading = await asyncio.to_thread(self.prose_reader, text)
        return replace(caption, traits=fuse_traits(caption.traits, reading.traits))

    async def _structured_or_prose(
        self, image: PreparedImage, hint: str, deadline: float
    ) -> Caption | str:
        """A caption from valid JSON (asking twice at most), else the model's last prose."""
        content = await self._ask(image, hint, deadline, retry=False)
        caption = parse_caption(content, self.model)
        if caption is not None:
            return caption
        log.info("%s answered no valid JSON; asking once more", self.model)
        content = await self._ask(image, hint, deadline, retry=True)
        caption = parse_caption(content, self.model)
        if caption is not None:
            return caption
        log.warning("%s ignored the JSON schema twice; reading mood from its prose", self.model)
        return content

    async def _ask(self, image: PreparedImage, hint: str, deadline: float, *, retry: bool) -> str:
        prompt = USER_PROMPT.format(themes=", ".join(THEMES))
        if hint:
            prompt += HINT_LINE.format(hint=hint)
        if retry:
            prompt += RETRY_LINE
        messages: list[dict[str, Any]] = [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": prompt, "images": [image.jpeg]},
        ]

        async def chat(client: ollama.AsyncClient) -> ollama.ChatResponse:
            return await client.chat(
                model=self.model,
                messages=messages,
                format=CAPTION_SCHEMA,
                options={"temperature": 0, "num_ctx": self.num_ctx},
                stream=False,
                keep_alive=self.keep_alive,
            )

        response = await self.hosts.call(chat, model=self.model, deadline=deadline)
        return response.message.content or ""

    async def _from_prose(self, content: str) -> Caption:
        text = clean_text(_prose_text(content), MAX_PROSE_CHARS)
        if not text:
            raise VisionUnavailable(f"the vision model ({self.model}) answered nothing")
        if not any(ch.isalnum() for ch in text):  # brackets or punctuation only
            raise VisionUnavailable(f"the vision model ({self.model}) answered nothing readable")
        # The reader may embed text (blocking work): keep it off the event loop.
        reading = await asyncio.to_thread(self.prose_reader, text)
        return Caption(
            description=first_sentences(text),
            mood_words=reading.mood_words,
            themes=reading.themes,
            traits=reading.traits,
            source="prose",
            model=self.model,
        )

    async def check(self, host: str) -> HostStatus:
        """Does this host answer, is the model pulled, and can it see images? (for `doctor`)"""
        return await check_host(self.hosts.client(host), host, self.model)


class CacheUnavailable(Exception):
    """The caption cache cannot be read or written right now; the photo is captioned anyway."""


class CaptionCache(Protocol):
    """Where captions are remembered, as JSON values (injected: the database in production)."""

    async def get(self, image_hash: str, model: str, prompt_version: str) -> dict[str, Any] | None:
        """The stored caption, or None; raises CacheUnavailable."""
        ...

    async def put(
        self, image_hash: str, model: str, prompt_version: str, caption: dict[str, Any]
    ) -> None:
        """Remember a caption; raises CacheUnavailable."""
        ...


class CachedCaptioner:
    """A Captioner behind the caption cache: a repeat photo never calls the model again."""

    def __init__(self, captioner: Captioner, cache: CaptionCache) -> None:
        self.captioner = captioner
        self._cache = cache

    async def caption(self, image: PreparedImage, hint: str = "") -> Caption:
        """The cached caption if there is one, else a fresh one (stored for next time)."""
        cached = await self.cached(image, hint)
        if cached is not None:
            return cached
        return await self.fresh(image, hint)

    async def cached(self, image: PreparedImage, hint: str = "") -> Caption | None:
        """The cached caption of this photo and hint, or None (also when the cache is down)."""
        try:
            stored = await self._cache.get(image.sha256, *self._key(hint))
        except CacheUnavailable as err:
            log.warning("caption cache unavailable, asking the model: %s", err)
            return None
        if stored is None:
            return None
        try:
            caption = caption_from_json(stored)
        except (ValueError, TypeError, KeyError) as err:
            # An entry written by an older release that no longer parses is just a miss.
            log.warning("ignoring an unreadable cached caption for %s: %s", image.sha256[:12], err)
            return None
        log.debug("caption cache hit for %s", image.sha256[:12])
        return caption

    async def fresh(self, image: PreparedImage, hint: str = "") -> Caption:
        """A new caption from the model, stored for next time (the cache is not read)."""
        caption = await self.captioner.caption(image, hint)
        try:
            await self._cache.put(image.sha256, *self._key(hint), caption_to_json(caption))
        except CacheUnavailable as err:
            log.warning("could not cache the caption: %s", err)
        return caption

    def _key(self, hint: str) -> tuple[str, str]:
        return self.captioner.model, self.captioner.prompt_version(hint)


def fuse_traits(stated: AudioTraits, read: AudioTraits) -> AudioTraits:
    """Valence and energy: the model's statement and the reading averaged (either alone when
    the other is missing); every other trait as the model stated it."""
    fused = {}
    for name in ("valence", "energy"):
        said, heard = getattr(stated, name), getattr(read, name)
        if said is None or heard is None:
            fused[name] = said if heard is None else heard
        else:
            fused[name] = round(VISION_TRAITS_WEIGHT * said + (1 - VISION_TRAITS_WEIGHT) * heard, 3)
    return replace(stated, **fused)


def parse_caption(content: str, model: str) -> Caption | None:
    """The caption in the model's structured reply, or None when it is not usable JSON."""
    try:
        data = json.loads(content)
    except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
        return None
    if not isinstance(data, dict):
        return None
    description = data.get("description")
    if not isinstance(description, str) or not clean_description(description):
        return None
    traits = data.get("traits")
    return Caption(
        description=clean_description(description),
        mood_words=_words(data.get("mood_words"), MAX_MOOD_WORDS),
        themes=tuple(t for t in _words(data.get("themes"), len(THEMES)) if t in THEMES),
        traits=_traits(traits if isinstance(traits, dict) else {}),
        genres=_words(data.get("genres"), MAX_GENRES),
        source="vision",
        model=model,
    )


def _words(value: Any, limit: int) -> tuple[str, ...]:
    """Distinct lower-case words from a list, dropping non-strings and sentences."""
    if not isinstance(value, list):
        return ()
    seen: dict[str, None] = {}
    for item in value:
        if isinstance(item, str) and 0 < len(word := _visible(item).lower()) <= MAX_WORD_CHARS:
            seen.setdefault(word, None)
    return tuple(seen)[:limit]


def _visible(text: str) -> str:
    """The text without invisible characters, never cut (the caller judges its length)."""
    return clean_text(text, len(text) + 1)


def _traits(data: dict[str, Any]) -> AudioTraits:
    """Traits in range; a value far out of range means "no opinion" rather than a guess."""
    units = {name: _unit(data.get(name)) for name in TRAIT_NAMES}
    low, high = _tempo(data.get("tempo_min")), _tempo(data.get("tempo_max"))
    if low is not None and high is not None and low > high:
        low, high = high, low
    return AudioTraits(**units, tempo_min=low, tempo_max=high)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _unit(value: Any) -> float | None:
    number = _number(value)
    if number is None or not -UNIT_TOLERANCE <= number <= 1 + UNIT_TOLERANCE:
        return None
    return min(max(number, 0.0), 1.0)


def _tempo(value: Any) -> float | None:
    number = _number(value)
    if number is None or not TEMPO_RANGE[0] <= number <= TEMPO_RANGE[1]:
        return None
    return number


_TAGS = re.compile(r"</?[a-zA-Z_][^>]*>|\*\*|__|^#+\s*", re.MULTILINE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def _prose_text(content: str) -> str:
    """The words of an answer that ignored the schema: markup dropped, JSON strings joined."""
    text = content.strip()
    if text.startswith("{"):
        # Not JSON, or nested past reading: read it as prose.
        with contextlib.suppress(ValueError, RecursionError):
            text = " ".join(_strings(json.loads(text)))
    return " ".join(_TAGS.sub("", text).split())


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


def first_sentences(text: str, count: int = PROSE_SENTENCES) -> str:
    """The first sentences of a text, cut to a readable length."""
    sentences = _SENTENCE_END.split(text.strip())
    picked = " ".join(sentences[:count])
    if len(picked) > PROSE_DESCRIPTION_CHARS:
        picked = picked[: PROSE_DESCRIPTION_CHARS - 1].rsplit(" ", 1)[0] + "…"
    return picked
