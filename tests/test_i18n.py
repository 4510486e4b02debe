"""Languages: which language a locale means, the glossary covering every word recsys can
report, the English wording unchanged, and hostile language choices refused clearly."""

from __future__ import annotations

import pytest

from bot.cli.batch import BadLine, line_language
from handlers.i18n import SUPPORTED, negotiate, translations
from handlers.languages import requested_language
from handlers.spotify.linking import new_state, state_language
from handlers.texts import (
    SORRY,
    help_text,
    mood_line_text,
    reason_text,
    say,
    tag_text,
    worded,
)
from handlers.texts.glossary import MOOD_WORDS, SCENE_WORDS, THEME_WORDS
from recsys.models import (
    THEMES,
    AudioTraits,
    MoodLine,
    Reason,
    ReasonKind,
    Recommendation,
    Scene,
    TrackFeatures,
    TrackPick,
)
from recsys.query import SCENE_NOUNS
from recsys.track_moods import describe_features, mood_words_for


@pytest.mark.parametrize(
    ("raw", "lang"),
    [
        ("pt-BR", "pt_BR"),
        ("pt_br", "pt_BR"),
        ("pt", "pt_BR"),
        ("pt-PT", "pt_BR"),
        ("es-419", "es"),
        ("es_ES.UTF-8", "es"),
        ("es-ES", "es"),
        ("de", "de"),
        ("de_DE.UTF-8@euro", "de"),
        ("FR", "fr"),
        ("vi-VN", "vi"),
        ("hi", "hi"),
        ("en-GB", "en"),
        ("zh-CN", "en"),
        ("ja", "en"),
        ("C.UTF-8", "en"),
        ("POSIX", "en"),
        ("", "en"),
        (None, "en"),
        ("<b>es</b>", "en"),
        ("es; DROP TABLE users", "en"),
        ("e", "en"),
        ("es-" + "x" * 100, "en"),
        ("\u202ees", "en"),
    ],
)
def test_any_locale_maps_to_a_shipped_language_or_english(raw: str | None, lang: str) -> None:
    assert negotiate(raw) == lang


def test_every_word_recsys_can_report_is_in_the_glossary() -> None:
    """The mood words of tracks, the theme tags and the scene nouns are each translated once."""
    features = [
        TrackFeatures(valence=v / 10, energy=e / 10, danceability=d, acousticness=a,
                      instrumentalness=i, speechiness=s, liveness=live, tempo=t)
        for v in range(11) for e in range(11)
        for d, a, i, s, live, t in ((0.9, 0.9, 0.9, 0.5, 0.9, 60.0),
                                    (0.1, 0.05, 0.0, 0.9, 0.1, 160.0))
    ]  # fmt: skip
    track_words = {w for f in features for w in describe_features(f)}
    track_words |= {w for v in range(11) for e in range(11) for w in mood_words_for(v / 10, e / 10)}
    assert track_words <= MOOD_WORDS, track_words - MOOD_WORDS
    assert set(THEMES) <= THEME_WORDS and set(SCENE_NOUNS) <= SCENE_WORDS


def test_the_english_wording_is_what_it_always_was() -> None:
    misty_lake = Reason(ReasonKind.FEEL, ("calm", "acoustic"), Scene("lake", "misty"), True)
    assert reason_text("en", misty_lake) == "calm and acoustic, like the misty lake (trending now)"
    playlist = Reason(ReasonKind.OWN_PLAYLIST, ("sad",), playlist="Rain")
    assert reason_text("en", playlist, "artist") == (
        "from your playlist 'Rain', sad; mood guessed from the artist's other songs"
    )
    assert reason_text("en", Reason(ReasonKind.MEANING)) == "close in meaning to what you described"
    line = MoodLine(("lonely", "calm", "gloomy", "sad"), "A rainy window at dusk")
    assert mood_line_text("en", line) == "Lonely, calm, gloomy: A rainy window at dusk"
    assert mood_line_text("en", MoodLine((), "A field")) == "A mood: A field"
    assert mood_line_text("en", MoodLine(("warm",), "", "brighter")) == "A brighter take: warm"


