"""Account use cases: link and unlink Spotify, forget a user, blend a library into a group."""

from __future__ import annotations

import logging

import asyncpg

from bot.settings import Settings
from db import spotify as store
from db.errors import DatabaseError
from db.pool import Database
from db.users import find_user, upsert_user
from db.users import set_blend as store_blend
from handlers.notifier import Notifier
from handlers.replies import ChatContext, Reply
from handlers.secrets import SecretKeyMissing, TokenCipher
from handlers.spotify.client import SpotifyApp
from handlers.spotify.linking import NOT_REGISTERED, STATE_TTL_S, SpotifyLinker
from handlers.spotify.playlist_save import PlaylistSaver, SaveOutcome

log = logging.getLogger(__name__)

DB_DOWN = "I can't reach my database right now. Please try again in a minute."
NOT_CONFIGURED = (
    "Spotify linking is not set up on this bot (its operator needs to set SPOTIFY_CLIENT_ID "
    "and MELODICLENS_SECRET_KEY)."
)
DB_ERRORS = (DatabaseError, asyncpg.PostgresError, OSError, TimeoutError)
LINK_COMMAND = {"telegram": "/link_spotify", "discord": "/link-spotify", "cli": "link"}
SAVE_TEXTS = {
    "not_linked": "Link your Spotify account first ({command}), then press Save again.",
    "needs_relink": (
        "To save playlists, MelodicLens needs one more permission from Spotify. Open this link "
        "to link again (once), then press Save again."
    ),
    "revoked": "Spotify no longer accepts MelodicLens's access to your account. "
    "Link it again with {command}.",
    "not_registered": NOT_REGISTERED,
    "stale": "That answer is no longer available. Send the photo again.",
    "busy": "Spotify is busy right now. Press Save again in a minute.",
    "failed": "Spotify didn't answer. Press Save again in a minute.",
}


def build_linker(db: Database, settings: Settings, notifier: Notifier) -> SpotifyLinker | None:
    """The linker, or None (with a log line saying why) when linking cannot work."""
    if not settings.spotify_client_id:
        log.info("Spotify linking is off: SPOTIFY_CLIENT_ID is not set")
        return None
    try:
        cipher = TokenCipher(settings.secret_key)
    except SecretKeyMissing as err:
        log.warning("%s", err)
        return None
    return SpotifyLinker(db, SpotifyApp.from_settings(settings), cipher, notifier)


