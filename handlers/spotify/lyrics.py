"""Lyrics themes from Genius (optional): lyrics are read, turned into theme tags, and dropped.

Only the derived themes (and misses) are kept, in lyrics_cache and tracks.lyrics_themes; the
lyrics text itself is never stored or logged.
"""

from __future__ import annotations

import asyncio
import logging
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

import requests
from lyricsgenius import Genius

from bot.settings import Settings
from db import spotify as store
from db.pool import Database
from recsys.embedder import Embedder
from recsys.enrichment import TrackInfo
from recsys.themes import ThemeTagger, pick_tags

log = logging.getLogger(__name__)

# Genius publishes no rate limit; one request per half second keeps a sync polite.
REQUEST_GAP_S = 0.5
# Lookups per batch of new tracks; the rest wait for the next sync (misses are cached too).
MAX_LOOKUPS_PER_BATCH = 50
# The embedder reads ~256 tokens; more text only costs time.
LYRICS_CHARS = 1500
GENIUS_TIMEOUT_S = 10
# Lyrics-page boilerplate Genius puts before the first verse.
HEADER = re.compile(r"^.*?Lyrics", re.DOTALL)


def lookup_key(info: TrackInfo) -> str:
    """The cache key: normalised "artist|title" (first artist, no "- Remastered" suffixes)."""
    artist = info.artists[0] if info.artists else ""
    title = re.split(r" - | \(feat", info.title)[0]
    text = unicodedata.normalize("NFKC", f"{artist}|{title}").lower()
    return re.sub(r"\s+", " ", text).strip()


@dataclass(frozen=True)
class LyricsBatch:
    """What one round of lookups found, and how much is left for a later round."""

    found: dict[str, tuple[str, ...]]
    looked_up: int
    left: int
    paused: bool


class LyricsThemes:
    """Finds lyrics themes for tracks about to be embedded (a TrackStore `themes` lookup)."""

    def __init__(
        self,
        db: Database,
        genius: Genius,
        tagger: ThemeTagger,
        embedder: Embedder,
        max_lookups: int = MAX_LOOKUPS_PER_BATCH,
    ) -> None:
        self.db = db
        self.genius = genius
        self.tagger = tagger
        self.embedder = embedder
        self.max_lookups = max_lookups

    @classmethod
    def from_settings(cls, settings: Settings, db: Database, embedder: Embedder) -> LyricsThemes:
        """With the GENIUS_TOKEN from the settings (callers check it is set)."""
        assert settings.genius_token is not None
        return cls(db, make_genius(settings.genius_token.get_secret_value()), ThemeTagger(embedder),
                   embedder)  # fmt: skip

    async def __call__(self, infos: list[TrackInfo]) -> dict[str, tuple[str, ...]]:
        """{spotify_id: themes} for the tracks whose lyrics were found (cached or looked up)."""
        return (await self.find(infos, self.max_lookups)).found

    async def find(self, infos: list[TrackInfo], max_lookups: int) -> LyricsBatch:
        """Themes from the cache, plus at most `max_lookups` new Genius lookups."""
        keys = {info.spotify_id: lookup_key(info) for info in infos}
        cached = await store.cached_lyrics_themes(self.db.pool, list(set(keys.values())))
        todo = list(
            {keys[i.spotify_id]: i for i in infos if keys[i.spotify_id] not in cached}.values()
        )
        looked_up, paused = 0, False
        for info in todo[:max_lookups]:
            try:
                themes = await self._look_up(info)
            except LyricsUnavailable as err:
                log.warning("Genius lookups paused: %s", err)
                paused = True
                break
            looked_up += 1
            cached[keys[info.spotify_id]] = themes or ()
            await store.cache_lyrics_themes(
                self.db.pool, keys[info.spotify_id], themes is not None, themes or ()
            )
        found = {sid: cached[key] for sid, key in keys.items() if cached.get(key)}
        left = len(todo) - looked_up
        return LyricsBatch(found, looked_up, left, paused)

    async def _look_up(self, info: TrackInfo) -> tuple[str, ...] | None:
        """Themes of the track's lyrics, or None when Genius has none."""
        artist = info.artists[0] if info.artists else ""
        lyrics = await asyncio.to_thread(_fetch_lyrics, self.genius, info.title, artist)
        if not lyrics:
            return None
        vector = await self.embedder.aembed_one(HEADER.sub("", lyrics, count=1)[:LYRICS_CHARS])
        return tuple(pick_tags(self.tagger.embedding_scores(vector)))


class LyricsUnavailable(Exception):
    """Genius cannot be reached or refuses us right now."""


def make_genius(token: str, api_root: str | None = None, web_root: str | None = None) -> Genius:
    """A quiet, rate-limited lyricsgenius client (roots overridable for a local fake)."""
    genius = Genius(token, timeout=GENIUS_TIMEOUT_S, sleep_time=REQUEST_GAP_S, retries=1,
                    remove_section_headers=True, skip_non_songs=True)  # fmt: skip
    if api_root is not None:
        genius.API_ROOT = api_root.rstrip("/") + "/"
        genius.PUBLIC_API_ROOT = api_root.rstrip("/") + "/api/"
    if web_root is not None:
        genius.WEB_ROOT = web_root.rstrip("/") + "/"
    return genius


def _fetch_lyrics(genius: Genius, title: str, artist: str) -> str | None:
    """The lyrics text (blocking), None when not found; LyricsUnavailable on transport errors."""
    try:
        song: Any = genius.search_song(title, artist, get_full_info=False)
    except (requests.RequestException, AssertionError, RuntimeError, KeyError) as err:
        # lyricsgenius raises requests' errors, AssertionError on odd statuses, KeyError on
        # unexpected JSON
        raise LyricsUnavailable(f"{type(err).__name__}") from None
    except (TypeError, AttributeError, ValueError) as err:
        # ...and these when the JSON has the wrong shape (a list, a null response)
        raise LyricsUnavailable(f"Genius answered something unreadable ({err})") from None
    return str(song.lyrics) if song is not None and song.lyrics else None
