"""Answers in the listener's language, through the fake Telegram and Discord servers with the
real service on the real PostgreSQL: a Telegram listener whose app says "es" and a Discord
member whose client says "pt-BR" read every part of an answer in that language (mood line,
reasons, tags, buttons, errors, the command menus), and /language overrides it."""

from __future__ import annotations

import html
import re

import pytest

from bot.app import build_bot_service
from bot.settings import load_settings
from db.pool import Database
from handlers.i18n import translations
from handlers.replies import ChatContext
from handlers.texts import SORRY, say
from handlers.texts.glossary import MOOD_WORDS, THEME_WORDS
from recsys.embedder import Embedder
from support.fakes.discord_api import FakeDiscord, running_bot
from support.fakes.discord_payloads import APP_ID
from support.fakes.fake_spotify import FakeSpotify, fictional_library
from support.fakes.fake_telegram import FakeTelegram, jpeg, private_chat, user
from support.fakes.spotify_world import confirm_fields, make_world
from support.fakes.telegram_bot import VisionStack

pytestmark = pytest.mark.asyncio(loop_scope="session")

ANA = user(4101, "Ana", language_code="es-ES")
# One track block of a Telegram answer: its link line, then "tags — reason".
TRACK_DETAILS = re.compile(r"</a>[^\n]*\n(?:<i>([^<]*)</i> — )?([^\n]+)")
EPHEMERAL = 64
# What the vision model sees in every photo (conftest's `stack` and `telegram`).
VISION_ANSWER = "rainy_window"


def foreign_glossary(lang: str) -> tuple[set[str], set[str]]:
    """(the glossary's words in `lang`, the English words whose translation differs)."""
    catalog = translations(lang)
    pairs = [(w, catalog.pgettext("mood", w)) for w in MOOD_WORDS]
    pairs += [(w, catalog.pgettext("theme", w)) for w in THEME_WORDS]
    return {t for w, t in pairs if t != w}, {w for w, t in pairs if t != w}


def words_of(text: str) -> set[str]:
    return set(re.findall(r"[^\W\d_]+(?:-[^\W\d_]+)?", text.lower()))


def assert_in_language(text: str, lang: str) -> None:
    """No English glossary word is left in `text`, and at least one of `lang`'s is there."""
    theirs, english = foreign_glossary(lang)
    found = words_of(text)
    assert not found & (english - theirs), f"English left in {text!r}"
    assert found & {w for t in theirs for w in words_of(t)}, f"no {lang} word in {text!r}"


async def test_a_spanish_telegram_listener_reads_every_part_in_spanish(
    telegram: FakeTelegram,
) -> None:
    chat = private_chat(ANA)
    telegram.photo(chat, ANA, "", color=(40, 60, 140))
    first = await telegram.next_sent(within_s=60)
    head = first.text.partition("\n\n")[0]
    mood_line = html.unescape(re.sub(r"<[^>]+>", "", head)).removeprefix("🎧 ")
    assert_in_language(mood_line, "es")
    details = TRACK_DETAILS.findall(first.text)
    assert len(details) == 3
    for tags, reason in details:
        assert_in_language(html.unescape(reason), "es")
        assert (
            not tags or not words_of(tags) & foreign_glossary("es")[1] - foreign_glossary("es")[0]
        )
    rec_id = first.buttons[0][1].split(":")[1]
    labels = ["👍", "👎", "Más como estas", "Otro ambiente", "Más tranquilas", "Más energía"]
    assert [label for label, _ in first.buttons] == labels

    telegram.press(ANA, first.message, f"calm:{rec_id}")
    calmer = await telegram.next_sent(within_s=60)
    assert calmer.text.startswith("🎧 <b>Una versión más tranquila: ")

    telegram.press(ANA, first.message, f"down:{rec_id}")
    assert await next_toast(telegram) == "Entendido: no volveré a proponerte esas canciones."
    telegram.press(ANA, first.message, "more:999999-forged")
    assert await next_toast(telegram) == say("es", SORRY["stale_button"])


async def next_toast(telegram: FakeTelegram) -> str:
    """The text of the next answerCallbackQuery that says something (a press that sends a
    new answer acknowledges silently first)."""
    for _ in range(4):
        text = (await telegram.next_call("answerCallbackQuery", within_s=30)).params.get("text")
        if text:
            return str(text)
    raise AssertionError("no toast with a text")


async def test_telegram_menus_and_descriptions_are_published_per_language(
    telegram: FakeTelegram,
) -> None:
    menus = telegram.menus()
    assert menus[("default", "")]["vibe"].startswith("Songs for a photo")
    assert menus[("default", "es")]["vibe"] == (
        "Canciones para una foto o unas palabras: /vibe noche lluviosa en carretera"
    )
    assert menus[("all_group_chats", "pt")]["auto"].startswith("Admins: /auto on responde")
    assert set(menus[("all_private_chats", "es")]) == set(menus[("all_private_chats", "")])
    assert "language" in menus[("all_private_chats", "")]
    assert {code for _, code in menus} == {"", "es", "pt", "de", "fr", "vi", "hi"}
    assert telegram.descriptions()["es"].startswith("Mándame una foto")
    short = telegram.descriptions("setMyShortDescription")
    assert short["pt"].startswith("Músicas que combinam") and len(short["pt"]) <= 120