class AccountHandler:
    """The account commands behind BotService; every failure becomes a short Reply."""

    def __init__(self, db: Database, settings: Settings, notifier: Notifier) -> None:
        self.db = db
        self.settings = settings
        self.linker = build_linker(db, settings, notifier)

    async def link_spotify(self, ctx: ChatContext) -> Reply:
        """A private reply carrying a fresh Spotify authorize URL."""
        if self.linker is None:
            return Reply("error", NOT_CONFIGURED, private=True)
        try:
            url = await self.linker.start(ctx)
        except DB_ERRORS:
            log.warning("link_spotify: database unavailable", exc_info=True)
            return Reply("error", DB_DOWN, private=True)
        minutes = int(STATE_TTL_S // 60)
        text = (
            "Open this link to connect your Spotify account. It works once and only for you, "
            f"for {minutes} minutes. MelodicLens reads your playlists and Liked Songs, and makes "
            "a private playlist only when you press Save as playlist."
        )
        return Reply("link", text, url=url, private=True)

    async def save_playlist(self, ctx: ChatContext, rec_id: int) -> Reply:
        """Save an answer's songs as a private playlist in the presser's Spotify account."""
        if self.linker is None:
            return Reply("error", NOT_CONFIGURED, private=True)
        saver = PlaylistSaver(self.db, self.linker.app, self.linker.cipher)
        try:
            user_id = await find_user(self.db.pool, ctx.platform, ctx.user_id)
            outcome = SaveOutcome("not_linked")
            if user_id is not None:
                outcome = await saver.save(user_id, rec_id)
        except DB_ERRORS:
            log.warning("save_playlist: database unavailable", exc_info=True)
            return Reply("error", DB_DOWN, private=True)
        return await self._saved_reply(ctx, outcome)

    async def _saved_reply(self, ctx: ChatContext, outcome: SaveOutcome) -> Reply:
        if outcome.status == "saved":
            text = f"Saved “{outcome.name}” to your Spotify: {outcome.tracks} songs, private."
            return Reply("info", text, url=outcome.playlist_url, private=True)
        if outcome.status == "needs_relink":
            link = await self.link_spotify(ctx)
            if link.kind != "link":
                return link
            return Reply("link", SAVE_TEXTS["needs_relink"], url=link.url, private=True)
        text = SAVE_TEXTS[outcome.status].format(command=LINK_COMMAND[ctx.platform])
        if outcome.status in ("busy", "failed"):
            return Reply("error", text, private=True)
        return Reply("info", text, private=True)

    async def unlink_spotify(self, ctx: ChatContext) -> Reply:
        """Delete the tokens and the imported library."""
        try:
            user_id = await find_user(self.db.pool, ctx.platform, ctx.user_id)
            if user_id is None:
                return Reply("info", "No Spotify account is linked.", private=True)
            async with self.db.pool.acquire() as conn:
                counts = await store.unlink(conn, user_id)
        except DB_ERRORS:
            log.warning("unlink_spotify: database unavailable", exc_info=True)
            return Reply("error", DB_DOWN, private=True)
        if not counts["link"]:
            return Reply("info", "No Spotify account is linked.", private=True)
        return Reply(
            "info",
            "Unlinked. Your Spotify tokens and the "
            f"{counts['library_entries']} imported library entries are deleted.",
            private=True,
        )

    async def forget_me(self, ctx: ChatContext) -> Reply:
        """Delete everything about this user and say what was deleted."""
        try:
            user_id = await find_user(self.db.pool, ctx.platform, ctx.user_id)
            if user_id is None:
                return Reply("info", "I hold nothing about you.", private=True)
            async with self.db.pool.acquire() as conn:
                counts = await store.forget_user(conn, user_id)
        except DB_ERRORS:
            log.warning("forget_me: database unavailable", exc_info=True)
            return Reply("error", DB_DOWN, private=True)
        return Reply("info", forgotten_text(counts), private=True)

    async def set_blend(self, ctx: ChatContext, enabled: bool) -> Reply:
        """Let (or stop) this member's linked library blend into this group's answers."""
        if not ctx.is_group:
            return Reply("info", "Blending is for group chats: use it in a group.", private=True)
        try:
            user_id = await upsert_user(self.db.pool, ctx.platform, ctx.user_id, ctx.user_name)
            await store_blend(self.db.pool, ctx.platform, ctx.chat_id, user_id, enabled)
            link = await store.get_link(self.db.pool, user_id)
        except DB_ERRORS:
            log.warning("set_blend: database unavailable", exc_info=True)
            return Reply("error", DB_DOWN, private=True)
        if not enabled:
            return Reply("info", "Your library no longer blends into this chat's answers.")
        text = "Your Spotify library now blends into this chat's answers."
        if link is None or link.status != "active":
            text += " Link your Spotify account first, or there is nothing to blend."
        return Reply("info", text)


def forgotten_text(counts: dict[str, int]) -> str:
    """The confirmation of /forget-me, listing what was deleted."""
    parts = [
        f"{counts.get('link', 0)} Spotify link",
        f"{counts.get('library_entries', 0)} library entries",
        f"{counts.get('recommendations', 0)} past answers",
        f"{counts.get('feedback', 0)} feedback marks",
        f"{counts.get('chat_memberships', 0)} chat memberships",
    ]
    return "Done: I deleted everything about you (" + ", ".join(parts) + ")."
