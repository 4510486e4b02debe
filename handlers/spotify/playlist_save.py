"""Save as playlist: an answer's songs become a private playlist in the listener's Spotify.

POST /me/playlists makes the playlist, then POST /playlists/{id}/items adds the songs in the
answer's order (100 per request, Spotify's limit). It needs the playlist-modify-private scope,
asked for at link time since this feature came; an older link is sent to link again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any, Literal

from db import recommendations, spotify_links
from db.pool import Database
from handlers.edge.spotify import (
    MAX_ITEMS_PER_ADD,
    SAVE_SCOPE,
    SpotifyApp,
    SpotifyError,
    SpotifyForbidden,
    SpotifyGrantRevoked,
    SpotifyRateLimited,
    SpotifyUserNotRegistered,
    Tokens,
    UserClient,
    WebApi,
)
from handlers.secrets import SecretUnreadable, TokenCipher
from handlers.spotify.link_tokens import read_tokens, save_tokens

log = logging.getLogger(__name__)

# Spotify shows about this many characters of a playlist name before cutting it.
MAX_NAME_CHARS = 80
# A button press should answer in seconds: a longer Retry-After becomes "try again soon".
MAX_RATE_LIMIT_WAIT_S = 5.0

SaveStatus = Literal[
    "saved", "not_linked", "needs_relink", "revoked", "not_registered", "stale", "busy", "failed"
]


@dataclass(frozen=True)
class SaveOutcome:
    """What happened to one "Save as playlist" press."""

    status: SaveStatus
    playlist_url: str | None = None
    name: str | None = None
    tracks: int = 0
    retry_after_s: float | None = None
    playlist_id: str | None = None


def _earlier(saved: recommendations.SavedPlaylist) -> SaveOutcome:
    """The outcome of a press whose playlist was made (or is being made) by an earlier one."""
    if saved.playlist_id is None:
        return SaveOutcome("busy")
    return SaveOutcome(
        "saved",
        playlist_url=saved.url,
        name=saved.name,
        tracks=saved.tracks,
        playlist_id=saved.playlist_id,
    )


def playlist_name(words: str, when: datetime) -> str:
    """ "MelodicLens: <the listener's words>", or the date when there were none."""
    words = " ".join(words.split())
    name = f"MelodicLens: {words}" if words else f"MelodicLens, {when:%d %b %Y %H:%M}"
    return name if len(name) <= MAX_NAME_CHARS else name[: MAX_NAME_CHARS - 1] + "…"


def _add(api: WebApi, *, playlist_id: str, track_ids: list[str]) -> dict[str, Any]:
    return api.add_tracks(playlist_id, track_ids)


@dataclass(eq=False)
class PlaylistSaver:
    """Creates the playlist for one listener and one stored answer."""

    db: Database
    app: SpotifyApp
    cipher: TokenCipher
    # the playlist's description on Spotify, in the presser's language (handlers/texts)
    description: str

    async def save(self, user_id: int, rec_id: int) -> SaveOutcome:
        """Make a private playlist of answer `rec_id` in `user_id`'s Spotify account."""
        link = await spotify_links.get_link(self.db.pool, user_id)
        if link is None or link.status != "active" or link.access_token is None:
            return SaveOutcome("not_linked")
        if SAVE_SCOPE not in link.scope.split():
            return SaveOutcome("needs_relink")
        stored = await recommendations.load_recommendation(self.db.pool, rec_id)
        track_ids = await recommendations.recommendation_spotify_ids(self.db.pool, rec_id)
        if stored is None or not track_ids:
            return SaveOutcome("stale")
        try:
            tokens = self._tokens(link)
        except SecretUnreadable as err:
            log.error("cannot read user %s's Spotify tokens: %s", user_id, err)
            return SaveOutcome("needs_relink")
        earlier = await recommendations.claim_playlist_save(self.db.pool, rec_id, user_id)
        if earlier is not None:  # pressed before: the same playlist, not a second one
            return _earlier(earlier)
        try:
            outcome = await self._save_claimed(user_id, stored, tokens, track_ids)
        except BaseException:
            await recommendations.release_playlist_save(self.db.pool, rec_id, user_id)
            raise
        if outcome.status == "saved":
            saved = recommendations.SavedPlaylist(
                outcome.playlist_id, outcome.playlist_url, outcome.name, outcome.tracks
            )
            await recommendations.finish_playlist_save(self.db.pool, rec_id, user_id, saved)
        else:
            await recommendations.release_playlist_save(self.db.pool, rec_id, user_id)
        return outcome

    async def _save_claimed(
        self,
        user_id: int,
        stored: recommendations.StoredRecommendation,
        tokens: Tokens,
        track_ids: list[str],
    ) -> SaveOutcome:
        # Only the words' own author gets a playlist named after them.
        words = str(stored.query.get("words") or "") if stored.words_owner == user_id else ""
        name = playlist_name(words, datetime.now(UTC))
        client = UserClient(
            self.app,
            tokens,
            lambda new: self._save_tokens(user_id, new),
            max_retry_after_s=MAX_RATE_LIMIT_WAIT_S,
        )
        try:
            return await self._create(client, name, track_ids)
        except SpotifyError as err:
            return await self._failed(user_id, err)
        finally:
            client.close()

    def _tokens(self, link: spotify_links.LinkRow) -> Tokens:
        return read_tokens(self.cipher, link)

    async def _create(self, client: UserClient, name: str, track_ids: list[str]) -> SaveOutcome:
        made: dict[str, Any] = await client.call(
            lambda api: api.create_private_playlist(name, self.description)
        )
        playlist_id = str(made["id"])
        for start in range(0, len(track_ids), MAX_ITEMS_PER_ADD):
            chunk = track_ids[start : start + MAX_ITEMS_PER_ADD]
            await client.call(partial(_add, playlist_id=playlist_id, track_ids=chunk))
        url = (made.get("external_urls") or {}).get("spotify")
        log.info("saved a playlist of %d tracks for a listener", len(track_ids))
        return SaveOutcome(
            "saved", playlist_url=url, name=name, tracks=len(track_ids), playlist_id=playlist_id
        )

    async def _failed(self, user_id: int, err: SpotifyError) -> SaveOutcome:
        if isinstance(err, SpotifyGrantRevoked):
            await spotify_links.revoke_link(self.db.pool, user_id)
            log.info("user %s revoked Spotify access; link marked revoked", user_id)
            return SaveOutcome("revoked")
        if isinstance(err, SpotifyUserNotRegistered):
            log.error("Spotify refused user %s: not on the app's user list", user_id)
            return SaveOutcome("not_registered")
        if isinstance(err, SpotifyForbidden):
            # the scope was granted once but Spotify now refuses it: a fresh consent fixes it
            log.info("Spotify refused to create a playlist for user %s: %s", user_id, err)
            return SaveOutcome("needs_relink")
        if isinstance(err, SpotifyRateLimited):
            return SaveOutcome("busy", retry_after_s=err.retry_after)
        log.warning("saving a playlist for user %s failed: %s", user_id, err)
        return SaveOutcome("failed")

    async def _save_tokens(self, user_id: int, tokens: Tokens) -> None:
        await save_tokens(self.db.pool, self.cipher, user_id, tokens)
