"""Catalog CSV files: which public shape a file has, and its rows as validated TrackInfo.

Bad rows never stop a read: each is skipped and counted under one of the SKIP_* reasons.
"""

from __future__ import annotations

import csv
import logging
import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from recsys.models import TrackFeatures, TrackInfo
from recsys.text_hygiene import clean_text

log = logging.getLogger(__name__)

# Why a row was skipped; the import summary counts rows under these names.
SKIP_MISSING_ID = "missing id"
SKIP_MISSING_NAME = "missing name"
SKIP_MALFORMED_ID = "malformed spotify id"
SKIP_OUT_OF_RANGE = "feature out of range"
SKIP_NOT_FINITE = "feature is NaN or infinite"
SKIP_NOT_A_NUMBER = "feature is not a number"
SKIP_DUPLICATE = "duplicate id"
# A cell longer than the csv module's field limit (131,072 characters) or otherwise unparsable.
SKIP_UNREADABLE = "cell too long or unreadable"

# Lengths a shown name is clipped to (the longest real titles run to ~150 characters; a
# 100,000-character one would push every other track out of a chat message).
MAX_TITLE_CHARS = 200
MAX_ARTIST_CHARS = 100
MAX_ARTISTS = 20
MAX_GENRE_CHARS = 60
MAX_GENRES = 20

# A Spotify id is 22 base62 characters; URIs and open.spotify.com links carry one.
_SPOTIFY_ID = re.compile(
    r"(?:spotify:track:|(?:https?://)?open\.spotify\.com/(?:intl-[a-z-]+/)?track/)?"
    r"([0-9A-Za-z]{22})(?:[?#].*)?"
)
# Cells that mean "no value" rather than a bad value: tracks without features are usable.
_EMPTY = frozenset({"", "null", "none", "na", "n/a"})
_PITCHES = {
    name.lower(): pitch
    for pitch, names in enumerate(
        ("C", "C#/Db", "D", "D#/Eb", "E", "F", "F#/Gb", "G", "G#/Ab", "A", "A#/Bb", "B")
    )
    for name in (names, *names.split("/"))
}
_MODES = {"major": 1, "minor": 0}
# Time signatures are written "4" or "4 beats"; Spotify reports 3..7 (0 and 1: unknown).
_BEATS = re.compile(r"\s*beats?\s*$", re.IGNORECASE)
MAX_TIME_SIGNATURE = 16
_YEAR = re.compile(r"\s*(\d{4})")
# The seed catalog writes "Lady Gaga, Bruno Mars"; Exportify uses ";" in newer exports, and a
# name with a comma in it ("Tyler, The Creator") survives only there.
_ARTIST_SEPARATORS = (";", ",")

# (lowest, highest) accepted value of each numeric column; None: no bound on that side.
UNIT_FEATURES = (
    "danceability",
    "energy",
    "speechiness",
    "acousticness",
    "instrumentalness",
    "liveness",
    "valence",
)
FLOAT_BOUNDS: dict[str, tuple[float | None, float | None]] = {
    **{name: (0.0, 1.0) for name in UNIT_FEATURES},
    "tempo": (0.0, None),
    "loudness": (None, None),
}


class CatalogFormatError(Exception):
    """The file cannot be read as a catalog; the message says what it needs."""


class _BadRow(Exception):
    """A row to skip; the argument is its SKIP_* reason."""


@dataclass(frozen=True)
class CatalogShape:
    """One public CSV layout: which header (normalised) holds each TrackInfo field."""

    name: str
    id_column: str
    name_column: str
    artists_column: str
    album_column: str | None = None
    popularity_column: str | None = None
    release_date_column: str | None = None
    genre_columns: tuple[str, ...] = ()
    # The artist cell names one act ("Tyler, The Creator"): never split it on commas.
    single_artist: bool = False

    def required(self) -> tuple[str, str, str]:
        """The columns a file must have to be read as this shape."""
        return (self.id_column, self.name_column, self.artists_column)


SHAPES: tuple[CatalogShape, ...] = (
    CatalogShape("seed catalog", "spotify_id", "name", "artists", popularity_column="popularity"),
    CatalogShape(
        "mood set",
        "id",
        "name",
        "artist",
        album_column="album",
        popularity_column="popularity",
        release_date_column="release_date",
    ),
    CatalogShape(
        "tidytuesday",
        "track_id",
        "track_name",
        "track_artist",
        album_column="track_album_name",
        popularity_column="track_popularity",
        release_date_column="track_album_release_date",
        genre_columns=("playlist_genre", "playlist_subgenre"),
        single_artist=True,
    ),
    CatalogShape(
        "exportify",
        "track_uri",
        "track_name",
        "artist_name(s)",
        album_column="album_name",
        popularity_column="popularity",
        release_date_column="release_date",
        genre_columns=("genres",),
    ),
)


