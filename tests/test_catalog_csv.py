"""Reading catalog CSVs: every public shape, every kind of bad row, and unknown shapes."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from recsys.catalog_csv import (
    MAX_ARTIST_CHARS,
    MAX_ARTISTS,
    MAX_TITLE_CHARS,
    SKIP_DUPLICATE,
    SKIP_MALFORMED_ID,
    SKIP_MISSING_ID,
    SKIP_MISSING_NAME,
    SKIP_NOT_A_NUMBER,
    SKIP_NOT_FINITE,
    SKIP_OUT_OF_RANGE,
    SKIP_UNREADABLE,
    CatalogFormatError,
    CatalogReader,
    normalise_spotify_id,
    release_year,
    split_artists,
)
from recsys.models import TrackInfo
from support import tidytuesday_sample

FIXTURES = Path(__file__).resolve().parent / "fixtures"

# Each bad-row fixture holds two good rows around its bad ones.
BAD_ROW_FIXTURES = [
    ("catalog_bad_missing_id.csv", SKIP_MISSING_ID, 2),
    ("catalog_bad_missing_name.csv", SKIP_MISSING_NAME, 1),
    ("catalog_bad_malformed_id.csv", SKIP_MALFORMED_ID, 3),
    ("catalog_bad_out_of_range.csv", SKIP_OUT_OF_RANGE, 4),
    ("catalog_bad_nan.csv", SKIP_NOT_FINITE, 2),
    ("catalog_bad_not_a_number.csv", SKIP_NOT_A_NUMBER, 1),
    ("catalog_bad_duplicate_id.csv", SKIP_DUPLICATE, 2),
]


def read(name: str) -> tuple[CatalogReader, dict[str, TrackInfo]]:
    reader = CatalogReader(FIXTURES / name)
    return reader, {info.spotify_id: info for info in reader}


def test_seed_catalog_shape_reads_names_artists_and_spelled_out_features() -> None:
    reader, tracks = read("catalog_seed.csv")
    assert reader.shape.name == "seed catalog"
    assert len(tracks) == 5 and not reader.skipped
    first = tracks["FixtureSeedTrack000001"]
    assert first.title == "Paper Lanterns"
    assert first.artists == ("Juniper Vale", "Marlo Finch")
    assert first.popularity == 71
    assert first.features.valence == pytest.approx(0.91)
    # the real seed catalog spells key, mode and time signature out in some rows
    spelled = tracks["FixtureSeedTrack000002"].features
    assert (spelled.key, spelled.mode, spelled.time_signature) == (1, 0, 3)
    assert tracks["FixtureSeedTrack000003"].features.mode == 1


def test_null_and_empty_features_become_missing_not_bad_rows() -> None:
    reader, tracks = read("catalog_seed.csv")
    for spotify_id in ("FixtureSeedTrack000004", "FixtureSeedTrack000005"):
        features = tracks[spotify_id].features
        assert features.valence is None and features.energy is None and features.key is None
    assert not reader.skipped


def test_mood_set_shape_reads_album_popularity_and_release_year() -> None:
    reader, tracks = read("catalog_mood_set.csv")
    assert reader.shape.name == "mood set"
    hymn = tracks["FixtureMoodTrack000001"]
    assert hymn.artists == ("Ansel & Maren",)  # "&" belongs to the act's name
    assert (hymn.album, hymn.popularity, hymn.release_year) == ("Slow Tides", 35, 2019)
    assert tracks["FixtureMoodTrack000002"].release_year == 2020
    assert tracks["FixtureMoodTrack000003"].release_year == 2010


def test_tidytuesday_shape_reads_single_artist_and_genres() -> None:
    reader, tracks = read("catalog_tidytuesday.csv")
    assert reader.shape.name == "tidytuesday"
    neon = tracks["FixtureTidyTrack000001"]
    assert neon.artists == ("Vela Strand",)
    assert neon.genres == ("pop", "dance pop")
    assert (neon.album, neon.popularity, neon.release_year) == ("Night Transit", 66, 2019)
    assert neon.features.tempo == pytest.approx(122.036)
    # tidytuesday's track_artist is one act, commas and all
    assert tracks["FixtureTidyTrack000002"].artists == ("Hollis, Grey & Co",)


def test_tidytuesday_songs_layout_reads_every_column_and_counts_repeats() -> None:
    """The full 23-column layout of tidytuesday's spotify_songs.csv, as the README names it."""
    reader, tracks = read("catalog_tidytuesday_songs.csv")
    rows = list(csv.reader((FIXTURES / "catalog_tidytuesday_songs.csv").open()))
    assert rows[0] == tidytuesday_sample.HEADER
    assert reader.shape.name == "tidytuesday"
    unique_ids = {row[0] for row in rows[1:]}
    # a track repeated in a second playlist is kept once, from its first playlist
    assert set(tracks) == unique_ids
    assert dict(reader.skipped) == {SKIP_DUPLICATE: len(rows) - 1 - len(unique_ids)}
    first = rows[1]
    track = tracks[first[0]]
    assert (track.title, track.artists, track.album) == (first[1], (first[2],), first[5])
    assert track.popularity == int(first[3]) and track.release_year == int(first[6][:4])
    assert track.genres == (first[9], first[10])
    assert track.features.valence == pytest.approx(float(first[20]))
    assert track.features.key == int(first[13]) and track.features.mode == int(first[15])


