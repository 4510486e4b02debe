"""The library sync job: a listener's playlists, their items and saved tracks, all pages.

Progress (the playlist list, which playlist, the next page URL) is saved in the job row in the
same transaction as each page's entries, so a sync killed at any point resumes where it stopped,
with no entry stored twice (the table's key is (user, track, playlist)) and none missed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from db import jobs, library_entries, privacy, spotify_links
from db.pool import Database
from db.tracks import stored_info
from handlers.edge.spotify import (
    SpotifyApp,
    SpotifyForbidden,
    SpotifyGrantRevoked,
    SpotifyNotFound,
    SpotifyRateLimited,
    SpotifyUserNotRegistered,
    Tokens,
    UserClient,
    WebApi,
)
from handlers.edge.worker import JobContext, RetryLater
from handlers.i18n import DEFAULT, SUPPORTED
from handlers.library_moods import MoodPlacer, Placement
from handlers.notifier import Notifier
from handlers.replies import Platform
from handlers.secrets import SecretUnreadable, TokenCipher
from handlers.spotify.link_tokens import read_tokens, save_tokens
from handlers.spotify.linking import LIBRARY_SYNC, PLAYLIST_PAGE, library_key
from handlers.spotify.lyrics import LyricsThemes
from handlers.spotify.tracks import TrackStore, entry_track
from handlers.texts import (
    NOT_REGISTERED,
    REVOKED_MESSAGE,
    UNREADABLE_MESSAGE,
    library_done,
    mood_placement,
    placed_by_words,
    say,
)

log = logging.getLogger(__name__)

# Playlist items and saved tracks come at most 50 per page.
ITEMS_PAGE = 50
SAVED = "saved"
SAVED_NAME = "Liked Songs"
# Genius lookups per sync (~1.5 s each); the rest wait for the next daily sync.
MAX_LYRICS_LOOKUPS = 200


class Unlinked(Exception):
    """The link was removed (unlink, forget-me) while the sync ran."""


@dataclass(eq=False)
class LibrarySync:
    """Runs `library_sync` jobs."""

    db: Database
    app: SpotifyApp
    cipher: TokenCipher
    tracks: TrackStore
    notifier: Notifier
    moods: MoodPlacer
    lyrics: LyricsThemes | None = None

    async def __call__(self, ctx: JobContext) -> dict[str, Any]:
        """Sync one user's library (the job payload names the user)."""
        user_id = int(ctx.job.payload.get("user_id", 0))
        lang = payload_language(ctx.job.payload)
        link = await spotify_links.get_link(self.db.pool, user_id)
        if link is None or link.status != "active" or link.access_token is None:
            return {"skipped": "not linked"}
        try:
            tokens = read_tokens(self.cipher, link)
        except SecretUnreadable as err:
            return await self._unreadable(link, str(err), lang)
        client = UserClient(self.app, tokens, lambda new: self._save_tokens(user_id, new))
        try:
            return await self._sync(ctx, client, link)
        except SpotifyGrantRevoked:
            await spotify_links.revoke_link(self.db.pool, user_id)
            log.info("user %s revoked Spotify access; link marked revoked", user_id)
            await self._tell(link, say(lang, REVOKED_MESSAGE))
            return {"revoked": True}
        except SpotifyUserNotRegistered:
            log.error(
                "Spotify refused user %s: not on the app's user list (development mode allows "
                "5 users; add them under User Management in the developer dashboard).",
                user_id,
            )
            await self._tell(link, say(lang, NOT_REGISTERED))
            return {"not_registered": True}
        except SpotifyRateLimited as err:
            raise RetryLater(str(err), err.retry_after) from None
        except Unlinked:
            log.info("user %s unlinked during a sync; stopped", user_id)
            return {"skipped": "unlinked during the sync"}
        finally:
            client.close()

    async def _unreadable(self, link: spotify_links.LinkRow, why: str, lang: str) -> dict[str, Any]:
        """Stop syncing a link whose tokens no longer decrypt; its owner hears it once."""
        if await spotify_links.mark_unreadable(self.db.pool, link.user_id):
            log.error("user %s: link marked unreadable: %s", link.user_id, why)
            await self._tell(link, say(lang, UNREADABLE_MESSAGE))
        return {"unreadable": True}

    async def _save_tokens(self, user_id: int, tokens: Tokens) -> None:
        await save_tokens(self.db.pool, self.cipher, user_id, tokens)

    async def _sync(
        self, ctx: JobContext, client: UserClient, link: spotify_links.LinkRow
    ) -> dict[str, Any]:
        progress = dict(ctx.progress)
        progress.setdefault("started_at", datetime.now(UTC).isoformat())
        progress.setdefault("index", 0)
        progress.setdefault("skipped", [])
        if "playlists" not in progress:
            progress["playlists"] = await _list_playlists(client)
            await ctx.save_progress(progress)
        sources = [*progress["playlists"], {"id": SAVED, "name": SAVED_NAME}]
        while progress["index"] < len(sources):
            await self._sync_source(ctx, client, link.user_id, sources[progress["index"]], progress)
            progress["index"] += 1
            progress.pop("next", None)
            await ctx.save_progress(progress)
        if "finished" not in progress:  # a resumed job does not announce twice
            initial = bool(ctx.job.payload.get("initial"))
            lang = payload_language(ctx.job.payload)
            progress["finished"] = await self._finish(link, progress, initial, lang)
            await ctx.save_progress(progress)
        result = dict(progress["finished"])
        if self.lyrics is not None:
            result["lyrics"] = await self._add_lyrics_themes(link.user_id)
        return result

    async def _add_lyrics_themes(self, user_id: int) -> dict[str, int]:
        """After the import: lyrics themes for library tracks, re-embedding those that got some."""
        assert self.lyrics is not None
        rows = await library_entries.library_tracks(self.db.pool, user_id)
        batch = await self.lyrics.find([stored_info(r) for r in rows], MAX_LYRICS_LOOKUPS)
        changed = [
            r
            for r in rows
            if batch.found.get(r["spotify_id"], ()) not in ((), tuple(r["lyrics_themes"]))
        ]
        await self.tracks.reenrich(changed, batch.found)
        return {"looked_up": batch.looked_up, "retagged": len(changed), "left": batch.left}

    async def _sync_source(
        self,
        ctx: JobContext,
        client: UserClient,
        user_id: int,
        source: dict[str, str],
        progress: dict[str, Any],
    ) -> None:
        # No "next" yet: start at the first page; "" marks a source whose last page is in,
        # so a resumed job moves straight on.
        url: str | None = progress.get("next")
        while url != "":
            try:
                page = await client.call(_source_page(source["id"], url))
            except SpotifyUserNotRegistered:
                raise
            except (SpotifyForbidden, SpotifyNotFound) as err:
                log.info("skipping playlist %s: %s", source["id"], err)
                progress["skipped"].append(source["id"])
                return
            url = page.get("next") or ""
            await self._store_page(ctx, user_id, source, page, progress, url)

    async def _store_page(
        self,
        ctx: JobContext,
        user_id: int,
        source: dict[str, str],
        page: dict[str, Any],
        progress: dict[str, Any],
        next_url: str | None,
    ) -> None:
        found = [(entry, t) for entry in page.get("items") or [] if (t := entry_track(entry))]
        ids = await self.tracks.store([t for _, t in found])
        origin = "saved" if source["id"] == SAVED else "playlist"
        entries = {
            ids[t["id"]]: {
                "track_id": ids[t["id"]],
                "playlist_id": source["id"],
                "playlist_name": source["name"],
                "origin": origin,
                "added_at": entry.get("added_at"),
            }
            for entry, t in found
        }
        progress["next"] = next_url or ""
        progress["entries"] = progress.get("entries", 0) + len(entries)
        async with self.db.pool.acquire() as conn, conn.transaction():
            active = await spotify_links.lock_active_link(conn, user_id)
            if active:
                await library_entries.add_library_entries(conn, user_id, list(entries.values()))
                await ctx.save_progress(progress, conn)
        if not active:
            # this page's new tracks came from a library that is gone: they go too
            await privacy.drop_orphan_tracks(self.db.pool, list(ids.values()))
            raise Unlinked

    async def _finish(
        self, link: spotify_links.LinkRow, progress: dict[str, Any], initial: bool, lang: str
    ) -> dict[str, Any]:
        started = datetime.fromisoformat(progress["started_at"])
        async with self.db.pool.acquire() as conn:
            removed = await library_entries.prune_library(
                conn, link.user_id, started, progress["skipped"]
            )
            await spotify_links.mark_synced(conn, link.user_id)
            total = await library_entries.library_count(conn, link.user_id)
        playlists = len(progress["playlists"])
        skipped = len(progress["skipped"])
        placement = await self.moods.place_library(link.user_id)
        result = {
            "entries": total,
            "playlists": playlists,
            "skipped": skipped,
            "removed": removed,
            "moods": placement.as_dict(),
        }
        log.info("library sync for user %s: %s", link.user_id, result)
        if initial:
            done = done_message(lang, total, playlists - skipped, skipped, placement)
            await self._tell(link, done)
        return result

    async def _tell(self, link: spotify_links.LinkRow, text: str) -> None:
        if link.notify_chat_id:
            await self.notifier.send(cast(Platform, link.platform), link.notify_chat_id, text)