def test_a_spanish_answer_uses_the_glossary_in_line_reasons_and_tags() -> None:
    pick = TrackPick(1, "4uLU6hMCjMI75M1A2tKUQC", "Song", ("A",), ("nostalgia", "calm"), "", 1.0,
                     why=Reason(ReasonKind.FEEL, ("calm", "acoustic"), Scene("lake")))  # fmt: skip
    rec = Recommendation("", ("calm",), (), AudioTraits(), (pick,),
                         line=MoodLine(("calm", "misty"), "A lake at dawn"))  # fmt: skip
    said = worded(rec, "es")
    calm = translations("es").pgettext("mood", "calm")
    assert calm != "calm"
    # the vision model's English description and an unknown word stay out of a Spanish line
    assert said.mood_line == calm.capitalize()
    assert said.tracks[0].reason.startswith(calm) and "like" not in said.tracks[0].reason
    assert said.tracks[0].tags == (tag_text("es", "nostalgia"), tag_text("es", "calm"))
    assert worded(rec, "en").tracks[0].reason == "calm and acoustic, like the lake"


def test_help_keeps_every_command_in_each_language() -> None:
    for lang in SUPPORTED:
        for platform, commands in (("telegram", "/link_spotify"), ("discord", "/link-spotify")):
            text = help_text(lang, platform)
            assert commands in text and "/language" in text and "{" not in text


@pytest.mark.parametrize("argument", ["es", "ES", "pt-BR", "pt_br", "pt", "de", "en", "en-US"])
def test_a_language_choice_names_a_shipped_language(argument: str) -> None:
    assert requested_language(argument) in SUPPORTED


@pytest.mark.parametrize(
    "argument", ["xx", "klingon", "english", "<b>es</b>", "es" * 100, "zh-CN", "", "  ", "\x00"]
)
def test_an_unknown_or_hostile_language_choice_is_refused(argument: str) -> None:
    assert requested_language(argument) is None


def test_a_batch_line_asks_for_a_language_or_is_told_what_is_wrong() -> None:
    assert line_language(None) == "en" and line_language("pt-BR") == "pt_BR"
    for bad in ("xx", 3, ["es"], "<i>es</i>", "e" * 1000):
        with pytest.raises(BadLine, match="lang must be one of"):
            line_language(bad)


def test_a_link_state_carries_the_askers_language_and_nothing_else() -> None:
    assert state_language(new_state("es")) == "es"
    assert state_language(new_state("pt_BR")) == "pt_BR"
    assert state_language(new_state("<script>")) == "en"
    for forged in (None, "", "abc", "abc.xx", "abc.es.", "abc.<b>"):
        assert state_language(forged) == "en"


def test_sentences_are_said_in_the_language_asked() -> None:
    assert say("es", SORRY["busy"]) != SORRY["busy"]
    assert say("pt_BR", SORRY["busy"]) != SORRY["busy"]
    assert say("en", SORRY["busy"]) == SORRY["busy"]
    assert say("zz", SORRY["busy"]) == SORRY["busy"]  # an unknown code: English, not a crash


def test_the_terminal_follows_lang_unless_told_otherwise() -> None:
    from bot.cli.errors import CommandError
    from bot.cli.recommend import cli_language

    assert cli_language(None, "de_DE.UTF-8") == "de"
    assert cli_language(None, "C.UTF-8") == "en" and cli_language(None, None) == "en"
    assert cli_language("pt-BR", "de_DE.UTF-8") == "pt_BR"
    assert cli_language("en", "de_DE.UTF-8") == "en"
    with pytest.raises(CommandError, match="--lang must be one of"):
        cli_language("klingon", "de_DE.UTF-8")


def test_a_discord_photo_replayed_from_the_inbox_keeps_its_language() -> None:
    """The inbox row keeps the language it was asked in; a row from before, or a tampered
    one, is answered in English."""
    from bot.discord.inbox import context_of

    row = {"user_id": "1", "channel_id": "2", "is_group": True}
    assert context_of({**row, "lang": "pt_BR"}).lang == "pt_BR"
    assert context_of(row).lang == "en"
    assert context_of({**row, "lang": "<script>"}).lang == "en"


def test_a_broken_translation_falls_back_to_english_not_a_crash(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import gettext

    class Broken(gettext.NullTranslations):
        def gettext(self, message: str) -> str:
            return "Vas {posicion} en la fila {"

    monkeypatch.setattr("handlers.texts.core.translations", lambda lang: Broken())
    from handlers.texts import QUEUED

    assert say("es", QUEUED, position=3) == "You're #3 in line; your songs are on their way."
