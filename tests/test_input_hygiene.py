"""Input hygiene (issue 10, finding 8): invisible characters are dropped, words and
descriptions are capped, and odd bytes in the words never cost the listener their answer."""

from __future__ import annotations

import pytest

from bot.app import build_bot_service, build_pipeline
from bot.settings import load_settings
from db.pool import Database
from db.recommendations import load_recommendation
from handlers.notifier import LogNotifier
from handlers.replies import ChatContext, VibeAsk
from handlers.service import DefaultBotService
from handlers.texts import SORRY
from recsys.embedder import Embedder
from recsys.text_hygiene import MAX_WORDS_CHARS, clean_text, clean_words
from support.fakes.fake_ollama import closed_port_url

CAROL = ChatContext("telegram", "3003", "3003", "carol")


@pytest.fixture
def service(catalog: dict[str, int], database: Database, embedder: Embedder) -> DefaultBotService:
    settings = load_settings(
        None, OLLAMA_HOST=closed_port_url(), MELODICLENS_RATE_LIMIT_PER_MINUTE=99
    )
    return build_bot_service(
        settings, database, build_pipeline(settings, database, embedder), LogNotifier()
    )


def test_invisible_characters_go_and_whitespace_collapses() -> None:
    assert clean_words("rainy\x00 sunday\u200b,\u200d\ufeff\t\n quiet\ud800\x1b[31m") == (
        "rainy sunday, quiet[31m"
    )


def test_zero_width_only_text_is_no_words() -> None:
    assert clean_words("\u200b\u200c\u200d\u2060\ufeff \x00") == ""


def test_long_text_is_cut_at_a_word() -> None:
    cut = clean_text("calm lake " * 100, 50)
    assert len(cut) <= 50 and cut.endswith("…") and "calm lake calm" in cut
    assert " " not in cut[-3:-1]  # no half word left before the ellipsis


@pytest.mark.parametrize(
    "words",
    ["sunny\x00 beach", "sunny beach \ud83d", "\ufeffsunny\u200b beach\x7f"],
    ids=["nul", "lone-surrogate", "invisible"],
)
async def test_odd_characters_in_the_words_still_get_an_answer(
    service: DefaultBotService, database: Database, words: str
) -> None:
    reply = await service.vibe(CAROL, VibeAsk(words=words))
    assert reply.kind == "answer", reply.text
    assert reply.recommendation is not None and reply.recommendation.recommendation_id
    stored = await load_recommendation(database.pool, reply.recommendation.recommendation_id)
    assert stored is not None and stored.query["words"] == "sunny beach"


async def test_zero_width_words_alone_ask_for_a_photo_or_words(service: DefaultBotService) -> None:
    reply = await service.vibe(CAROL, VibeAsk(words="\u200b\u200b\u200d"))
    assert reply.kind == "error" and reply.text == SORRY["nothing"]


async def test_words_are_capped_before_they_are_stored(
    service: DefaultBotService, database: Database
) -> None:
    reply = await service.vibe(CAROL, VibeAsk(words="rainy quiet night " * 5_000))
    assert reply.kind == "answer" and reply.recommendation is not None
    stored = await load_recommendation(database.pool, reply.recommendation.recommendation_id)
    assert stored is not None and len(stored.query["words"]) <= MAX_WORDS_CHARS
