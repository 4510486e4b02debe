"""Which language a listener is answered in: their /language choice where they made one
(kept in the database, remembered here for a while), else the one their app reports (the
adapters put it in `ChatContext.lang`). Also the /language use case itself."""

from __future__ import annotations

import logging
import re
from dataclasses import replace

from db.errors import DatabaseUnavailable
from db.languages import clear_language_choice, language_choice, save_language_choice
from db.pool import Database
from db.users import find_user, upsert_user
from handlers.i18n import DEFAULT, MAX_LOCALE_CHARS, negotiate
from handlers.replies import ChatContext, Reply
from handlers.texts import SORRY, say
from handlers.texts.language import (
    current_language,
    following_app,
    language_chosen,
    unknown_language,
)
from handlers.throttle import TtlCache

log = logging.getLogger(__name__)

# A choice is re-read from the database at most this often (another process of the same bot
# may have changed it), for at most this many listeners at once.
CHOICE_CACHE_S = 300.0
CHOICE_CACHE_ENTRIES = 50_000
# "/language auto": follow the app's language again.
AUTO = "auto"
# No choice stored (the cache cannot hold None: that means "not known").
NO_CHOICE = ""


def requested_language(argument: str) -> str | None:
    """The supported code a /language argument names ("es", "pt-BR", "PT_br", "de"), or None
    for anything else (an unknown code, a sentence, markup, a megabyte of text)."""
    text = argument.strip()
    if not text or len(text) > MAX_LOCALE_CHARS:
        return None
    lang = negotiate(text)
    if lang == DEFAULT and re.split(r"[-_.@]", text)[0].lower() != DEFAULT:
        return None
    return lang


class LanguageChoices:
    """The listeners' /language choices, read through a short-lived cache."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._known: TtlCache[tuple[str, str], str] = TtlCache(CHOICE_CACHE_S, CHOICE_CACHE_ENTRIES)

    def known(self, ctx: ChatContext) -> ChatContext:
        """`ctx` in the chosen language when the choice is in memory (no database call)."""
        chosen = self._known.get((ctx.platform, ctx.user_id))
        return replace(ctx, lang=chosen) if chosen else ctx

    async def resolve(self, ctx: ChatContext) -> ChatContext:
        """`ctx` in the listener's chosen language, if they chose one; with the database
        away, the app's language (an answer in the wrong language beats no answer)."""
        key = (ctx.platform, ctx.user_id)
        chosen = self._known.get(key)
        if chosen is None:
            try:
                chosen = await language_choice(self.db.pool, ctx.platform, ctx.user_id) or ""
            except DatabaseUnavailable as err:
                log.warning("language choice unknown (database unavailable): %s", err)
                return ctx
            self._known.put(key, chosen)
        return replace(ctx, lang=chosen) if chosen else ctx

    async def choose(self, ctx: ChatContext, argument: str) -> Reply:
        """/language [CODE|auto]: say the language in use, or change it. `ctx.lang` is the
        app's language (not yet resolved): it is what "auto" goes back to."""
        try:
            return await self._choose(ctx, argument.strip())
        except DatabaseUnavailable as err:
            log.error("database unavailable for /language: %s", err)
            return Reply("error", say(ctx.lang, SORRY["database"]), private=True)

    async def _choose(self, ctx: ChatContext, argument: str) -> Reply:
        key = (ctx.platform, ctx.user_id)
        if not argument:
            now = await self.resolve(ctx)
            chosen = bool(self._known.get(key))
            return Reply("info", current_language(now.lang, ctx.platform, chosen), private=True)
        if argument.lower() == AUTO:
            user_id = await find_user(self.db.pool, ctx.platform, ctx.user_id)
            if user_id is not None:
                await clear_language_choice(self.db.pool, user_id)
            self._known.put(key, NO_CHOICE)
            return Reply("info", following_app(ctx.lang), private=True)
        lang = requested_language(argument)
        if lang is None:
            now = await self.resolve(ctx)
            return Reply("error", unknown_language(now.lang, ctx.platform), private=True)
        user_id = await upsert_user(self.db.pool, ctx.platform, ctx.user_id, ctx.user_name)
        await save_language_choice(self.db.pool, user_id, lang)
        self._known.put(key, lang)
        return Reply("info", language_chosen(lang), private=True)

    def forget(self, ctx: ChatContext) -> None:
        """Drop the remembered choice (forget-me deleted the stored one)."""
        self._known.put((ctx.platform, ctx.user_id), NO_CHOICE)
