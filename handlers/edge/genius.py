"""The Genius client: a quiet, rate-limited lyricsgenius, and one blocking lyrics lookup."""

from __future__ import annotations

from typing import Any

import requests
from lyricsgenius import Genius

# Genius publishes no rate limit; one request per half second keeps a sync polite.
REQUEST_GAP_S = 0.5
# A lookup that takes longer is abandoned (the track is tried again on a later sync).
GENIUS_TIMEOUT_S = 10


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


def fetch_lyrics(genius: Genius, title: str, artist: str) -> str | None:
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