def test_tidytuesday_rows_with_r_missing_values_are_skipped_as_missing_name(
    tmp_path: Path,
) -> None:
    path = tmp_path / "songs.csv"
    good = ["FixtureTidyTrack000009", "Low Orbit", "NA", *[""] * 20]
    missing = ["FixtureTidyTrack000010", "NA", "NA", *["NA"] * 20]
    with path.open("w", newline="") as handle:
        csv.writer(handle).writerows([tidytuesday_sample.HEADER, good, missing])
    reader = CatalogReader(path)
    tracks = list(reader)
    assert [t.title for t in tracks] == ["Low Orbit"] and tracks[0].artists == ()
    assert dict(reader.skipped) == {SKIP_MISSING_NAME: 1}


def test_exportify_shape_reads_uris_links_semicolons_and_capitalised_features() -> None:
    reader, tracks = read("catalog_exportify.csv")
    assert reader.shape.name == "exportify"
    assert set(tracks) == {
        "FixtureExpoTrack000001",
        "FixtureExpoTrack000002",
        "FixtureExpoTrack000003",
    }
    glass = tracks["FixtureExpoTrack000001"]
    assert glass.artists == ("Sable Ivers", "Tavi Moon")
    assert glass.genres == ("indie folk", "chamber pop")
    assert glass.features.danceability == pytest.approx(0.51)
    assert glass.features.time_signature == 4
    assert tracks["FixtureExpoTrack000003"].artists == ("Lena Voss", "Ilya Marr")
    assert tracks["FixtureExpoTrack000003"].features.energy is None


@pytest.mark.parametrize(("name", "reason", "count"), BAD_ROW_FIXTURES)
def test_bad_rows_are_skipped_and_counted_by_reason(name: str, reason: str, count: int) -> None:
    reader, tracks = read(name)
    assert dict(reader.skipped) == {reason: count}
    assert set(tracks) == {"FixtureGoodTrack000001", "FixtureGoodTrack000002"}
    assert reader.rows_read == count + 2


def test_duplicate_keeps_the_first_occurrence() -> None:
    _, tracks = read("catalog_bad_duplicate_id.csv")
    assert tracks["FixtureGoodTrack000001"].title == "Good One"


def test_unknown_shape_names_the_columns_each_shape_needs() -> None:
    with pytest.raises(CatalogFormatError) as caught:
        CatalogReader(FIXTURES / "catalog_unknown_shape.csv")
    message = str(caught.value)
    assert "title, performer, isrc" in message
    for needed in ("spotify_id + name + artists", "track_uri + track_name + artist_name(s)"):
        assert needed in message


