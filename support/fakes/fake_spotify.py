"""A local Spotify: the accounts service (authorize, PKCE token exchange, refresh, client
credentials) and the Web API endpoints MelodicLens uses, with real paging, scopes and error
bodies: it reads profiles, playlists, playlist items and saved tracks, and creates private
playlists (POST /me/playlists, POST /playlists/{id}/items) for a token with
playlist-modify-private.

It serves the real library in ../shared/data/user_playlists.csv when present (25 playlists,
1,084 entries, 913 tracks) and a small fictional one otherwise.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import json
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from aiohttp import web

from support.fakes.loopback import LoopbackServer

CLIENT_ID = "fake-client-id"
CLIENT_SECRET = "fake-client-secret"
REDIRECT_URI = "http://127.0.0.1:8888/spotify/callback"
SHARED_PLAYLISTS = Path(__file__).resolve().parents[3] / "shared" / "data" / "user_playlists.csv"
MAX_LIMIT = 50
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
# What the accounts service grants when the authorize URL names no scope.
READ_SCOPES = "playlist-read-private playlist-read-collaborative user-library-read"
MODIFY_PRIVATE = "playlist-modify-private"
# Spotify's own limit on items added per request.
MAX_ADD = 100
TRACK_URI = re.compile(r"spotify:track:([0-9A-Za-z]{22})")


def fake_id(seed: str) -> str:
    """A stable 22-character base-62 Spotify-style id."""
    number = int.from_bytes(hashlib.sha256(seed.encode()).digest(), "big")
    chars = []
    for _ in range(22):
        number, digit = divmod(number, 62)
        chars.append(B62[digit])
    return "".join(chars)


@dataclass
class Track:
    id: str
    name: str
    artists: list[str]
    album: str
    # Spotify sends external_ids.isrc on track objects; None leaves external_ids out.
    isrc: str | None = None

    def json(self) -> dict:
        extra = {"external_ids": {"isrc": self.isrc}} if self.isrc else {}
        return {
            **extra,
            "id": self.id,
            "name": self.name,
            "type": "track",
            "uri": f"spotify:track:{self.id}",
            "is_local": False,
            "artists": [{"name": a, "type": "artist"} for a in self.artists],
            "album": {"name": self.album, "type": "album"},
            "external_urls": {"spotify": f"https://open.spotify.com/track/{self.id}"},
        }


@dataclass
class Library:
    """One listener's playlists (id -> name, track ids in order) and saved tracks."""

    display_name: str
    tracks: dict[str, Track] = field(default_factory=dict)
    playlists: dict[str, tuple[str, list[str]]] = field(default_factory=dict)
    saved: list[str] = field(default_factory=list)

    def distinct_pairs(self, skip: set[str] = frozenset()) -> int:  # type: ignore[assignment]
        """Distinct (track, playlist) pairs, Liked Songs counting as one more playlist."""
        pairs = {
            (t, pid) for pid, (_, ids) in self.playlists.items() if pid not in skip for t in ids
        }
        return len(pairs) + len(set(self.saved))

    def entry_count(self) -> int:
        return sum(len(ids) for _, ids in self.playlists.values()) + len(self.saved)


def real_library(path: Path = SHARED_PLAYLISTS) -> Library:
    """The study's listener, read from the shared CSV."""
    library = Library("Pratik")
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            track = Track(
                row["track_id"],
                row["track_name"],
                [a.strip() for a in row["artist_name"].split(",") if a.strip()],
                row["album_name"],
            )
            library.tracks.setdefault(track.id, track)
            _, ids = library.playlists.setdefault(row["playlist_id"], (row["playlist_name"], []))
            ids.append(track.id)
    # A few Liked Songs so the saved-tracks path is exercised too.
    library.saved = sorted(library.tracks)[::40]
    return library


