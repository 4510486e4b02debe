"""Every language's catalog against the template: complete, same placeholders and markup, limits.

A translation that drops or adds a placeholder, loses a Telegram HTML tag or a Discord marker,
renames a /command or outgrows a length limit fails here, not in a chat. The checker is fed a
deliberately broken catalog at the end, to show that it fails.
"""

from __future__ import annotations

import io
import re
import string
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

from handlers.press import VERBS
from handlers.texts.core import say
from handlers.texts.platforms import COMMAND_DESCRIPTIONS, OPTION_DESCRIPTIONS, command_description

LOCALES = Path(__file__).resolve().parent.parent / "handlers" / "locales"
TEMPLATE = LOCALES / "melodiclens.pot"
DOMAIN = "melodiclens"
# The languages the bot ships and their gettext plural rules (nplurals, plural expression).
PLURAL_FORMS = {
    "es": (2, "(n != 1)"),
    "pt_BR": (2, "(n > 1)"),
    "de": (2, "(n != 1)"),
    "fr": (2, "(n > 1)"),
    "vi": (1, "0"),
    "hi": (2, "(n != 1)"),
}
# Telegram's message limit: no single sentence may come near it.
TELEGRAM_MESSAGE_CHARS = 4_096
# Discord's limit on a slash command's or an option's description.
DISCORD_DESCRIPTION_CHARS = 100
# Telegram's limit on a command's description in the menu (setMyCommands).
TELEGRAM_COMMAND_CHARS = 256
# A translator comment such as "at most 40 characters" or "(at most 100)" sets a limit.
LIMIT_NOTE = re.compile(r"at most ([\d,]+)")
# A %-style conversion: %s, %d, %(name)s, %.1f...
PERCENT = re.compile(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[sdifrx]")
# Markup a translation must keep, each occurrence counted, by the name a problem gives it.
MARKUP = {
    "HTML tags": re.compile(r"</?[a-zA-Z][^>]*>"),
    # Discord's bold, underline, strike-through, spoiler and code markers.
    "Discord markdown": re.compile(r"\*\*|__|~~|\|\||`"),
    # A URL, or the target of a markdown link: [text](target).
    "links": re.compile(r"https?://[^\s)>\]]+|\]\([^)]*\)"),
    # A Discord mention of a user, role or channel (<@1>, <@!1>, <@&1>, <#1>) or of a slash
    # command (</vibe:1>), or a Telegram @{bot} username placeholder.
    "mentions": re.compile(r"<(?:@[!&]?|#)\d+>|</[\w -]+:\d+>|@\{\w+\}"),
}
# A /command, but not the slash inside a word or a path (and/or, a/b/c); not in MARKUP,
# as each /command counts once however often it recurs.
COMMAND = re.compile(r"(?<![\w/])/[a-z][a-z_-]+")
NAMES = ("MelodicLens", "Spotify", "Telegram", "Discord")
KEPT_WORDS = ("on|off",)
# Callback data: `<verb>:<id>-<token>` (handlers/press.py); never a catalog entry.
ACTION = re.compile(r"^[a-z]+:[A-Za-z0-9_-]+$")


def load(path: Path | io.BytesIO) -> Catalog:
    """A .po/.pot file (or bytes) as a Babel catalog."""
    if isinstance(path, Path):
        with path.open("rb") as f:
            return read_po(f)
    return read_po(path)


def forms(message: Message) -> tuple[str, ...]:
    """The message's strings (msgid, or every msgstr form) as a tuple."""
    value = message.string
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def ids(message: Message) -> tuple[str, ...]:
    """The English strings: msgid, and msgid_plural when there is one."""
    return tuple(message.id) if isinstance(message.id, (tuple, list)) else (message.id,)


def placeholders(text: str) -> Counter[str]:
    """The str.format fields (with their format spec) and %-style conversions of a string."""
    found: Counter[str] = Counter()
    for _, name, spec, conversion in string.Formatter().parse(text):
        if name is not None:
            bang = f"!{conversion}" if conversion else ""
            colon = f":{spec}" if spec else ""
            found[f"{{{name}{bang}{colon}}}"] += 1
    found.update(PERCENT.findall(text))
    return found


def markup(text: str) -> dict[str, Counter[str]]:
    """What must survive translation exactly: HTML tags, Discord markers, links, mentions,
    /commands, product names and kept words."""
    return {
        **{kind: Counter(pattern.findall(text)) for kind, pattern in MARKUP.items()},
        "commands": Counter(set(COMMAND.findall(text))),
        "names": Counter(name for name in NAMES if name in text),
        "kept words": Counter(word for word in KEPT_WORDS if word in text),
    }


def limit_of(message: Message) -> int | None:
    """The length limit a translator comment sets, if any."""
    found = [int(m.replace(",", "")) for c in message.auto_comments for m in LIMIT_NOTE.findall(c)]
    return min(found) if found else None


def message_problems(english: Message, translated: Message | None, nplurals: int) -> list[str]:
    """What is wrong with one translation of one template message."""
    if translated is None:
        return ["missing"]
    problems = []
    texts = forms(translated)
    if translated.fuzzy:
        problems.append("fuzzy")
    if not all(text.strip() for text in texts):
        problems.append("empty")
    if english.pluralizable and len(texts) != nplurals:
        problems.append(f"{len(texts)} plural forms, the language has {nplurals}")
    sources = ids(english)
    for text in texts:
        problems += _compare(sources, text, plural=english.pluralizable, nplurals=nplurals)
        limit = limit_of(english) or TELEGRAM_MESSAGE_CHARS
        if len(text) > limit:
            problems.append(f"{len(text)} characters, the limit is {limit}")
    return problems


def _compare(sources: tuple[str, ...], text: str, *, plural: bool, nplurals: int) -> list[str]:
    """Placeholders and markup of one translated string against its English."""
    problems = []
    try:
        mine = placeholders(text)
    except ValueError as err:
        return [f"broken braces: {err}"]
    wanted = [placeholders(s) for s in sources]
    if plural and nplurals > 1:
        # a singular form may drop the count ("one song"), never invent another placeholder
        allowed = set().union(*wanted)
        extra = set(mine) - allowed
        if extra:
            problems.append(f"placeholders not in the English: {sorted(extra)}")
    elif set(mine) != set(wanted[-1]):
        problems.append(f"placeholders {sorted(mine)} != English {sorted(wanted[-1])}")
    english_markup = markup(sources[-1])
    for kind, found in markup(text).items():
        if found != english_markup[kind]:
            problems.append(f"{kind} {dict(found)} != English {dict(english_markup[kind])}")
    return problems


def plural_header_problems(catalog: Catalog, code: str) -> list[str]:
    """The Plural-Forms header must be the language's own rule."""
    nplurals, rule = PLURAL_FORMS[code]
    header = catalog.mime_headers
    plural_forms = dict(header).get("Plural-Forms", "")
    expected = f"nplurals={nplurals}; plural={rule};"
    compact = plural_forms.replace(" ", "")
    return [] if compact == expected.replace(" ", "") else [f"Plural-Forms {plural_forms!r}"]


def catalog_problems(template: Catalog, catalog: Catalog, code: str) -> list[str]:
    """Every problem of one language's catalog, as 'msgid: problem' lines."""
    problems = plural_header_problems(catalog, code)
    nplurals = PLURAL_FORMS[code][0]
    for english in _entries(template):
        translated = catalog.get(english.id, context=english.context)
        for problem in message_problems(english, translated, nplurals):
            problems.append(f"{_name(english)}: {problem}")
    known = {(m.id if isinstance(m.id, str) else m.id[0], m.context) for m in _entries(template)}
    for extra in _entries(catalog):
        if (ids(extra)[0], extra.context) not in known:
            problems.append(f"{_name(extra)}: not in the template (run scripts/i18n.sh update)")
    return problems


def _entries(catalog: Catalog) -> Iterator[Message]:
    return (message for message in catalog if message.id)


def _name(message: Message) -> str:
    context = f"[{message.context}] " if message.context else ""
    return context + repr(ids(message)[0][:60])


needs_catalogs = pytest.mark.skipif(not TEMPLATE.exists(), reason="no catalog template yet")


@needs_catalogs
@pytest.mark.parametrize("code", sorted(PLURAL_FORMS))
def test_every_language_is_complete_and_faithful(code: str) -> None:
    po = LOCALES / code / "LC_MESSAGES" / f"{DOMAIN}.po"
    assert po.exists(), f"{code}: no catalog at {po}"
    problems = catalog_problems(load(TEMPLATE), load(po), code)
    assert not problems, f"{code}: {len(problems)} problems:\n" + "\n".join(problems)


@needs_catalogs
def test_every_shipped_language_is_checked() -> None:
    shipped = {p.parent.parent.name for p in LOCALES.glob(f"*/LC_MESSAGES/{DOMAIN}.po")}
    assert shipped == set(PLURAL_FORMS)


@needs_catalogs
@pytest.mark.parametrize("lang", sorted(PLURAL_FORMS))
def test_command_menus_fit_the_platforms_limits(lang: str) -> None:
    """The menus' descriptions carry no translator note, so their limits are checked here."""
    for command in COMMAND_DESCRIPTIONS["discord"]:
        text = command_description(lang, "discord", command)
        assert 0 < len(text) <= DISCORD_DESCRIPTION_CHARS, (command, text)
    for command in COMMAND_DESCRIPTIONS["telegram"]:
        text = command_description(lang, "telegram", command)
        assert 0 < len(text) <= TELEGRAM_COMMAND_CHARS, (command, text)
    for option, message in OPTION_DESCRIPTIONS.items():
        text = say(lang, message)
        assert 0 < len(text) <= DISCORD_DESCRIPTION_CHARS, (option, text)
        assert lang == "en" or text != message, f"{option} is not translated"


@needs_catalogs
def test_callback_data_is_never_a_catalog_entry() -> None:
    """Button actions travel as 64-byte callback data; their verbs must never be translated."""
    for message in _entries(load(TEMPLATE)):
        for text in ids(message):
            assert not ACTION.match(text), text
            assert message.context or text not in VERBS, text


BROKEN_TEMPLATE = b"""
msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"

#. NOTE: a button label: at most 12 characters.
msgid "Save as playlist"
msgstr ""

msgid "You're #{position} in line; your songs are on their way."
msgstr ""

msgid "Songs that fit <b>{name}</b>: **{count}**"
msgstr ""

msgid "That image is {width}x{height} pixels; the limit is {limit:g} megapixels."
msgstr ""

msgid "Link your Spotify with /link_spotify, on|off."
msgstr ""

msgid "{count} song"
msgid_plural "{count} songs"
msgstr[0] ""
msgstr[1] ""

msgctxt "mood"
msgid "calm"
msgstr ""

msgid "Cancel"
msgstr ""
"""

BROKEN_SPANISH = """
msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"
"Plural-Forms: nplurals=3; plural=(n != 1);\\n"

msgid "Save as playlist"
msgstr "Guardar como lista de reproducción"

msgid "You're #{position} in line; your songs are on their way."
msgstr "Eres el n.º {posicion} en la cola; tus canciones están en camino."

msgid "Songs that fit <b>{name}</b>: **{count}**"
msgstr "Canciones para <b>{name}: *{count}*"

msgid "That image is {width}x{height} pixels; the limit is {limit:g} megapixels."
msgstr "Esa imagen tiene {width}x{height} píxeles; el límite es {limit} megapíxeles."

msgid "Link your Spotify with /link_spotify, on|off."
msgstr "Vincula tu Spotify con /vincular_spotify, sí|no."

msgid "{count} song"
msgid_plural "{count} songs"
msgstr[0] "{count} canción"
msgstr[1] "{count} canciones {total}"

#, fuzzy
msgctxt "mood"
msgid "calm"
msgstr "tranquilo"

msgid "An entry the template no longer has"
msgstr "Una entrada sobrante"
""".encode()


def test_the_checker_fails_a_broken_catalog() -> None:
    """Each kind of damage is caught: a checker that passed everything would fail here."""
    template = load(io.BytesIO(BROKEN_TEMPLATE))
    problems = catalog_problems(template, load(io.BytesIO(BROKEN_SPANISH)), "es")
    fit, image = "'Songs that fit <b>{name}</b>: **{count}**'", "'That image is {width}x{height}"
    link = "'Link your Spotify with /link_spotify, on|off.'"
    expected = [
        "Plural-Forms 'nplurals=3; plural=(n != 1);'",
        "'Save as playlist': 34 characters, the limit is 12",
        '"You\'re #{position} in line; your songs are on their way.": placeholders '
        "['{posicion}'] != English ['{position}']",
        f"{fit}: HTML tags {{'<b>': 1}} != English {{'<b>': 1, '</b>': 1}}",
        f"{fit}: Discord markdown {{}} != English {{'**': 2}}",
        f"{image} pixels; the limit is {{limit:g': placeholders ['{{height}}', '{{limit}}', "
        "'{width}'] != English ['{height}', '{limit:g}', '{width}']",
        f"{link}: commands {{'/vincular_spotify': 1}} != English {{'/link_spotify': 1}}",
        f"{link}: kept words {{}} != English {{'on|off': 1}}",
        "'{count} song': 3 plural forms, the language has 2",
        "'{count} song': placeholders not in the English: ['{total}']",
        "[mood] 'calm': fuzzy",
        "'Cancel': missing",
        "'An entry the template no longer has': not in the template (run scripts/i18n.sh update)",
    ]
    for line in expected:
        assert line in problems, (line, problems)


def test_a_faithful_translation_passes() -> None:
    template = load(io.BytesIO(BROKEN_TEMPLATE))
    good = BROKEN_SPANISH.decode()
    for bad, fixed in (
        ("nplurals=3", "nplurals=2"),
        ("Guardar como lista de reproducción", "Guardar"),
        ("{posicion}", "{position}"),
        ("<b>{name}: *{count}*", "<b>{name}</b>: **{count}**"),
        ("{limit} megapíxeles", "{limit:g} megapíxeles"),
        ("/vincular_spotify, sí|no", "/link_spotify, on|off"),
        (" {total}", ""),
        ("#, fuzzy\n", ""),
        ('msgid "An entry the template no longer has"\nmsgstr "Una entrada sobrante"', ""),
    ):
        assert bad in good
        good = good.replace(bad, fixed)
    good += 'msgid "Cancel"\nmsgstr "Cancelar"\n'
    catalog = load(io.BytesIO(good.encode()))
    assert catalog_problems(template, catalog, "es") == []
