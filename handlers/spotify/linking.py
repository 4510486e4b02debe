"""Linking a chat user's Spotify account: PKCE authorize URL, then the callback."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
from dataclasses import dataclass
from typing import cast

from db import jobs
from db import spotify as store
from db.pool import Database
from db.users import upsert_user
from handlers.edge.spotify import (
    SpotifyApp,
    SpotifyAuthFailed,
    SpotifyError,
    SpotifyGrantRevoked,
    SpotifyUserNotRegistered,
    Tokens,
    WebApi,
)
from handlers.notifier import Notifier
from handlers.replies import ChatContext, Platform
from handlers.secrets import SecretUnreadable, TokenCipher
from handlers.texts import (
    ALREADY_LINKED,
    LINK_PAGE,
    LINK_REJECTED,
    NOT_REGISTERED,
    importing_message,
)

log = logging.getLogger(__name__)

# How long a link the bot hands out stays valid; long enough to log in to Spotify.
STATE_TTL_S = 600.0
# 32 random bytes: a state nobody can guess.
STATE_BYTES = 32
# 64 bytes give an 86-character verifier; RFC 7636 asks for 43 to 128.
VERIFIER_BYTES = 64
# Used states are kept this long after expiry so a replay is told apart from a forgery.
STATE_KEEP_S = 86400.0
# /me/playlists page size (Spotify's maximum).
PLAYLIST_PAGE = 50
# Listing playlists for the "Importing N tracks" message stops after this many pages.
MAX_COUNT_PAGES = 20

LIBRARY_SYNC = "library_sync"


def state_hash(state: str) -> bytes:
    """The stored form of a state: its SHA-256."""
    return hashlib.sha256(state.encode("utf-8")).digest()


def library_key(user_id: int) -> str:
    """The dedupe key that keeps one library sync per user at a time."""
    return f"library:{user_id}"


@dataclass(frozen=True)
class LinkOutcome:
    """What the callback page shows."""

    ok: bool
    title: str
    message: str
    http_status: int = 200


class SpotifyLinker:
    """Starts links (authorize URLs) and finishes them (the callback)."""

    def __init__(
        self, db: Database, app: SpotifyApp, cipher: TokenCipher, notifier: Notifier
    ) -> None:
        self.db = db
        self.app = app
        self.cipher = cipher
        self.notifier = notifier

    async def start(self, ctx: ChatContext) -> str:
        """A fresh, single-use authorize URL bound to this chat user."""
        state = secrets.token_urlsafe(STATE_BYTES)
        verifier = secrets.token_urlsafe(VERIFIER_BYTES)
        async with self.db.pool.acquire() as conn:
            user_id = await upsert_user(conn, ctx.platform, ctx.user_id, ctx.user_name)
            await store.purge_old_states(conn, STATE_KEEP_S)
            await store.create_oauth_state(
                conn,
                state_hash(state),
                user_id,
                self.cipher.encrypt(verifier),
                ctx.chat_id,
                STATE_TTL_S,
            )
        return self.app.authorize_url(state, verifier)

    async def finish(self, state: str | None, code: str | None, error: str | None) -> LinkOutcome:
        """Check the state, exchange the code, store the tokens, queue the import."""
        if not state:
            return LinkOutcome(False, LINK_PAGE["refused"], LINK_REJECTED["forged"], 400)
        pending = await store.take_oauth_state(self.db.pool, state_hash(state))
        if isinstance(pending, str):
            log.info("Spotify callback refused: %s state", pending)
            return LinkOutcome(False, LINK_PAGE["refused"], LINK_REJECTED[pending], 400)
        if error or not code:
            return LinkOutcome(False, LINK_PAGE["not_linked"], LINK_PAGE["not_granted"])
        try:
            verifier = self.cipher.decrypt(pending.code_verifier)
            tokens = await asyncio.to_thread(self.app.exchange_code, code, verifier)
            return await self._store(pending, tokens)
        except SecretUnreadable:
            return LinkOutcome(False, LINK_PAGE["not_linked"], LINK_PAGE["secret_changed"])
        except SpotifyGrantRevoked:
            return LinkOutcome(False, LINK_PAGE["not_linked"], LINK_PAGE["login_expired"], 400)
        except SpotifyUserNotRegistered:
            return await self._not_registered(pending)
        except SpotifyAuthFailed as err:
            log.error("Spotify refused the app while linking: %s", err)
            return LinkOutcome(False, LINK_PAGE["not_linked"], LINK_PAGE["app_misconfigured"], 502)
        except SpotifyError as err:
            log.warning("Spotify failed during linking: %s", err)
            return LinkOutcome(False, LINK_PAGE["not_linked"], LINK_PAGE["no_answer"], 502)

    async def _store(self, pending: store.PendingState, tokens: Tokens) -> LinkOutcome:
        api = self.app.web_api(tokens.access_token)
        try:
            me = await asyncio.to_thread(api.get, "me")
            spotify_id = str(me["id"])
            name = str(me.get("display_name") or spotify_id)
            async with self.db.pool.acquire() as conn, conn.transaction():
                owner = await store.other_link_owner(
                    conn, spotify_id, pending.platform, pending.user_id
                )
                if owner is not None:
                    return LinkOutcome(False, LINK_PAGE["not_linked"], ALREADY_LINKED, 409)
                await store.save_link(
                    conn,
                    pending.user_id,
                    spotify_id,
                    name,
                    self.cipher.encrypt(tokens.access_token),
                    self.cipher.encrypt(tokens.refresh_token) if tokens.refresh_token else None,
                    tokens.expires_at,
                    tokens.scope,
                    pending.notify_chat_id,
                )
                await jobs.enqueue(
                    conn,
                    LIBRARY_SYNC,
                    {"user_id": pending.user_id, "initial": True},
                    dedupe_key=library_key(pending.user_id),
                )
            tracks, playlists = await _count_library(api)
        finally:
            api.close()
        log.info("user %s linked a Spotify account", pending.user_id)
        await self._tell(pending, importing_message(name, tracks, playlists))
        return LinkOutcome(True, LINK_PAGE["linked"], LINK_PAGE["back_to_chat"].format(name=name))

    async def _not_registered(self, pending: store.PendingState) -> LinkOutcome:
        log.error(
            "Spotify refused user %s: not on the app's user list. Add their Spotify e-mail in "
            "the developer dashboard (User Management; development mode allows 5 users).",
            pending.user_id,
        )
        await self._tell(pending, NOT_REGISTERED)
        return LinkOutcome(False, LINK_PAGE["not_linked"], NOT_REGISTERED, 403)

    async def _tell(self, pending: store.PendingState, text: str) -> None:
        if pending.notify_chat_id:
            platform = cast(Platform, pending.platform)
            await self.notifier.send(platform, pending.notify_chat_id, text)


async def _count_library(api: WebApi) -> tuple[int | None, int | None]:
    """Tracks (playlist entries plus saved) and playlists, for the message; None if unknown."""
    try:
        playlists, tracks = 0, 0
        page: dict | None = await asyncio.to_thread(api.get, "me/playlists", limit=PLAYLIST_PAGE)
        for _ in range(MAX_COUNT_PAGES):
            if page is None:
                break
            for playlist in page.get("items") or []:
                if playlist:
                    playlists += 1
                    tracks += playlist_total(playlist)
            nxt = page.get("next")
            page = await asyncio.to_thread(api.get, nxt) if nxt else None
        saved = await asyncio.to_thread(api.get, "me/tracks", limit=1)
        return tracks + int(saved.get("total") or 0), playlists
    except SpotifyError as err:
        log.info("could not count the library for the link message: %s", err)
        return None, None


def playlist_total(playlist: dict) -> int:
    """A simplified playlist's item count (`items` since 2026, `tracks` before)."""
    summary = playlist.get("items") or playlist.get("tracks") or {}
    return int(summary.get("total") or 0) if isinstance(summary, dict) else 0