def test_missing_or_undecodable_file_is_a_format_error(tmp_path: Path) -> None:
    with pytest.raises(CatalogFormatError, match="Cannot read"):
        CatalogReader(tmp_path / "absent.csv")
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\xff\xfe\x00garbage\x00\xff")
    with pytest.raises(CatalogFormatError):
        CatalogReader(binary)


def test_headers_match_without_case_and_with_a_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_text("\ufeffSpotify_ID,Name,Artists\nFixtureSeedTrack000001,Song,Someone\n")
    reader, tracks = CatalogReader(path), list(CatalogReader(path))
    assert reader.shape.name == "seed catalog"
    assert tracks[0].title == "Song"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2plbrEY59IikOBgBGLjaoe", "2plbrEY59IikOBgBGLjaoe"),
        ("spotify:track:2plbrEY59IikOBgBGLjaoe", "2plbrEY59IikOBgBGLjaoe"),
        ("https://open.spotify.com/track/2plbrEY59IikOBgBGLjaoe?si=x1", "2plbrEY59IikOBgBGLjaoe"),
        ("open.spotify.com/intl-de/track/2plbrEY59IikOBgBGLjaoe", "2plbrEY59IikOBgBGLjaoe"),
        ("2plbrEY59IikOBgBGLjao", None),
        ("spotify:album:2plbrEY59IikOBgBGLjaoe", None),
        ("2plbrEY59IikOBgBGLja_e", None),
    ],
)
def test_spotify_ids_are_normalised_or_refused(value: str, expected: str | None) -> None:
    assert normalise_spotify_id(value) == expected


def test_artists_and_years() -> None:
    assert split_artists("Lady Gaga, Bruno Mars") == ("Lady Gaga", "Bruno Mars")
    assert split_artists("Tyler, The Creator;Kali Uchis") == ("Tyler, The Creator", "Kali Uchis")
    assert split_artists("  ") == ()
    assert release_year("1999-12-31") == 1999
    assert release_year("") is None


# --- issue 21: overlong cells and hostile characters --------------------------------------


def write_rows(path: Path, rows: list[list[str]]) -> Path:
    """A seed-catalog CSV with these data rows."""
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["spotify_id", "name", "artists"])
        writer.writerows(rows)
    return path


def test_a_cell_over_the_csv_field_limit_skips_its_row_not_the_file(tmp_path: Path) -> None:
    path = write_rows(tmp_path / "c.csv", [
        ["0" * 22, "Before", "A"],
        ["1" * 22, "x" * 140_000, "B"],  # over the csv module's 131,072-character limit
        ["2" * 22, "Quoted\n" + "y" * 140_000, "C"],  # the same, over two lines
        ["3" * 22, "After", "D"],
    ])  # fmt: skip
    reader = CatalogReader(path)
    assert [track.title for track in reader] == ["Before", "After"]
    assert reader.skipped[SKIP_UNREADABLE] == 2
    assert reader.count_rows() >= 4


def test_cells_are_clipped_and_lose_bidi_and_control_characters(tmp_path: Path) -> None:
    path = write_rows(tmp_path / "c.csv", [
        ["0" * 22, "t" * 100_000, "\u202eevil\u202c Artist\x07; " + "a" * 5000],
        ["1" * 22, "Tab\there\x00 and\u2066 isolate", ", ".join(f"Act {n}" for n in range(50))],
    ])  # fmt: skip
    first, second = list(CatalogReader(path))
    assert len(first.title) == MAX_TITLE_CHARS and first.title.endswith("…")
    assert first.artists[0] == "evil Artist"
    assert len(first.artists[1]) == MAX_ARTIST_CHARS
    assert second.title == "Tab here and isolate"
    assert len(second.artists) == MAX_ARTISTS
