"""What /language says: the language in use, the choices, and each change."""

from __future__ import annotations

from handlers.i18n import NATIVE_NAMES, SUPPORTED
from handlers.texts.core import N_, say

# /language's spelling on each platform (the command name is English everywhere).
LANGUAGE_COMMAND = {"telegram": "/language", "discord": "/language", "cli": "--lang"}
# NOTE: /language with no argument. {language}: the language's own name ("Español");
# {choices}: "en (English), es (Español), ..."; {command}: /language. Keep "auto" as it is.
CURRENT_CHOSEN = N_(
    "I answer you in {language} (your choice). To change it, send {command} with one of: "
    "{choices}. {command} auto follows your app's language again."
)
# NOTE: as above, when the language comes from the listener's app (no choice stored).
CURRENT_FROM_APP = N_(
    "I answer you in {language}, your app's language. To choose another, send {command} with "
    "one of: {choices}."
)
# NOTE: said in the newly chosen language; {language}: its own name.
CHOSEN = N_("From now on I answer you in {language}.")
# NOTE: after "/language auto"; {language}: the app's language's own name.
FOLLOWING_APP = N_("I follow your app's language again: {language}.")
# NOTE: an unknown /language argument; {choices} as above. Keep "auto" as it is.
UNKNOWN = N_("I don't know that language. Send {command} with one of: {choices}, or auto.")


def choices() -> str:
    """ "en (English), es (Español), ...": the codes /language accepts, with their names."""
    return ", ".join(f"{code} ({NATIVE_NAMES[code]})" for code in SUPPORTED)


def current_language(lang: str, platform: str, chosen: bool) -> str:
    """/language with no argument: the language in use, whether chosen, and the choices."""
    sentence = CURRENT_CHOSEN if chosen else CURRENT_FROM_APP
    command = LANGUAGE_COMMAND.get(platform, "/language")
    return say(lang, sentence, language=NATIVE_NAMES[lang], command=command, choices=choices())


def language_chosen(lang: str) -> str:
    """The confirmation of a choice, in the chosen language."""
    return say(lang, CHOSEN, language=NATIVE_NAMES[lang])


def following_app(lang: str) -> str:
    """The confirmation of "/language auto", in the app's language."""
    return say(lang, FOLLOWING_APP, language=NATIVE_NAMES[lang])


def unknown_language(lang: str, platform: str) -> str:
    """The answer to a /language argument that is not a language the bot speaks."""
    command = LANGUAGE_COMMAND.get(platform, "/language")
    return say(lang, UNKNOWN, command=command, choices=choices())