def fictional_library(name: str = "Robin", sizes: tuple[int, ...] = (120, 57, 7)) -> Library:
    """A made-up listener: playlists of the given sizes (one track appears twice)."""
    library = Library(name)
    for p, size in enumerate(sizes):
        pid = fake_id(f"{name}-playlist-{p}")
        ids = []
        for i in range(size):
            track = Track(
                fake_id(f"{name}-{p}-{i}"), f"Song {p}.{i}", [f"Artist {i % 9}"], f"Album {p}"
            )
            library.tracks[track.id] = track
            ids.append(track.id)
        if ids:
            ids.append(ids[0])  # the same song twice in one playlist, as Spotify allows
        library.playlists[pid] = (f"Playlist {p}", ids)
    library.saved = next(iter(library.playlists.values()))[1][:5]
    return library


def default_library() -> Library:
    """The real library when ../shared/data is there, else the fictional one."""
    return real_library() if SHARED_PLAYLISTS.exists() else fictional_library()


@dataclass
class Grant:
    user: str
    kind: str  # "user" or "app"
    expired: bool = False
    scope: str = READ_SCOPES


@dataclass
class CreatedPlaylist:
    """A playlist made through the API: who made it, how, and its tracks in order."""

    id: str
    owner: str
    name: str
    description: str
    public: bool
    collaborative: bool
    track_ids: list[str] = field(default_factory=list)


def _api_error(status: int, message: str, headers: dict | None = None) -> web.Response:
    return web.json_response(
        {"error": {"status": status, "message": message}}, status=status, headers=headers
    )


def _oauth_error(error: str, description: str, status: int = 400) -> web.Response:
    return web.json_response({"error": error, "error_description": description}, status=status)


def _failure(status: int) -> web.Response:
    """Spotify overloaded (429 with Retry-After) or failing (5xx with an HTML body)."""
    if status == 429:
        return _api_error(429, "API rate limit exceeded", {"Retry-After": "3"})
    return web.Response(status=status, text=f"<html><body>{status} upstream error</body></html>")


