"""A group chat's settings: whether it answers every photo (/auto), and who may switch that."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from db import users
from db.errors import DatabaseUnavailable
from db.pool import Database
from handlers.replies import ChatContext, Platform, Reply
from handlers.texts import SAID, SORRY, say
from handlers.throttle import TtlCache

log = logging.getLogger(__name__)

# A member's admin status is asked of the platform at most this often (a demoted admin keeps
# /auto for up to this long), for at most this many members at once.
ADMIN_CACHE_S = 60.0
ADMIN_CACHE_ENTRIES = 10_000

# Whether a group answers every photo before anyone used /auto: Telegram groups answer when
# addressed (privacy mode hides other photos anyway); Discord channels answer every photo the
# Message Content intent lets the bot see, as they always did.
AUTO_REPLY_DEFAULT = {"telegram": False, "discord": True}


class GroupSettings:
    """/auto for a group, read back for each photo, and a short memory of who administers it."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._admins: TtlCache[tuple[str, str, str], bool] = TtlCache(
            ADMIN_CACHE_S, ADMIN_CACHE_ENTRIES
        )

    async def set_auto(self, ctx: ChatContext, enabled: bool) -> Reply:
        """Answer every photo in this group, or only those that mention the bot."""
        if not ctx.is_group:
            return Reply("info", say(ctx.lang, SAID["auto_private"]))
        try:
            await users.set_auto_reply(self.db.pool, ctx.platform, ctx.chat_id, enabled)
        except DatabaseUnavailable as err:
            log.error("database unavailable for set_auto: %s", err)
            return Reply("error", say(ctx.lang, SORRY["database"]))
        return Reply("info", say(ctx.lang, SAID["auto_on" if enabled else "auto_off"]))

    async def auto_enabled(self, platform: Platform, chat_id: str) -> bool:
        """Whether this group or channel answers every photo (False when the database is
        down); until someone chooses, the platform's default (AUTO_REPLY_DEFAULT)."""
        try:
            default = AUTO_REPLY_DEFAULT.get(platform, False)
            return await users.auto_reply_enabled(self.db.pool, platform, chat_id, default)
        except DatabaseUnavailable as err:
            log.error("database unavailable for auto_enabled: %s", err)
            return False

    async def is_admin(self, ctx: ChatContext, check: Callable[[], Awaitable[bool]]) -> bool:
        """Whether the asker may switch this group's settings: the platform's `check` (e.g.
        Telegram's getChatMember), remembered briefly so repeated /auto does not call it
        each time."""
        key = (ctx.platform, ctx.chat_id, ctx.user_id)
        known = self._admins.get(key)
        if known is None:
            known = await check()
            self._admins.put(key, known)
        return known