def done_message(
    lang: str, entries: int, playlists: int, skipped: int, placement: Placement | None = None
) -> str:
    """The chat message when an import finishes, in the language the link was asked in."""
    text = library_done(lang, entries, playlists, skipped)
    if placement is not None and placement.total:
        text += " " + mood_placement(
            lang, placement.total, placement.measured, placement.estimated, placement.queued
        )
        if placement.by_words:
            text += " " + placed_by_words(lang, placement.by_words)
    return text


def payload_language(payload: dict[str, Any]) -> str:
    """The language a sync job's messages are said in (the linker's; English for others)."""
    lang = payload.get("lang")
    return lang if isinstance(lang, str) and lang in SUPPORTED else DEFAULT


def _source_page(source_id: str, next_url: str | None) -> Callable[[WebApi], dict[str, Any]]:
    """The request for a source's first page (no URL yet) or for the page at `next_url`."""
    if next_url is not None:
        return _next_page(next_url)
    if source_id == SAVED:
        return lambda api: api.saved_tracks(ITEMS_PAGE)
    return lambda api: api.playlist_items(source_id, ITEMS_PAGE)


def _next_page(next_url: str) -> Callable[[WebApi], dict[str, Any]]:
    return lambda api: api.next_page(next_url)


async def _list_playlists(client: UserClient) -> list[dict[str, str]]:
    """Every playlist of the listener (all pages), as {id, name}."""
    found: list[dict[str, str]] = []
    page: dict[str, Any] | None = await client.call(lambda api: api.my_playlists(PLAYLIST_PAGE))
    while page is not None:
        for playlist in page.get("items") or []:
            if playlist and playlist.get("id"):
                found.append({"id": playlist["id"], "name": playlist.get("name") or "?"})
        nxt = page.get("next")
        page = await client.call(_next_page(str(nxt))) if nxt else None
    return found


async def schedule_library_refresh(db: Database, every_s: float) -> None:
    """Queue a re-sync for each active link not synced (or queued) within `every_s`."""
    for user_id in await spotify_links.links_due_for_sync(db.pool, every_s):
        key = library_key(user_id)
        if not await jobs.recently_created(db.pool, key, every_s):
            await jobs.enqueue(
                db.pool, LIBRARY_SYNC, {"user_id": user_id}, dedupe_key=key, user_id=user_id
            )
