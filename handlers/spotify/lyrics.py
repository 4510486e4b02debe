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

from lyricsgenius import Genius

from db import lyrics_cache
from db.pool import Database
from handlers.edge.genius import LyricsUnavailable, fetch_lyrics
from recsys.embedder import Embedder
from recsys.models import TrackInfo
from recsys.themes import ThemeTagger, pick_tags

log = logging.getLogger(__name__)

# Lookups per batch of new tracks; the rest wait for the next sync (misses are cached too).
MAX_LOOKUPS_PER_BATCH = 50
# The embedder reads ~256 tokens; more text only costs time.
LYRICS_CHARS = 1500
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


@dataclass(eq=False)
class LyricsThemes:
    """Finds lyrics themes for tracks about to be embedded (a TrackStore `themes` lookup)."""

    db: Database
    genius: Genius
    tagger: ThemeTagger
    embedder: Embedder
    max_lookups: int = MAX_LOOKUPS_PER_BATCH

    async def __call__(self, infos: list[TrackInfo]) -> dict[str, tuple[str, ...]]:
        """{spotify_id: themes} for the tracks whose lyrics were found (cached or looked up)."""
        return (await self.find(infos, self.max_lookups)).found

    async def find(self, infos: list[TrackInfo], max_lookups: int) -> LyricsBatch:
        """Themes from the cache, plus at most `max_lookups` new Genius lookups."""
        keys = {info.spotify_id: lookup_key(info) for info in infos}
        cached = await lyrics_cache.cached_lyrics_themes(self.db.pool, list(set(keys.values())))
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
            await lyrics_cache.cache_lyrics_themes(
                self.db.pool, keys[info.spotify_id], themes is not None, themes or ()
            )
        found = {sid: cached[key] for sid, key in keys.items() if cached.get(key)}
        left = len(todo) - looked_up
        return LyricsBatch(found, looked_up, left, paused)

    async def _look_up(self, info: TrackInfo) -> tuple[str, ...] | None:
        """Themes of the track's lyrics, or None when Genius has none."""
        artist = info.artists[0] if info.artists else ""
        lyrics = await asyncio.to_thread(fetch_lyrics, self.genius, info.title, artist)
        if not lyrics:
            return None
        vector = await self.embedder.aembed_one(HEADER.sub("", lyrics, count=1)[:LYRICS_CHARS])
        return tuple(pick_tags(self.tagger.embedding_scores(vector)))
