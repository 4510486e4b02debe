"""Account use cases: link and unlink Spotify, forget a user, blend a library into a group."""

from __future__ import annotations

import logging

from db import inbox, privacy, spotify_links
from db.errors import DatabaseUnavailable
from db.pool import Database
from db.users import find_user, upsert_user
from db.users import set_blend as store_blend
from handlers.replies import ChatContext, Reply
from handlers.spotify.linking import STATE_TTL_S, SpotifyLinker
from handlers.spotify.playlist_save import PlaylistSaver, SaveOutcome
from handlers.texts import (
    LINK_BUTTON,
    LINK_COMMAND,
    PLAYLIST_DESCRIPTION,
    SAID,
    SAVE_PLAYLIST,
    SAVED_PLAYLIST_LINK,
    SORRY,
    forgotten_text,
    link_offer,
    say,
    songs,
    unlinked_text,
)

log = logging.getLogger(__name__)


class AccountHandler:
    """The account commands behind BotService; every failure becomes a short Reply."""

    def __init__(self, db: Database, linker: SpotifyLinker | None) -> None:
        self.db = db
        # None when linking is not configured (bot/app.py says why in the log)
        self.linker = linker

    async def link_spotify(self, ctx: ChatContext) -> Reply:
        """A private reply carrying a fresh Spotify authorize URL."""
        if self.linker is None:
            return Reply("error", say(ctx.lang, SORRY["linking_not_configured"]), private=True)
        try:
            url = await self.linker.start(ctx)
        except DatabaseUnavailable:
            return _database_down(ctx, "link_spotify")
        text = link_offer(ctx.lang, int(STATE_TTL_S // 60))
        label = say(ctx.lang, LINK_BUTTON[ctx.platform]) if ctx.platform in LINK_BUTTON else None
        return Reply("link", text, url=url, url_label=label, private=True)

    async def save_playlist(self, ctx: ChatContext, rec_id: int) -> Reply:
        """Save an answer's songs as a private playlist in the presser's Spotify account."""
        if self.linker is None:
            return Reply("error", say(ctx.lang, SORRY["linking_not_configured"]), private=True)
        description = say(ctx.lang, PLAYLIST_DESCRIPTION)
        saver = PlaylistSaver(self.db, self.linker.app, self.linker.cipher, description)
        try:
            user_id = await find_user(self.db.pool, ctx.platform, ctx.user_id)
            outcome = SaveOutcome("not_linked")
            if user_id is not None:
                outcome = await saver.save(user_id, rec_id)
        except DatabaseUnavailable:
            return _database_down(ctx, "save_playlist")
        return await self._saved_reply(ctx, outcome)

    async def _saved_reply(self, ctx: ChatContext, outcome: SaveOutcome) -> Reply:
        if outcome.status == "saved":
            text = say(
                ctx.lang,
                SAVE_PLAYLIST["saved"],
                name=outcome.name,
                tracks=songs(ctx.lang, outcome.tracks),
            )
            url, label = outcome.playlist_url, say(ctx.lang, SAVED_PLAYLIST_LINK)
            return Reply("info", text, url=url, url_label=label, private=True)
        if outcome.status == "needs_relink":
            link = await self.link_spotify(ctx)
            if link.kind != "link":
                return link
            text = say(ctx.lang, SAVE_PLAYLIST["needs_relink"])
            return Reply("link", text, url=link.url, url_label=link.url_label, private=True)
        text = say(ctx.lang, SAVE_PLAYLIST[outcome.status], command=LINK_COMMAND[ctx.platform])
        if outcome.status in ("busy", "failed"):
            return Reply("error", text, private=True)
        return Reply("info", text, private=True)

    async def unlink_spotify(self, ctx: ChatContext) -> Reply:
        """Delete the tokens and the imported library."""
        try:
            user_id = await find_user(self.db.pool, ctx.platform, ctx.user_id)
            if user_id is None:
                return Reply("info", say(ctx.lang, SAID["not_linked"]), private=True)
            async with self.db.pool.acquire() as conn:
                counts = await privacy.unlink(conn, user_id)
        except DatabaseUnavailable:
            return _database_down(ctx, "unlink_spotify")
        if not counts["link"]:
            return Reply("info", say(ctx.lang, SAID["not_linked"]), private=True)
        return Reply(
            "info",
            unlinked_text(ctx.lang, counts),
            private=True,
        )

    async def forget_me(self, ctx: ChatContext) -> Reply:
        """Delete everything about this user and say what was deleted."""
        try:
            user_id = await find_user(self.db.pool, ctx.platform, ctx.user_id)
            if user_id is None:
                # a first photo can wait in the inbox before its sender is known
                await inbox.forget(self.db.pool, ctx.platform, ctx.user_id)
                return Reply("info", say(ctx.lang, SAID["nothing_held"]), private=True)
            async with self.db.pool.acquire() as conn:
                counts = await privacy.forget_user(conn, user_id)
        except DatabaseUnavailable:
            return _database_down(ctx, "forget_me")
        return Reply("info", forgotten_text(ctx.lang, counts), private=True)

    async def set_blend(self, ctx: ChatContext, enabled: bool) -> Reply:
        """Let (or stop) this member's linked library blend into this group's answers."""
        if not ctx.is_group:
            return Reply("info", say(ctx.lang, SAID["blend_private"]), private=True)
        try:
            user_id = await upsert_user(self.db.pool, ctx.platform, ctx.user_id, ctx.user_name)
            await store_blend(self.db.pool, ctx.platform, ctx.chat_id, user_id, enabled)
            link = await spotify_links.get_link(self.db.pool, user_id)
        except DatabaseUnavailable:
            return _database_down(ctx, "set_blend")
        if not enabled:
            return Reply("info", say(ctx.lang, SAID["blend_off"]))
        text = say(ctx.lang, SAID["blend_on"])
        if link is None or link.status != "active":
            text += say(ctx.lang, SAID["blend_needs_link"])
        return Reply("info", text)


def _database_down(ctx: ChatContext, use_case: str) -> Reply:
    """The private apology when the database is down; the log names the use case (call it
    inside the `except`, so the traceback is logged)."""
    log.warning("%s: database unavailable", use_case, exc_info=True)
    return Reply("error", say(ctx.lang, SORRY["database"]), private=True)
