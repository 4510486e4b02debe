"""The same song under another Spotify id: by ISRC, or by normalised title and first artist.

A song is re-released many times (single, album, remaster, compilation), each with its own
Spotify id but one recording and so one mood. A bracketed or dashed tail that only names the
release ("Remastered 2011", "feat. X", "Radio Edit", "From the film ...") is dropped; one that
names another recording ("Live", "Acoustic", "Remix", "Instrumental", "Slowed") is kept as
part of the title, so "Song (Live)" never matches "Song". A tail that is neither is kept too:
a missed match costs an estimate, a wrong one shows the wrong song's mood as measured.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

# ISO 3901: country (2 letters), registrant (3 alphanumerics), year (2 digits), number (5).
ISRC = re.compile(r"^[A-Z]{2}[A-Z0-9]{3}[0-9]{7}$")

# A tail: "(...)", "[...]", or " - ..." to the end of the title.
_BRACKET = re.compile(r"\s*[\(\[]([^\)\]]*)[\)\]]")
_DASH_TAIL = re.compile(r"\s+[-\u2013\u2014]\s+(.*)$")
# "Song feat. X" with no bracket: the credit runs to the end of the title.
_BARE_FEAT = re.compile(r"\s+(feat\.?|ft\.?|featuring)\s+.*$", re.I)

# Words that name another recording of the song: a tail holding one is kept.
VARIANT_WORDS = frozenset(
    {
        "live",
        "acoustic",
        "unplugged",
        "remix",
        "rmx",
        "mix",
        "instrumental",
        "karaoke",
        "demo",
        "slowed",
        "sped",
        "reverb",
        "nightcore",
        "cover",
        "orchestral",
        "piano",
        "session",
        "sessions",
        "reprise",
        "dub",
        "rework",
        "cappella",
        "acapella",
        "extended",
        "stripped",
        "bootleg",
        "vip",
        "edm",
        "lofi",
        "8d",
    }
)
# Words that name only the release or a credit: a tail made of these (and years) is dropped.
RELEASE_WORDS = frozenset(
    {
        "feat",
        "ft",
        "featuring",
        "with",
        "remaster",
        "remastered",
        "remasterizado",
        "version",
        "original",
        "single",
        "album",
        "radio",
        "edit",
        "mono",
        "stereo",
        "explicit",
        "clean",
        "deluxe",
        "edition",
        "bonus",
        "track",
        "from",
        "soundtrack",
        "anniversary",
        "mastered",
        "digitally",
        "the",
    }
)
# A tail starting with one of these is a credit or a source, whatever follows ("from 'Frozen'").
_CREDIT_OPENERS = ("feat", "ft", "featuring", "with", "from")


@dataclass(frozen=True)
class SongRef:
    """A track as matching sees it: its id, its title and artists, its ISRC if known."""

    track_id: int
    title: str
    artists: tuple[str, ...]
    isrc: str | None = None


def _is_accent(ch: str) -> bool:
    """A Latin-style accent (U+0300..U+036F); the vowel signs of Indic scripts are letters."""
    return "\u0300" <= ch <= "\u036f"


def fold(text: str) -> str:
    """Lower case, accents folded, punctuation as spaces, single spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not _is_accent(ch)).casefold()
    bare = bare.replace("&", " and ").replace("'", "").replace("\u2019", "")
    kept = (ch if ch.isalnum() or unicodedata.category(ch)[0] == "M" else " " for ch in bare)
    return unicodedata.normalize("NFC", " ".join("".join(kept).split()))


def _is_release_tail(tail: str) -> bool:
    """True when a tail names only the release or a credit, never another recording."""
    words = fold(tail).split()
    if not words or VARIANT_WORDS.intersection(words):
        return False
    if words[0] in _CREDIT_OPENERS:
        return True
    return all(word in RELEASE_WORDS or word.isdigit() for word in words)


def _tail_words(tail: str) -> str:
    """A kept tail as words, "version" left out: "(Acoustic Version)" reads as "acoustic"."""
    return " ".join(w for w in fold(tail).split() if w != "version")


def title_key(title: str) -> str:
    """The title with release tails dropped and variant tails kept as plain words."""
    kept: list[str] = []

    def bracket(match: re.Match[str]) -> str:
        if not _is_release_tail(match.group(1)):
            kept.append(_tail_words(match.group(1)))
        return " "

    rest = _BRACKET.sub(bracket, title)
    while dash := _DASH_TAIL.search(rest):
        if not _is_release_tail(dash.group(1)):
            kept.insert(0, _tail_words(dash.group(1)))
        rest = rest[: dash.start()]
    rest = _BARE_FEAT.sub("", rest)
    return " ".join(part for part in [fold(rest), *kept] if part)


def song_key(title: str, artists: Sequence[str]) -> str | None:
    """ "title|first artist" normalised, or None when either is empty after folding."""
    name = title_key(title)
    artist = fold(artists[0]) if artists else ""
    if not name or not artist:
        return None
    return f"{name}|{artist}"


def clean_isrc(value: object) -> str | None:
    """An ISRC in its canonical form (upper case, no hyphens), or None if it is not one."""
    if not isinstance(value, str):
        return None
    code = value.replace("-", "").replace(" ", "").upper()
    return code if ISRC.match(code) else None


def match_songs(blind: Iterable[SongRef], known: Iterable[SongRef]) -> dict[int, int]:
    """Each blind track's known twin (blind id -> known id): ISRC first, then the song key.

    When several known tracks share a key, the lowest id is taken so answers are repeatable.
    """
    by_isrc: dict[str, int] = {}
    by_key: dict[str, int] = {}
    for ref in sorted(known, key=lambda r: r.track_id):
        if code := clean_isrc(ref.isrc):
            by_isrc.setdefault(code, ref.track_id)
        if key := song_key(ref.title, ref.artists):
            by_key.setdefault(key, ref.track_id)
    found: dict[int, int] = {}
    for ref in blind:
        code = clean_isrc(ref.isrc)
        twin = by_isrc.get(code) if code else None
        if twin is None and (key := song_key(ref.title, ref.artists)):
            twin = by_key.get(key)
        if twin is not None and twin != ref.track_id:
            found[ref.track_id] = twin
    return found


def keys_by_id(refs: Iterable[SongRef]) -> Mapping[int, str | None]:
    """Each track's song key, for storing beside the track."""
    return {ref.track_id: song_key(ref.title, ref.artists) for ref in refs}
