"""spotipy, pointed at the configured accounts and Web API URLs, with errors in our own types.

Only spotipy's public API is used: the named Web API methods (which, in spotipy >= 2.25, read
playlists from `/playlists/{id}/items`), `next` for paging, and the PKCE object's public
`code_verifier` / `code_challenge` attributes. spotipy is blocking: every call here runs on a
thread (`asyncio.to_thread`). Its DEBUG log lines carry bearer tokens and token bodies, so they
are dropped before any handler sees them.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import requests
import spotipy
from spotipy.cache_handler import MemoryCacheHandler
from spotipy.exceptions import SpotifyException, SpotifyOauthError
from spotipy.oauth2 import SpotifyClientCredentials, SpotifyPKCE

from handlers.edge.retry_after import RateLimited, parse_retry_after

log = logging.getLogger(__name__)

# Reading the library, plus creating private playlists for "Save as playlist".
SAVE_SCOPE = "playlist-modify-private"
SCOPES = f"playlist-read-private playlist-read-collaborative user-library-read {SAVE_SCOPE}"
# Spotify adds at most 100 items to a playlist per request.
MAX_ITEMS_PER_ADD = 100
# A Web API or token call that takes longer than this is treated as Spotify being down.
REQUEST_TIMEOUT_S = 15.0
# Spotify asks for waits of seconds; a longer one is handed back to the job queue instead.
MAX_INLINE_RETRY_AFTER_S = 120.0
# 429s in a row on one request before the job gives up for now (and is retried later).
MAX_RATE_LIMIT_WAITS = 5
# Refresh a little before expiry so a request never carries a token that dies in flight.
EXPIRY_MARGIN_S = 60
# Spotify's answer when a development-mode app is used by someone not on its user list.
NOT_REGISTERED_HINT = "not registered"


class SpotifyError(Exception):
    """Spotify could not do what we asked; the message is safe to log (no tokens)."""


class SpotifyUnavailable(SpotifyError):
    """Spotify is unreachable, slow or answering 5xx: worth retrying later."""


class SpotifyRateLimited(SpotifyError, RateLimited):
    """429: wait `retry_after` seconds."""


class SpotifyTokenExpired(SpotifyError):
    """401: the access token expired or was rejected; refresh it."""


class SpotifyForbidden(SpotifyError):
    """403: this resource is not readable with this token."""


class SpotifyUserNotRegistered(SpotifyForbidden):
    """403 for a development-mode app whose user list (at most 5) lacks this listener."""


class SpotifyNotFound(SpotifyError):
    """404: the playlist (or other resource) does not exist or is hidden."""


class SpotifyGrantRevoked(SpotifyError):
    """invalid_grant: the refresh token or code is no longer valid; the user must link again."""


class SpotifyAuthFailed(SpotifyError):
    """The accounts service refused the app itself (bad client id/secret, bad redirect URI)."""


@dataclass(frozen=True)
class Tokens:
    """An access token and its refresh token, never shown in logs or reprs."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    expires_at: datetime
    scope: str = ""

    @property
    def expired(self) -> bool:
        """Whether the access token is (nearly) past its lifetime."""
        return datetime.now(UTC) >= self.expires_at - timedelta(seconds=EXPIRY_MARGIN_S)


