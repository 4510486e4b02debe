"""Discord's own localisation of the commands: each description (and the "Songs for this
photo" menu entry) in every shipped language, through discord.py's `app_commands.Translator`.

Slash-command and option names stay English: Discord allows only lower-case letters, digits,
"-" and "_" in them, /help and its clickable mentions name them (bot/discord/publishing.py),
and a member who switches their client's language keeps the commands they know. A message
menu entry may be any text up to 32 characters, so it is translated like a description.
"""

from __future__ import annotations

import logging

from discord import Locale, app_commands
from discord.app_commands import TranslationContextLocation as Where

from handlers.i18n import DEFAULT, negotiate
from handlers.texts import say

log = logging.getLogger(__name__)

# Discord's limits: a description at most 100 characters, a menu entry's name at most 32.
MAX_DESCRIPTION_CHARS = 100
MAX_MENU_NAME_CHARS = 32
# Where a translated text goes, and how long Discord lets it be.
TRANSLATED = {
    Where.command_description: MAX_DESCRIPTION_CHARS,
    Where.parameter_description: MAX_DESCRIPTION_CHARS,
}


class CatalogTranslator(app_commands.Translator):
    """Translates command descriptions (and the message menu's name) from the catalogs."""

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        """The text in `locale`'s language, or None to leave Discord's English."""
        lang = negotiate(locale.value)
        if lang == DEFAULT:
            return None
        limit = TRANSLATED.get(context.location)
        if context.location is Where.command_name and isinstance(
            context.data, app_commands.ContextMenu
        ):
            limit = MAX_MENU_NAME_CHARS
        if limit is None:
            return None  # slash-command, option and choice names stay English (see above)
        text = say(lang, string.message)
        if text == string.message:
            return None  # not translated yet: Discord shows the English
        if len(text) > limit:
            log.warning("discord: the %s text for %r is over %d characters; English kept",
                        lang, string.message, limit)  # fmt: skip
            return None
        return text