def normalise_header(header: str) -> str:
    """A header as shapes name it: "Time Signature" -> "time_signature"."""
    return "_".join(header.strip().lstrip("\ufeff").lower().split())


def detect_shape(headers: list[str]) -> CatalogShape:
    """The first shape whose required columns are all present; else say what is needed."""
    present = {normalise_header(h) for h in headers}
    for shape in SHAPES:
        if all(column in present for column in shape.required()):
            return shape
    needs = "; ".join(f"{' + '.join(s.required())} ({s.name})" for s in SHAPES)
    shown = ", ".join(h for h in headers if h.strip()) or "none"
    raise CatalogFormatError(
        f"Unknown catalog shape (columns: {shown}). A catalog CSV needs one of: {needs}. "
        "Header names are matched without case; spaces count as underscores."
    )


def normalise_spotify_id(value: str) -> str | None:
    """The 22-character id in a bare id, a spotify:track: URI or an open.spotify.com link."""
    match = _SPOTIFY_ID.fullmatch(value.strip())
    return match.group(1) if match else None


def split_artists(value: str) -> tuple[str, ...]:
    """Artist names from one cell, split on ";" when present, else on ","."""
    for separator in _ARTIST_SEPARATORS:
        if separator in value:
            return tuple(name for part in value.split(separator) if (name := part.strip()))
    name = value.strip()
    return (name,) if name else ()


def release_year(value: str) -> int | None:
    """The year of "2020-01-24", "2020-01" or "2020"; None when there is none."""
    match = _YEAR.match(value)
    return int(match.group(1)) if match else None


def _number(value: str) -> float | None:
    if value.strip().lower() in _EMPTY:
        return None
    try:
        number = float(value)
    except ValueError:
        raise _BadRow(SKIP_NOT_A_NUMBER) from None
    if not math.isfinite(number):
        raise _BadRow(SKIP_NOT_FINITE)
    return number


def _bounded(value: str, low: float | None, high: float | None) -> float | None:
    number = _number(value)
    if number is not None and (
        (low is not None and number < low) or (high is not None and number > high)
    ):
        raise _BadRow(SKIP_OUT_OF_RANGE)
    return number


def _whole(value: str, low: int, high: int, names: dict[str, int] | None = None) -> int | None:
    """An integer column that some files spell as a name ("C#/Db", "Major", "4 beats")."""
    key = value.strip().lower()
    if names and key in names:
        return names[key]
    number = _bounded(value, low, high)
    if number is None:
        return None
    if not number.is_integer():
        raise _BadRow(SKIP_OUT_OF_RANGE)
    return int(number)


def _time_signature(value: str) -> int | None:
    return _whole(_BEATS.sub("", value), 0, MAX_TIME_SIGNATURE)


class _RowParser:
    """Turns one CSV row of a known shape into a TrackInfo, or raises _BadRow."""

    def __init__(self, shape: CatalogShape, headers: list[str]) -> None:
        index = {normalise_header(h): i for i, h in reversed(list(enumerate(headers)))}
        self.shape = shape
        self.width = len(headers)
        self.id_at = index[shape.id_column]
        self.name_at = index[shape.name_column]
        self.artists_at = index[shape.artists_column]
        self.album_at = _optional(index, shape.album_column)
        self.popularity_at = _optional(index, shape.popularity_column)
        self.date_at = _optional(index, shape.release_date_column)
        self.genres_at = tuple(index[c] for c in shape.genre_columns if c in index)
        self.floats = tuple(
            (n, index[n], lo, hi) for n, (lo, hi) in FLOAT_BOUNDS.items() if n in index
        )
        self.key_at = index.get("key")
        self.mode_at = index.get("mode")
        self.time_signature_at = index.get("time_signature")

    def parse(self, row: list[str]) -> TrackInfo:
        """The row's track; raises _BadRow with the reason to skip it."""
        if len(row) < self.width:
            row = row + [""] * (self.width - len(row))
        raw_id = row[self.id_at].strip()
        if not raw_id:
            raise _BadRow(SKIP_MISSING_ID)
        spotify_id = normalise_spotify_id(raw_id)
        if spotify_id is None:
            raise _BadRow(SKIP_MALFORMED_ID)
        title = clean_text(row[self.name_at], MAX_TITLE_CHARS)
        # R writes a missing value as "NA" (tidytuesday's file has a few such rows)
        if title.lower() in _EMPTY:
            raise _BadRow(SKIP_MISSING_NAME)
        return TrackInfo(
            spotify_id=spotify_id,
            title=title,
            artists=self._artists(row[self.artists_at]),
            album=_cell(row, self.album_at),
            popularity=self._popularity(row),
            release_year=release_year(row[self.date_at]) if self.date_at is not None else None,
            genres=self._genres(row),
            features=self._features(row),
        )

    def _artists(self, cell: str) -> tuple[str, ...]:
        if self.shape.single_artist:
            name = clean_text(cell, MAX_ARTIST_CHARS)
            return (name,) if name.lower() not in _EMPTY else ()
        names = (clean_text(name, MAX_ARTIST_CHARS) for name in split_artists(cell))
        return tuple(name for name in names if name)[:MAX_ARTISTS]

    def _popularity(self, row: list[str]) -> int | None:
        if self.popularity_at is None:
            return None
        number = _bounded(row[self.popularity_at], 0, 100)
        return None if number is None else round(number)

    def _genres(self, row: list[str]) -> tuple[str, ...]:
        genres: dict[str, None] = {}
        for at in self.genres_at:
            for part in row[at].split(","):
                if genre := clean_text(part, MAX_GENRE_CHARS).lower():
                    genres[genre] = None
        return tuple(genres)[:MAX_GENRES]

    def _features(self, row: list[str]) -> TrackFeatures:
        values: dict[str, float | int | None] = {
            name: _bounded(row[at], low, high) for name, at, low, high in self.floats
        }
        if self.key_at is not None:
            values["key"] = _whole(row[self.key_at], -1, 11, _PITCHES)
        if self.mode_at is not None:
            values["mode"] = _whole(row[self.mode_at], 0, 1, _MODES)
        if self.time_signature_at is not None:
            values["time_signature"] = _time_signature(row[self.time_signature_at])
        return TrackFeatures(**values)  # type: ignore[arg-type]