class FakeSpotify(LoopbackServer):
    """The fake's state and its aiohttp application; tests poke at the state directly."""

    def __init__(self) -> None:
        self.libraries: dict[str, Library] = {}
        self.public_playlists: dict[str, tuple[str, list[Track]]] = {}
        self.registered: set[str] = set()  # empty: every user is allowed
        self.consenting_user = ""
        # code -> (challenge, redirect, user, scope)
        self.codes: dict[str, tuple[str, str, str, str]] = {}
        self.grants: dict[str, Grant] = {}  # access token -> grant
        self.refresh_tokens: dict[str, str] = {}  # refresh token -> user
        self.refresh_scopes: dict[str, str] = {}  # refresh token -> granted scope
        self.created: dict[str, CreatedPlaylist] = {}  # playlists made through the API
        self.forbidden_playlists: set[str] = set()
        self.rate_limits: list[float] = []  # Retry-After of the next API answers
        # statuses (429, 500, 503...) the next token requests / Web API requests answer with
        self.token_failures: list[int] = []
        self.api_failures: list[int] = []
        self.authorize_queries: list[dict[str, str]] = []  # what each /authorize was asked
        self.retry_after_headers: list[str] = []  # raw Retry-After of the next 429s
        self.server_errors: list[int] = []  # 5xx statuses of the next API answers
        self.requests: list[str] = []
        self.issued: list[str] = []  # every token handed out, for leak scans
        super().__init__(web.Application())
        self.app.router.add_get("/authorize", self.authorize)
        self.app.router.add_post("/api/token", self.token)
        self.app.router.add_get("/v1/me", self.me)
        self.app.router.add_get("/v1/me/", self.me)  # spotipy's me() asks for "me/"
        self.app.router.add_post("/v1/me/playlists", self.create_playlist)
        self.app.router.add_post("/v1/playlists/{id}/items", self.add_items)
        self.app.router.add_get("/v1/me/playlists", self.my_playlists)
        self.app.router.add_get("/v1/me/tracks", self.saved_tracks)
        self.app.router.add_get("/v1/playlists/{id}/items", self.playlist_items)
        self.app.router.add_get("/v1/playlists/{id}/tracks", self.removed_endpoint)

    def add_user(self, user: str, library: Library) -> None:
        self.libraries[user] = library
        self.consenting_user = self.consenting_user or user

    def expire_tokens(self, user: str) -> None:
        """Every access token of the user now answers 401 "The access token expired"."""
        for grant in self.grants.values():
            if grant.user == user:
                grant.expired = True

    def revoke(self, user: str) -> None:
        """The user removed the app's access: refresh tokens die, access tokens too."""
        self.refresh_tokens = {t: u for t, u in self.refresh_tokens.items() if u != user}
        self.expire_tokens(user)

    def _new_token(self, prefix: str) -> str:
        token = f"{prefix}-{secrets.token_urlsafe(24)}"
        self.issued.append(token)
        return token

    # --- accounts service ------------------------------------------------------------------
    async def authorize(self, request: web.Request) -> web.Response:
        q = request.query
        self.authorize_queries.append(dict(q))
        if q.get("client_id") != CLIENT_ID:
            return web.Response(status=400, text="INVALID_CLIENT: Invalid client")
        if q.get("redirect_uri") != REDIRECT_URI:
            return web.Response(status=400, text="INVALID_CLIENT: Invalid redirect URI")
        if q.get("response_type") != "code" or q.get("code_challenge_method") != "S256":
            return web.Response(status=400, text="unsupported_response_type")
        code = secrets.token_urlsafe(16)
        scope = " ".join(q.get("scope", READ_SCOPES).split())
        self.codes[code] = (q["code_challenge"], q["redirect_uri"], self.consenting_user, scope)
        target = f"{q['redirect_uri']}?{urlencode({'code': code, 'state': q.get('state', '')})}"
        raise web.HTTPFound(target)

    async def token(self, request: web.Request) -> web.Response:
        form = await request.post()
        if self.token_failures:
            return _failure(self.token_failures.pop(0))
        grant = form.get("grant_type")
        if grant == "authorization_code":
            return self._exchange(form)
        if grant == "refresh_token":
            return self._refresh(str(form.get("refresh_token", "")))
        if grant == "client_credentials":
            return self._client_credentials(request)
        return _oauth_error("unsupported_grant_type", f"grant_type {grant} is not supported")

    def _exchange(self, form) -> web.Response:  # type: ignore[no-untyped-def]
        found = self.codes.pop(str(form.get("code", "")), None)
        if found is None:
            return _oauth_error("invalid_grant", "Invalid authorization code")
        challenge, redirect, user, scope = found
        if form.get("redirect_uri") != redirect:
            return _oauth_error("invalid_grant", "Invalid redirect URI")
        if form.get("client_id") != CLIENT_ID:
            return _oauth_error("invalid_client", "Invalid client")
        digest = hashlib.sha256(str(form.get("code_verifier", "")).encode()).digest()
        if base64.urlsafe_b64encode(digest).decode().rstrip("=") != challenge:
            return _oauth_error("invalid_grant", "code_verifier was incorrect")
        return self._issue(user, with_refresh=True, scope=scope)

    def _refresh(self, refresh_token: str) -> web.Response:
        user = self.refresh_tokens.pop(refresh_token, None)
        if user is None:
            return _oauth_error("invalid_grant", "Refresh token revoked")
        scope = self.refresh_scopes.pop(refresh_token, READ_SCOPES)
        return self._issue(user, with_refresh=True, scope=scope)

    def _client_credentials(self, request: web.Request) -> web.Response:
        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if request.headers.get("Authorization") != f"Basic {expected}":
            return _oauth_error("invalid_client", "Invalid client", 400)
        token = self._new_token("app")
        self.grants[token] = Grant("", "app")
        return web.json_response(
            {"access_token": token, "token_type": "Bearer", "expires_in": 3600}
        )

    def _issue(self, user: str, with_refresh: bool, scope: str = READ_SCOPES) -> web.Response:
        access = self._new_token("access")
        self.grants[access] = Grant(user, "user", scope=scope)
        body = {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": 3600,
            "scope": scope,
        }
        if with_refresh:
            refresh = self._new_token("refresh")
            self.refresh_tokens[refresh] = user
            self.refresh_scopes[refresh] = scope
            body["refresh_token"] = refresh
        return web.json_response(body)

    # --- Web API -------------------------------------------------------------------------
    def _check(self, request: web.Request, user_only: bool = True) -> Grant | web.Response:
        self.requests.append(request.path_qs)
        if self.api_failures:
            return _failure(self.api_failures.pop(0))
        if self.server_errors:
            status = self.server_errors.pop(0)
            return _api_error(status, "Service unavailable")
        if self.retry_after_headers:
            raw = self.retry_after_headers.pop(0)
            return _api_error(429, "API rate limit exceeded", {"Retry-After": raw})
        if self.rate_limits:
            wait = self.rate_limits.pop(0)
            return _api_error(429, "API rate limit exceeded", {"Retry-After": f"{wait:g}"})
        auth = request.headers.get("Authorization", "")
        grant = self.grants.get(auth.removeprefix("Bearer "))
        if grant is None:
            return _api_error(401, "Invalid access token")
        if grant.expired:
            return _api_error(401, "The access token expired")
        if user_only and grant.kind != "user":
            return _api_error(401, "Only valid bearer authentication supported")
        if grant.user and self.registered and grant.user not in self.registered:
            return web.Response(status=403, text="User not registered in the Developer Dashboard")
        return grant

    def _page(self, request: web.Request, items: list, path: str) -> dict:
        limit = min(int(request.query.get("limit", 20)), MAX_LIMIT)
        offset = int(request.query.get("offset", 0))
        nxt = offset + limit
        base = f"{self.url}{path}"
        return {
            "href": f"{base}?offset={offset}&limit={limit}",
            "items": items[offset : offset + limit],
            "limit": limit,
            "offset": offset,
            "total": len(items),
            "next": f"{base}?offset={nxt}&limit={limit}" if nxt < len(items) else None,
            "previous": f"{base}?offset={max(offset - limit, 0)}&limit={limit}" if offset else None,
        }

    async def me(self, request: web.Request) -> web.Response:
        grant = self._check(request)
        if isinstance(grant, web.Response):
            return grant
        library = self.libraries[grant.user]
        return web.json_response(
            {
                "id": grant.user,
                "display_name": library.display_name,
                "type": "user",
                "uri": f"spotify:user:{grant.user}",
            }
        )

    async def my_playlists(self, request: web.Request) -> web.Response:
        grant = self._check(request)
        if isinstance(grant, web.Response):
            return grant
        items = [
            {
                "id": pid,
                "name": name,
                "type": "playlist",
                "owner": {"id": grant.user},
                "public": False,
                # Since 2026 the summary is `items`; `tracks` is null.
                "items": {"href": f"{self.url}/v1/playlists/{pid}/items", "total": len(ids)},
                "tracks": None,
            }
            for pid, (name, ids) in self.libraries[grant.user].playlists.items()
        ]
        return web.json_response(self._page(request, items, "/v1/me/playlists"))

    async def saved_tracks(self, request: web.Request) -> web.Response:
        grant = self._check(request)
        if isinstance(grant, web.Response):
            return grant
        library = self.libraries[grant.user]
        items = [
            {"added_at": "2025-01-01T00:00:00Z", "track": library.tracks[t].json()}
            for t in library.saved
        ]
        return web.json_response(self._page(request, items, "/v1/me/tracks"))

    async def playlist_items(self, request: web.Request) -> web.Response:
        grant = self._check(request, user_only=False)
        if isinstance(grant, web.Response):
            return grant
        pid = request.match_info["id"]
        if pid in self.forbidden_playlists:
            return _api_error(403, "Forbidden")
        tracks = self._playlist_tracks(grant, pid)
        if tracks is None:
            return _api_error(404, "Resource not found")
        items = [
            {"added_at": "2025-01-01T00:00:00Z", "is_local": False, "item": t.json()}
            for t in tracks
        ]
        return web.json_response(self._page(request, items, f"/v1/playlists/{pid}/items"))

    async def create_playlist(self, request: web.Request) -> web.Response:
        """POST /me/playlists: a new playlist owned by the token's user."""
        grant = self._check(request)
        if isinstance(grant, web.Response):
            return grant
        if MODIFY_PRIVATE not in grant.scope.split():
            return _api_error(403, "Insufficient client scope")
        body = await _json_body(request)
        if not isinstance(body, dict) or not str(body.get("name") or "").strip():
            return _api_error(400, "Missing required field: name")
        public = body.get("public", True)
        made = CreatedPlaylist(
            id=fake_id(f"created-{len(self.created)}-{body['name']}"),
            owner=grant.user,
            name=str(body["name"]),
            description=str(body.get("description") or ""),
            public=bool(public),
            collaborative=bool(body.get("collaborative", False)),
        )
        self.created[made.id] = made
        library = self.libraries[grant.user]
        library.playlists[made.id] = (made.name, made.track_ids)
        return web.json_response(self._playlist_json(made), status=201)

    async def add_items(self, request: web.Request) -> web.Response:
        """POST /playlists/{id}/items: append tracks, in order, to a playlist the user owns."""
        grant = self._check(request)
        if isinstance(grant, web.Response):
            return grant
        pid = request.match_info["id"]
        made = self.created.get(pid)
        if made is None:
            return _api_error(404, "Resource not found")
        if made.owner != grant.user or MODIFY_PRIVATE not in grant.scope.split():
            return _api_error(403, "Forbidden")
        uris = await _uris(request)
        if uris is None:
            return _api_error(400, "Invalid base62 id")
        if len(uris) > MAX_ADD:
            return _api_error(400, f"You can add a maximum of {MAX_ADD} tracks per request.")
        library = self.libraries[grant.user]
        for track_id in uris:
            library.tracks.setdefault(
                track_id, Track(track_id, f"Track {track_id}", ["Unknown"], "Unknown")
            )
        position = request.query.get("position")
        at = len(made.track_ids) if position is None else int(position)
        made.track_ids[at:at] = uris
        snapshot = fake_id(f"{pid}-{len(made.track_ids)}")
        return web.json_response({"snapshot_id": snapshot}, status=201)

    def _playlist_json(self, made: CreatedPlaylist) -> dict:
        return {
            "id": made.id,
            "name": made.name,
            "description": made.description,
            "public": made.public,
            "collaborative": made.collaborative,
            "type": "playlist",
            "uri": f"spotify:playlist:{made.id}",
            "owner": {"id": made.owner, "type": "user"},
            "external_urls": {"spotify": f"https://open.spotify.com/playlist/{made.id}"},
            "items": {"href": f"{self.url}/v1/playlists/{made.id}/items", "total": 0},
            "tracks": None,
        }

    def _playlist_tracks(self, grant: Grant, pid: str) -> list[Track] | None:
        if pid in self.public_playlists:
            return self.public_playlists[pid][1]
        library = self.libraries.get(grant.user)
        if library is None or pid not in library.playlists:
            return None
        return [library.tracks[t] for t in library.playlists[pid][1]]

    async def removed_endpoint(self, request: web.Request) -> web.Response:
        self.requests.append(request.path_qs)
        return _api_error(403, "Forbidden")


async def _json_body(request: web.Request) -> object:
    try:
        return json.loads(await request.text() or "null")
    except ValueError:
        return None


async def _uris(request: web.Request) -> list[str] | None:
    """Track ids from `uris` in the query, a {"uris": [...]} body or a bare JSON list."""
    if "uris" in request.query:
        raw: object = request.query["uris"].split(",")
    else:
        body = await _json_body(request)
        raw = body.get("uris") if isinstance(body, dict) else body
    if not isinstance(raw, list) or not raw:
        return None
    ids = []
    for uri in raw:
        match = TRACK_URI.fullmatch(str(uri))
        if match is None:
            return None
        ids.append(match.group(1))
    return ids
