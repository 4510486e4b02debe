"""The text layer's few verbs: mark an English sentence for the catalog, and say it in a
language with its `{named}` placeholders filled.

Every wording function takes the language code explicitly (there is no "current language").
The English sentences are the catalog's message ids (scripts/i18n.sh extracts them with the
keywords `N_`, `C_:1c,2`, `counted:2,3`, `counted_in:2c,3,4`)."""

from __future__ import annotations

import logging

from handlers.i18n import translations

log = logging.getLogger(__name__)


def N_(message: str) -> str:
    """Marks an English sentence for the catalog; translated later with `say`."""
    return message


def C_(context: str, message: str) -> str:
    """Marks a glossary word (a mood word, a theme) with its context; said with `word`."""
    return message


def say(lang: str, message: str, **values: object) -> str:
    """A marked English sentence in `lang`, its {placeholders} filled from `values`."""
    return _filled(lang, message, translations(lang).gettext(message), values)


def word(lang: str, context: str, message: str) -> str:
    """A glossary word in `lang` (msgctxt `context`); words outside the glossary stay as
    they are (an open-vocabulary word from the vision model)."""
    return translations(lang).pgettext(context, message)


def counted(lang: str, singular: str, plural: str, count: int, **values: object) -> str:
    """A sentence about `count` things in `lang`'s plural form; {count} and `values` filled."""
    text = translations(lang).ngettext(singular, plural, count)
    return _filled(lang, plural if count != 1 else singular, text, {"count": count, **values})


def counted_in(
    lang: str, context: str, singular: str, plural: str, count: int, **values: object
) -> str:
    """`counted` with a message context (the same English said in two places)."""
    text = translations(lang).npgettext(context, singular, plural, count)
    return _filled(lang, plural if count != 1 else singular, text, {"count": count, **values})


def _filled(lang: str, english: str, text: str, values: dict[str, object]) -> str:
    """`text` with its placeholders filled; a translation whose placeholders are broken (the
    catalog tests catch that before a release) falls back to the English, never to a crash."""
    if not values:
        return text
    try:
        return text.format(**values)
    except (KeyError, IndexError, ValueError):
        log.error(
            "the %s translation of %r has broken placeholders; said in English", lang, english
        )
        return english.format(**values)


def first_upper(text: str) -> str:
    """The text with its first letter capitalised and the rest untouched (German nouns)."""
    return text[:1].upper() + text[1:]