def _optional(index: dict[str, int], column: str | None) -> int | None:
    return index.get(column) if column else None


def _cell(row: list[str], at: int | None) -> str | None:
    if at is None:
        return None
    value = clean_text(row[at], MAX_TITLE_CHARS)
    return value if value.lower() not in _EMPTY else None


class CatalogReader:
    """Reads a catalog CSV row by row; `skipped` counts the rows it left out, by reason."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.skipped: Counter[str] = Counter()
        self.rows_read = 0
        self._headers = self._read_headers()
        self.shape = detect_shape(self._headers)

    def _read_headers(self) -> list[str]:
        try:
            with self._open() as handle:
                return next(csv.reader(handle), [])
        except (OSError, UnicodeDecodeError, csv.Error) as err:
            raise CatalogFormatError(f"Cannot read {self.path}: {err}") from err

    def _open(self) -> TextIO:
        # utf-8-sig: spreadsheet programs start their CSV exports with a byte-order mark.
        return self.path.open(newline="", encoding="utf-8-sig")

    def count_rows(self) -> int:
        """How many data rows the file holds (a quick pass, for progress bars)."""
        try:
            with self._open() as handle:
                return max(0, sum(1 for row in _records(handle) if row != []) - 1)
        except (OSError, UnicodeDecodeError, csv.Error) as err:
            raise CatalogFormatError(f"Cannot read {self.path}: {err}") from err

    def __iter__(self) -> Iterator[TrackInfo]:
        parser = _RowParser(self.shape, self._headers)
        seen: set[str] = set()
        try:
            with self._open() as handle:
                rows = csv.reader(handle)
                next(rows, None)
                for row in _records(handle, rows):
                    if row == []:
                        continue
                    self.rows_read += 1
                    try:
                        info = parser.parse(_readable(row))
                    except _BadRow as bad:
                        self._skip(bad.args[0], rows.line_num)
                        continue
                    if info.spotify_id in seen:
                        self._skip(SKIP_DUPLICATE, rows.line_num)
                        continue
                    seen.add(info.spotify_id)
                    yield info
        except (OSError, UnicodeDecodeError, csv.Error) as err:
            raise CatalogFormatError(
                f"Cannot read {self.path} past row {self.rows_read}: {err}"
            ) from err

    def _skip(self, reason: str, line: int) -> None:
        self.skipped[reason] += 1
        log.debug("%s line %d skipped: %s", self.path.name, line, reason)


def _records(handle: TextIO, rows: Iterator[list[str]] | None = None) -> Iterator[list[str] | None]:
    """The CSV records, with None for one the csv module cannot read (a cell over its field
    limit): that row is skipped, never the file. The reader goes on at the next line."""
    rows = rows if rows is not None else csv.reader(handle)
    while True:
        try:
            yield next(rows)
        except StopIteration:
            return
        except csv.Error:
            yield None


def _readable(row: list[str] | None) -> list[str]:
    """The row, or _BadRow when the csv module could not read it."""
    if row is None:
        raise _BadRow(SKIP_UNREADABLE)
    return row