class _DropDebug(logging.Filter):
    """spotipy logs request headers (bearer tokens) and token bodies at DEBUG."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.DEBUG


_DEBUG_FILTER = _DropDebug()


def _quiet_spotipy() -> None:
    for name in ("spotipy", "spotipy.client", "spotipy.oauth2", "spotipy.cache_handler"):
        logger = logging.getLogger(name)
        if _DEBUG_FILTER not in logger.filters:
            logger.addFilter(_DEBUG_FILTER)


def s256_challenge(code_verifier: str) -> str:
    """The PKCE S256 code challenge of a verifier (RFC 7636 section 4.2)."""
    digest = hashlib.sha256(code_verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def has_scope(granted: str, scope: str) -> bool:
    """Whether a space-separated scope list (as Spotify grants it) includes `scope`."""
    return scope in granted.split()


def _tokens(info: dict[str, Any], old_refresh: str | None = None) -> Tokens:
    expires_in = float(info.get("expires_in", 3600))
    return Tokens(
        access_token=str(info["access_token"]),
        refresh_token=info.get("refresh_token") or old_refresh,
        expires_at=datetime.now(UTC) + timedelta(seconds=expires_in),
        scope=str(info.get("scope", "")),
    )


def _oauth_error(err: SpotifyOauthError) -> SpotifyError:
    if err.error == "invalid_grant":
        return SpotifyGrantRevoked(f"Spotify refused the grant: {err.error_description}")
    if err.error in ("invalid_client", "unauthorized_client", "invalid_request"):
        return SpotifyAuthFailed(
            f"Spotify refused the app ({err.error}: {err.error_description}); check "
            "SPOTIFY_CLIENT_ID, SPOTIFY_CLIENT_SECRET and SPOTIFY_REDIRECT_URI."
        )
    return SpotifyUnavailable(f"Spotify accounts service error: {err.error}")


def _api_error(err: SpotifyException) -> SpotifyError:
    status, message = err.http_status, str(err.msg).split("\n")[-1].strip()
    if status == 429:
        retry_after = parse_retry_after((err.headers or {}).get("Retry-After"))
        return SpotifyRateLimited(f"Spotify rate limit: retry after {retry_after:g} s", retry_after)
    if status == 401:
        return SpotifyTokenExpired(f"Spotify refused the access token: {message}")
    if status == 403:
        if NOT_REGISTERED_HINT in message.lower():
            return SpotifyUserNotRegistered(f"Spotify: {message}")
        return SpotifyForbidden(f"Spotify forbids this: {message}")
    if status == 404:
        return SpotifyNotFound(f"Spotify: not found: {message}")
    return SpotifyUnavailable(f"Spotify answered {status}: {message}")


def _call(fn: Callable[[], Any]) -> Any:
    """Run one spotipy call, translating its errors (blocking)."""
    try:
        return fn()
    except SpotifyOauthError as err:
        raise _oauth_error(err) from None
    except SpotifyException as err:
        raise _api_error(err) from None
    except requests.RequestException as err:
        raise SpotifyUnavailable(f"Cannot reach Spotify: {type(err).__name__}") from None


class SpotifyApp:
    """The registered Spotify app: authorize URLs, token exchanges, and Web API clients."""

    def __init__(
        self,
        client_id: str,
        client_secret: str | None,
        redirect_uri: str,
        accounts_url: str,
        api_url: str,
    ) -> None:
        _quiet_spotipy()
        self.client_id = client_id
        self._client_secret = client_secret
        self.redirect_uri = redirect_uri
        self.authorize_endpoint = accounts_url.rstrip("/") + "/authorize"
        self.token_endpoint = accounts_url.rstrip("/") + "/api/token"
        self.api_prefix = api_url.rstrip("/") + "/"
        self._app_auth: SpotifyClientCredentials | None = None

    def _pkce(self, code_verifier: str | None = None) -> SpotifyPKCE:
        pkce = SpotifyPKCE(
            client_id=self.client_id,
            redirect_uri=self.redirect_uri,
            scope=SCOPES,
            cache_handler=MemoryCacheHandler(),
            requests_timeout=REQUEST_TIMEOUT_S,
            open_browser=False,
        )
        # Instance attributes shadow spotipy's class-level URLs, for this object only.
        pkce.OAUTH_AUTHORIZE_URL = self.authorize_endpoint
        pkce.OAUTH_TOKEN_URL = self.token_endpoint
        if code_verifier is not None:
            # Our verifier (stored encrypted with the link state), not one spotipy draws.
            pkce.code_verifier = code_verifier
            pkce.code_challenge = s256_challenge(code_verifier)
        return pkce

    def authorize_url(self, state: str, code_verifier: str) -> str:
        """The URL the listener opens to grant access (PKCE S256 challenge, our scopes)."""
        return str(self._pkce(code_verifier).get_authorize_url(state=state))

    def exchange_code(self, code: str, code_verifier: str) -> Tokens:
        """Trade the callback's code for tokens (blocking)."""
        pkce = self._pkce(code_verifier)
        _call(lambda: pkce.get_access_token(code=code, check_cache=False))
        return _tokens(pkce.cache_handler.get_cached_token())

    def refresh(self, refresh_token: str) -> Tokens:
        """New tokens from a refresh token (blocking); SpotifyGrantRevoked when it is dead."""
        pkce = self._pkce()
        info = _call(lambda: pkce.refresh_access_token(refresh_token))
        return _tokens(info, old_refresh=refresh_token)

    def app_token(self) -> str:
        """A client-credentials token for public data such as trending playlists (blocking)."""
        if not self._client_secret:
            raise SpotifyAuthFailed("SPOTIFY_CLIENT_SECRET is needed to read trending playlists.")
        if self._app_auth is None:
            auth = SpotifyClientCredentials(
                self.client_id,
                self._client_secret,
                cache_handler=MemoryCacheHandler(),
                requests_timeout=REQUEST_TIMEOUT_S,
            )
            auth.OAUTH_TOKEN_URL = self.token_endpoint
            self._app_auth = auth
        app_auth = self._app_auth
        return str(_call(lambda: app_auth.get_access_token(as_dict=False)))

    def web_api(self, access_token: str) -> WebApi:
        """A Web API client for one access token."""
        return WebApi(self.api_prefix, access_token)


