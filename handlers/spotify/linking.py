"""Linking a chat user's Spotify account: PKCE authorize URL, the callback's confirm page, and
the confirmation (a POST) that stores the link.

The confirm page names the chat account the Spotify login is about to be linked to, so that
a link someone forwarded is not completed by whoever opens it.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
from dataclasses import dataclass, field
from typing import cast
from urllib.parse import urlencode

import asyncpg

from db import jobs, spotify_links
from db.pool import Database
from db.users import upsert_user
from handlers.edge.spotify import (
    SpotifyApp,
    SpotifyAuthFailed,
    SpotifyError,
    SpotifyGrantRevoked,
    SpotifyRateLimited,
    SpotifyUserNotRegistered,
    Tokens,
    WebApi,
)
from handlers.i18n import DEFAULT, SUPPORTED
from handlers.notifier import Notifier
from handlers.replies import ChatContext, Platform
from handlers.secrets import SecretUnreadable, TokenCipher
from handlers.texts import (
    ALREADY_LINKED,
    LINK_PAGE,
    LINK_REJECTED,
    NOT_REGISTERED,
    PLATFORM_NAMES,
    importing_message,
    say,
)
from recsys.text_hygiene import clean_text

log = logging.getLogger(__name__)

# How long a link the bot hands out stays valid; long enough to log in to Spotify.
STATE_TTL_S = 600.0
# A display name on the confirm page and in "Linked as ..." (Telegram allows 129 characters
# for a full name, Spotify more): enough to recognise, not enough to fill the page.
MAX_SHOWN_NAME_CHARS = 64
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


def new_state(lang: str) -> str:
    """A fresh state carrying the asker's language after its last ".": the whole state is
    stored hashed, so a changed language is a state nobody handed out."""
    return f"{secrets.token_urlsafe(STATE_BYTES)}.{lang if lang in SUPPORTED else DEFAULT}"


def state_language(state: str | None) -> str:
    """The language a state was made for; English for a state without a known one."""
    suffix = (state or "").rpartition(".")[2]
    return suffix if suffix in SUPPORTED else DEFAULT


def library_key(user_id: int) -> str:
    """The dedupe key that keeps one library sync per user at a time."""
    return f"library:{user_id}"


@dataclass(frozen=True)
class LinkOutcome:
    """What the callback page shows; `retry_url` starts the same link again at Spotify."""

    ok: bool
    title: str
    message: str
    http_status: int = 200
    retry_url: str | None = field(default=None, repr=False)
    # the language the page is in (the asker's, from the link's state)
    lang: str = DEFAULT


@dataclass(frozen=True)
class LinkReview:
    """The confirm page: the chat account this Spotify login is about to be linked to."""

    platform: str
    account_name: str
    lang: str = DEFAULT


def _failed(
    lang: str, title: str, message: str, status: int = 200, retry: str | None = None
) -> LinkOutcome:
    """A page saying why nothing was linked: `title` worded here, `message` already worded."""
    return LinkOutcome(False, say(lang, title), message, status, retry, lang)


def account_name(pending: spotify_links.PendingState) -> str:
    """How the confirm page names the chat account: its display name and platform id. The
    name is chosen by its owner: bidi overrides (U+202E) and other invisible characters
    could make it read as someone else's, so they are dropped and the length capped."""
    shown = clean_text(pending.display_name or "", MAX_SHOWN_NAME_CHARS)
    if shown and shown != pending.platform_user_id:
        return f"{shown} (id {pending.platform_user_id})"
    return f"id {pending.platform_user_id}"


