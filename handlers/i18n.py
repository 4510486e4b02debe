"""The answers' languages: which ones ship, how a platform's locale maps to one, and each
one's gettext catalog (handlers/locales/<code>/LC_MESSAGES/melodiclens.po).

The catalogs are compiled in memory on first use (Babel's `read_po` + `write_mo`), once per
language per process, so no compiled .mo file is kept in the repository. English is the
message ids themselves: it needs no catalog. docs/i18n.md tells a contributor how to add one.
"""

from __future__ import annotations

import gettext
import io
import logging
import re
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

log = logging.getLogger(__name__)

DOMAIN = "melodiclens"
LOCALES = Path(__file__).parent / "locales"
DEFAULT = "en"
SUPPORTED: tuple[str, ...] = ("en", "es", "pt_BR", "de", "fr", "vi", "hi")
# Each language's name in itself, as /language lists them.
NATIVE_NAMES = {
    "en": "English",
    "es": "Español",
    "pt_BR": "Português (Brasil)",
    "de": "Deutsch",
    "fr": "Français",
    "vi": "Tiếng Việt",
    "hi": "हिन्दी",
}
# The longest locale anyone sends is "zh-Hant-TW"-like or a POSIX "de_DE.UTF-8@euro"; anything
# longer is not a locale and is not parsed at all.
MAX_LOCALE_CHARS = 35
_LOCALE = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*")


def negotiate(raw: str | None) -> str:
    """The supported language for a platform or POSIX locale ("pt-BR", "es_ES.UTF-8", "vi");
    English for anything unknown, empty or malformed. Portuguese without a region is pt_BR."""
    if not raw or len(raw) > MAX_LOCALE_CHARS:
        return DEFAULT
    tag = raw.strip().split(".", 1)[0].split("@", 1)[0]
    if not _LOCALE.fullmatch(tag):
        return DEFAULT
    parts = re.split(r"[-_]", tag)
    language = parts[0].lower()
    if language == "pt":
        return "pt_BR"
    return language if language in SUPPORTED else DEFAULT


def is_supported(code: str) -> bool:
    """Whether `code` is exactly one of SUPPORTED (a stored or requested choice)."""
    return code in SUPPORTED


def translations(lang: str) -> gettext.NullTranslations:
    """The catalog of a supported language (English and unknown codes: the message ids)."""
    return _compiled(lang) if lang in SUPPORTED and lang != DEFAULT else _ENGLISH


_ENGLISH = gettext.NullTranslations()


@cache
def _compiled(lang: str) -> gettext.NullTranslations:
    """One language's .po compiled into a GNUTranslations in memory (once per process)."""
    path = LOCALES / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.is_file():
        log.warning("no catalog for %s at %s: answering in English", lang, path)
        return _ENGLISH
    with path.open("rb") as source:
        catalog = read_po(source, locale=lang, domain=DOMAIN)
    buffer = io.BytesIO()
    # fuzzy entries are drafts, never shown (write_mo leaves them out by default)
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)