class WebApi:
    """The Web API calls MelodicLens makes, with one access token; blocking, errors translated."""

    def __init__(self, prefix: str, access_token: str) -> None:
        # A plain session: spotipy's default retry adapter would swallow 429's Retry-After.
        self._session = requests.Session()
        self._sp = spotipy.Spotify(
            auth=access_token, requests_session=self._session, requests_timeout=REQUEST_TIMEOUT_S
        )
        self._sp.prefix = prefix

    def me(self) -> dict[str, Any]:
        """The listener's profile (GET /me)."""
        return _page(_call(self._sp.me))

    def my_playlists(self, limit: int) -> dict[str, Any]:
        """The first page of the listener's playlists (GET /me/playlists)."""
        return _page(_call(lambda: self._sp.current_user_playlists(limit=limit)))

    def playlist_items(self, playlist_id: str, limit: int) -> dict[str, Any]:
        """The first page of a playlist's items (GET /playlists/{id}/items)."""
        return _page(_call(lambda: self._sp.playlist_items(playlist_id, limit=limit)))

    def saved_tracks(self, limit: int) -> dict[str, Any]:
        """The first page of Liked Songs (GET /me/tracks)."""
        return _page(_call(lambda: self._sp.current_user_saved_tracks(limit=limit)))

    def next_page(self, next_url: str) -> dict[str, Any]:
        """The page at a `next` URL Spotify handed out (kept across restarts to resume)."""
        return _page(_call(lambda: self._sp.next({"next": next_url})))

    def create_private_playlist(self, name: str, description: str) -> dict[str, Any]:
        """A new private playlist in the listener's account (POST /me/playlists)."""
        return _page(
            _call(
                lambda: self._sp.current_user_playlist_create(
                    name, public=False, collaborative=False, description=description
                )
            )
        )

    def add_tracks(self, playlist_id: str, track_ids: list[str]) -> dict[str, Any]:
        """Append up to MAX_ITEMS_PER_ADD tracks in order (POST /playlists/{id}/items)."""
        if len(track_ids) > MAX_ITEMS_PER_ADD:
            raise ValueError(f"at most {MAX_ITEMS_PER_ADD} tracks per request")
        return _page(_call(lambda: self._sp.playlist_add_items(playlist_id, track_ids)))

    def close(self) -> None:
        """Release the HTTP connections."""
        self._session.close()


def _page(result: Any) -> dict[str, Any]:
    return dict(result or {})


TokenSaver = Callable[[Tokens], Awaitable[None]]
Result = TypeVar("Result")


class UserClient:
    """A listener's Web API access: refreshes on 401 (saving new tokens), waits out 429s."""

    def __init__(
        self,
        app: SpotifyApp,
        tokens: Tokens,
        on_refresh: TokenSaver,
        max_retry_after_s: float = MAX_INLINE_RETRY_AFTER_S,
    ) -> None:
        self.app = app
        self.tokens = tokens
        self._on_refresh = on_refresh
        # a longer Retry-After is raised to the caller (a job re-queues, a button says "busy")
        self._max_retry_after_s = max_retry_after_s
        self._api = app.web_api(tokens.access_token)

    async def _refresh(self) -> None:
        if not self.tokens.refresh_token:
            raise SpotifyGrantRevoked("No refresh token is stored for this link.")
        refresh_token = self.tokens.refresh_token
        self.tokens = await asyncio.to_thread(self.app.refresh, refresh_token)
        await self._on_refresh(self.tokens)
        self._api.close()
        self._api = self.app.web_api(self.tokens.access_token)
        log.info("refreshed a Spotify access token")

    async def call(self, request: Callable[[WebApi], Result]) -> Result:
        """Run one Web API request with one refresh on 401 and Retry-After waits on 429.

        A 429 means Spotify did not act, so even a POST is safe to send again.
        """
        if self.tokens.expired:
            await self._refresh()
        refreshed, waits = False, 0
        while True:
            try:
                return await asyncio.to_thread(request, self._api)
            except SpotifyTokenExpired:
                if refreshed:
                    raise
                refreshed = True
                await self._refresh()
            except SpotifyRateLimited as err:
                waits += 1
                if waits > MAX_RATE_LIMIT_WAITS or err.retry_after > self._max_retry_after_s:
                    raise
                log.info("Spotify rate limit: waiting %.1f s", err.retry_after)
                await asyncio.sleep(err.retry_after)

    def close(self) -> None:
        """Release the HTTP connections."""
        self._api.close()