@dataclass(eq=False)
class SpotifyLinker:
    """Starts links (authorize URLs), shows the confirm page, and finishes confirmed links."""

    db: Database
    app: SpotifyApp
    cipher: TokenCipher
    notifier: Notifier

    async def start(self, ctx: ChatContext) -> str:
        """A fresh, single-use authorize URL bound to this chat user."""
        state = new_state(ctx.lang)
        verifier = secrets.token_urlsafe(VERIFIER_BYTES)
        async with self.db.pool.acquire() as conn:
            user_id = await upsert_user(conn, ctx.platform, ctx.user_id, ctx.user_name)
            await spotify_links.purge_old_states(conn, STATE_KEEP_S)
            await spotify_links.create_oauth_state(
                conn,
                state_hash(state),
                user_id,
                self.cipher.encrypt(verifier),
                ctx.chat_id,
                STATE_TTL_S,
            )
        return self.authorize_url(state, verifier)

    def authorize_url(self, state: str, verifier: str) -> str:
        """Spotify's consent page for this state, always shown (`show_dialog`).

        Without show_dialog a listener who granted access before is sent straight back,
        so a link forwarded to them would complete without them seeing any page.
        """
        return f"{self.app.authorize_url(state, verifier)}&{urlencode({'show_dialog': 'true'})}"

    async def review(
        self, state: str | None, code: str | None, error: str | None
    ) -> LinkOutcome | LinkReview:
        """The callback (GET): the confirm page, or why this link cannot go on. Uses nothing up."""
        lang = state_language(state)
        if not state:
            return _failed(lang, LINK_PAGE["refused"], say(lang, LINK_REJECTED["forged"]), 400)
        pending = await spotify_links.find_oauth_state(self.db.pool, state_hash(state))
        if isinstance(pending, str):
            log.info("Spotify callback refused: %s state", pending)
            return _failed(lang, LINK_PAGE["refused"], say(lang, LINK_REJECTED[pending]), 400)
        if error or not code:
            retry = self._retry_url(state, pending)
            text = say(lang, LINK_PAGE["not_granted"])
            return _failed(lang, LINK_PAGE["not_linked"], text, retry=retry)
        name = say(lang, PLATFORM_NAMES.get(pending.platform, pending.platform))
        return LinkReview(name, account_name(pending), lang)

    async def finish(self, state: str | None, code: str | None) -> LinkOutcome:
        """The confirm button (POST): exchange the code, store the tokens, queue the import.

        The state is used up in the transaction that stores the link, so any failure before
        that (Spotify down, a 429, the database gone) leaves it usable until it expires, and
        the page offers to start the same link again.
        """
        lang = state_language(state)
        if not state or not code:
            return _failed(lang, LINK_PAGE["refused"], say(lang, LINK_REJECTED["forged"]), 400)
        hashed = state_hash(state)
        async with self.db.pool.acquire() as conn, conn.transaction():
            pending = await spotify_links.find_oauth_state(conn, hashed, lock=True)
            if isinstance(pending, str):
                log.info("Spotify link confirmation refused: %s state", pending)
                return _failed(lang, LINK_PAGE["refused"], say(lang, LINK_REJECTED[pending]), 400)
            outcome, linked = await self._exchange(conn, pending, state, code)
            if linked is None:
                return outcome
            await spotify_links.use_oauth_state(conn, hashed)
        await self._announce(pending, linked, lang)
        return outcome

    async def _exchange(
        self, conn: asyncpg.Connection, pending: spotify_links.PendingState, state: str, code: str
    ) -> tuple[LinkOutcome, Linked | None]:
        retry, lang = self._retry_url(state, pending), state_language(state)
        try:
            verifier = self.cipher.decrypt(pending.code_verifier)
            tokens = await asyncio.to_thread(self.app.exchange_code, code, verifier)
            return await self._store(conn, pending, tokens, lang)
        except SecretUnreadable:
            return _failed(
                lang, LINK_PAGE["not_linked"], say(lang, LINK_PAGE["secret_changed"])
            ), None
        except SpotifyGrantRevoked:
            text = say(lang, LINK_PAGE["login_expired"])
            return _failed(lang, LINK_PAGE["not_linked"], text, 400, retry), None
        except SpotifyUserNotRegistered:
            return await self._not_registered(pending, lang), None
        except SpotifyAuthFailed as err:
            log.error("Spotify refused the app while linking: %s", err)
            text = say(lang, LINK_PAGE["app_misconfigured"])
            return _failed(lang, LINK_PAGE["not_linked"], text, 502), None
        except SpotifyRateLimited as err:
            log.warning("Spotify rate-limited a link: %s", err)
            wait = max(1, round(err.retry_after))
            text = say(lang, LINK_PAGE["spotify_busy"], seconds=wait)
            return _failed(lang, LINK_PAGE["not_linked"], text, 503, retry), None
        except SpotifyError as err:
            log.warning("Spotify failed during linking: %s", err)
            text = say(lang, LINK_PAGE["no_answer"])
            return _failed(lang, LINK_PAGE["not_linked"], text, 502, retry), None

    def _retry_url(self, state: str, pending: spotify_links.PendingState) -> str | None:
        try:
            return self.authorize_url(state, self.cipher.decrypt(pending.code_verifier))
        except SecretUnreadable:
            return None

    async def _store(
        self,
        conn: asyncpg.Connection,
        pending: spotify_links.PendingState,
        tokens: Tokens,
        lang: str,
    ) -> tuple[LinkOutcome, Linked | None]:
        api = self.app.web_api(tokens.access_token)
        try:
            me = await asyncio.to_thread(api.me)
        finally:
            api.close()
        spotify_id = str(me["id"])
        name = clean_text(str(me.get("display_name") or ""), MAX_SHOWN_NAME_CHARS) or spotify_id
        if await spotify_links.other_link_owner(conn, spotify_id, pending.user_id) is not None:
            return _failed(lang, LINK_PAGE["not_linked"], say(lang, ALREADY_LINKED), 409), None
        await spotify_links.save_link(
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
            {"user_id": pending.user_id, "initial": True, "lang": lang},
            dedupe_key=library_key(pending.user_id),
            user_id=pending.user_id,
        )
        text = say(lang, LINK_PAGE["back_to_chat"], name=name)
        linked = Linked(name, tokens.access_token)
        return LinkOutcome(True, say(lang, LINK_PAGE["linked"]), text, lang=lang), linked

    async def _announce(
        self, pending: spotify_links.PendingState, linked: Linked, lang: str
    ) -> None:
        """After the link is stored: tell the chat, with the library's size when known."""
        log.info("user %s linked a Spotify account", pending.user_id)
        api = self.app.web_api(linked.access_token)
        try:
            tracks, playlists = await _count_library(api)
        finally:
            api.close()
        await self._tell(pending, importing_message(lang, linked.name, tracks, playlists))

    async def _not_registered(self, pending: spotify_links.PendingState, lang: str) -> LinkOutcome:
        log.error(
            "Spotify refused user %s: not on the app's user list. Add their Spotify e-mail in "
            "the developer dashboard (User Management; development mode allows 5 users).",
            pending.user_id,
        )
        await self._tell(pending, say(lang, NOT_REGISTERED))
        return _failed(lang, LINK_PAGE["not_linked"], say(lang, NOT_REGISTERED), 403)

    async def _tell(self, pending: spotify_links.PendingState, text: str) -> None:
        if pending.notify_chat_id:
            platform = cast(Platform, pending.platform)
            await self.notifier.send(platform, pending.notify_chat_id, text)


@dataclass(frozen=True)
class Linked:
    """A link just stored: the Spotify name, and the access token to count the library."""

    name: str
    access_token: str = field(repr=False)


async def _count_library(api: WebApi) -> tuple[int | None, int | None]:
    """Tracks (playlist entries plus saved) and playlists, for the message; None if unknown."""
    try:
        playlists, tracks = 0, 0
        page: dict | None = await asyncio.to_thread(api.my_playlists, PLAYLIST_PAGE)
        for _ in range(MAX_COUNT_PAGES):
            if page is None:
                break
            for playlist in page.get("items") or []:
                if playlist:
                    playlists += 1
                    tracks += playlist_total(playlist)
            nxt = page.get("next")
            page = await asyncio.to_thread(api.next_page, nxt) if nxt else None
        saved = await asyncio.to_thread(api.saved_tracks, 1)
        return tracks + int(saved.get("total") or 0), playlists
    except SpotifyError as err:
        log.info("could not count the library for the link message: %s", err)
        return None, None


def playlist_total(playlist: dict) -> int:
    """A simplified playlist's item count (`items` since 2026, `tracks` before)."""
    summary = playlist.get("items") or playlist.get("tracks") or {}
    return int(summary.get("total") or 0) if isinstance(summary, dict) else 0
