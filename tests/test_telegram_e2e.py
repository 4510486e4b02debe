"""Telegram end to end with the real BotService: fake Bot API, fake Ollama, real PostgreSQL."""

from __future__ import annotations

import re

import pytest

from support.catalog_fixture import fake_spotify_id
from support.fakes.fake_telegram import FakeTelegram, jpeg, private_chat, user

pytestmark = pytest.mark.asyncio(loop_scope="session")

ANA = user(3001, "Ana")
BEN = user(3002, "Ben")
CAT = user(3003, "Cat")
# What the vision model sees in every photo (conftest's `stack` and `telegram`).
VISION_ANSWER = "party"
TRACK_LINK = re.compile(r'<a href="https://open\.spotify\.com/track/(\w{22})">([^<]+)</a>')


async def test_party_photo_answer_then_thumbs_down_changes_the_next_answer(
    telegram: FakeTelegram, catalog: dict[str, int]
):
    catalog_ids = {fake_spotify_id(n) for n in range(len(catalog))}
    chat = private_chat(ANA)
    photo = telegram.photo(chat, ANA, "birthday night", color=(230, 40, 160))
    first = await telegram.next_sent(within_s=60)
    assert first.reply_to == photo["message_id"] and first.parse_mode == "HTML"
    assert first.text.startswith("🎧 <b>")
    shown = TRACK_LINK.findall(first.text)
    assert len(shown) == 3 and {sid for sid, _ in shown} <= catalog_ids
    party = {"Confetti Cannon", "Dancefloor Sunrise", "Birthday Bass Drop", "Neon Party Anthem"}
    assert party & {title for _, title in shown}, "a party photo gets party songs"
    rec_id = first.buttons[0][1].split(":")[1]  # "<answer id>-<press token>"
    assert first.buttons == [
        ("👍", f"up:{rec_id}"),
        ("👎", f"down:{rec_id}"),
        ("More like this", f"more:{rec_id}"),
        ("Different vibe", f"diff:{rec_id}"),
        ("Calmer", f"calm:{rec_id}"),
        ("More energy", f"lively:{rec_id}"),
    ]

    telegram.press(ANA, first.message, f"down:{rec_id}")
    toast = (await telegram.next_call("answerCallbackQuery")).params
    assert toast["text"] == "Got it: you won't get those songs from me again."

    telegram.photo(chat, ANA, "birthday night", color=(230, 40, 160))
    second = await telegram.next_sent(within_s=60)
    again = TRACK_LINK.findall(second.text)
    assert len(again) == 3
    assert not {sid for sid, _ in again} & {sid for sid, _ in shown}, "disliked songs never return"


async def test_more_like_this_and_words_only(telegram: FakeTelegram):
    chat = private_chat(BEN)
    telegram.command(chat, BEN, "/vibe rainy lonely evening, quiet piano")
    first = await telegram.next_sent(within_s=60)
    shown = {sid for sid, _ in TRACK_LINK.findall(first.text)}
    assert len(shown) == 3
    telegram.press(BEN, first.message, first.buttons[2][1])  # More like this
    assert (await telegram.next_call("answerCallbackQuery")).params.get("text") is None
    more = await telegram.next_sent(within_s=60)
    assert more.reply_to == first.message["reply_to_message"]["message_id"]
    assert not {sid for sid, _ in TRACK_LINK.findall(more.text)} & shown


async def test_not_an_image_gets_one_friendly_sentence(telegram: FakeTelegram):
    chat = private_chat(CAT)
    telegram.document(chat, CAT, b"%PDF-1.7 not a picture", "application/pdf", "cv.pdf")
    sent = await telegram.next_sent(within_s=30)
    assert sent.markup is None and "\n" not in sent.text and len(sent.text) < 200
    telegram.document(chat, CAT, jpeg(400, 300), "image/jpeg", "ok.jpg")
    assert len((await telegram.next_sent(within_s=60)).buttons) == 6


async def test_plain_text_in_a_private_chat_gets_songs_for_the_words(telegram: FakeTelegram):
    dee = user(3004, "Dee")
    chat = private_chat(dee)
    words = telegram.text(chat, dee, "rainy lonely evening, quiet piano")
    sent = await telegram.next_sent(within_s=60)
    assert sent.reply_to == words["message_id"] and sent.parse_mode == "HTML"
    assert len(TRACK_LINK.findall(sent.text)) == 3
    assert [label for label, _ in sent.buttons][:2] == ["👍", "👎"]


async def test_words_in_another_language_get_the_notice_in_the_senders_language(
    telegram: FakeTelegram,
):
    """A Spanish listener's Spanish words: songs still come, and the answer says, in Spanish,
    that the photo led and the words were read as best as possible."""
    lucia = user(3020, "Lucía", language_code="es")
    chat = private_chat(lucia)
    telegram.photo(chat, lucia, "una noche de fiesta con mis amigas", color=(230, 40, 160))
    answer = await telegram.next_sent(within_s=60)
    assert len(TRACK_LINK.findall(answer.text)) == 3
    assert "me guié sobre todo por la foto" in answer.text
    telegram.text(chat, lucia, "canciones tristes para una tarde lluviosa")
    words_only = await telegram.next_sent(within_s=60)
    assert "en inglés, así que leí tus palabras lo mejor que pude" in words_only.text
    assert "me guié" not in words_only.text  # no photo: the words-only sentence
    olga = user(3021, "Olga", language_code="de")
    telegram.photo(private_chat(olga), olga, "golden hour by the sea", color=(250, 180, 90))
    english_words = await telegram.next_sent(within_s=60)
    assert "Englisch" not in english_words.text  # English words: no notice, in any language