async def test_language_command_overrides_the_app_and_auto_gives_it_back(
    telegram: FakeTelegram, database: Database
) -> None:
    ben = user(4102, "Ben", language_code="es")
    chat = private_chat(ben)
    telegram.command(chat, ben, "/language <b>klingon</b>")
    refused = await telegram.next_sent(within_s=30)
    assert refused.text.startswith("No conozco ese idioma.") and "<b>klingon" not in refused.text
    telegram.command(chat, ben, "/language pt-BR")
    chosen = await telegram.next_sent(within_s=30)
    assert chosen.text == "A partir de agora eu te respondo em Português (Brasil)."
    telegram.command(chat, ben, "/vibe")
    nothing = await telegram.next_sent(within_s=30)
    assert nothing.text == say("pt_BR", SORRY["nothing"])
    stored = await database.pool.fetchval(
        "SELECT lang FROM language_choices c JOIN chat_users u ON u.id = c.user_id "
        "WHERE u.platform_user_id = $1",
        "4102",
    )
    assert stored == "pt_BR"
    telegram.command(chat, ben, "/language auto")
    back = await telegram.next_sent(within_s=30)
    assert back.text == "Vuelvo a seguir el idioma de tu app: Español."
    telegram.command(chat, ben, "/vibe")
    assert (await telegram.next_sent(within_s=30)).text == say("es", SORRY["nothing"])


async def test_a_brazilian_discord_member_reads_the_answer_and_commands_in_portuguese(
    monkeypatch: pytest.MonkeyPatch, database: Database, stack: VisionStack
) -> None:
    settings = load_settings(None, OLLAMA_HOST=stack.ollama.url)
    service = build_bot_service(settings, database, stack.pipeline)
    fake = FakeDiscord(locale="pt-BR", guild_locale="pt-BR")
    async with running_bot(monkeypatch, service, fake=fake) as (fake, _):
        published = {command["name"]: command for command in fake.published}
        assert published["vibe"]["description_localizations"]["pt-BR"] == (
            "Músicas que combinam com uma foto (e/ou algumas palavras)"
        )
        assert published["Songs for this photo"]["name_localizations"]["pt-BR"] == (
            "Músicas para esta foto"
        )
        assert published["vibe"]["description_localizations"]["es-ES"].startswith("Canciones")
        assert "pt-BR" not in published["vibe"].get("name_localizations", {})  # names stay

        token = await fake.slash("vibe", [{"name": "words", "type": 3, "value": "rainy lonely"}])
        (sent,) = await fake.wait_for("POST", f"/webhooks/{APP_ID}/{token}", within_s=60)
        (embed,) = sent.json["embeds"]
        assert_in_language(embed["title"], "pt_BR")
        for block in embed["description"].split("\n**")[0:3]:
            reason = block.rsplit("·", 1)[-1] if "·" in block else block.split("\n")[-1]
            assert_in_language(reason.replace("\\", ""), "pt_BR")
        labels = [b["label"] for row in sent.json["components"] for b in row["components"]]
        assert labels == ["👍", "👎", "Mais assim", "Outra vibe", "Mais calmas", "Mais energia"]

        # a photo posted in the channel: answered in the server's preferred language
        await fake.post_message("", [fake.attachment("dusk.jpg", jpeg(160, 120), "image/jpeg")])
        (posted,) = await fake.wait_for("POST", "/messages", within_s=60)
        assert_in_language(posted.json["embeds"][0]["title"], "pt_BR")

        token = await fake.slash("language")
        (said,) = await fake.wait_for("POST", f"/webhooks/{APP_ID}/{token}", within_s=30)
        assert said.json["flags"] & EPHEMERAL
        assert said.json["content"].startswith("Eu te respondo em Português (Brasil), o idioma")


async def test_the_spotify_link_pages_speak_the_askers_language(
    db: Database, embedder: Embedder
) -> None:
    """The link message, its button and both web pages in Spanish; the state carries it."""
    fake = FakeSpotify()
    fake.add_user("robin", fictional_library("Robin"))
    world = await make_world(db, embedder, fake)
    try:
        asker = ChatContext("telegram", "4201", "4201", "ana", lang="es")
        reply = await world.accounts.link_spotify(asker)
        assert reply.kind == "link" and reply.url
        assert reply.text.startswith("Abre este enlace") and reply.url_label == "Conectar Spotify"
        status, page = await world.review(await world.authorize(reply.url))
        assert status == 200 and '<html lang="es">' in page
        assert "¿Vincular Spotify?" in page and "Vincular mi Spotify a esta cuenta" in page
        assert "<strong>Telegram</strong>" in page and "ana (id 4201)" in page
        status, done = await world.confirm(confirm_fields(page))
        assert status == 200 and "Vinculado como Robin" in done
        status, forged = await world.review({"state": "made-up.es", "code": "x"})
        assert status == 400 and "Este enlace no lo generó MelodicLens" in forged
        status, english = await world.review({"state": "made-up", "code": "x"})
        assert "not one MelodicLens handed out" in english
    finally:
        await world.close()
