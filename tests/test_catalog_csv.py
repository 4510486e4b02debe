"""Reading catalog CSVs: every public shape, every kind of bad row, and unknown shapes."""

from __future__ import annotations

from pathlib import Path

import pytest

from recsys.catalog_csv import (
    SKIP_DUPLICATE,
    SKIP_MALFORMED_ID,
    SKIP_MISSING_ID,
    SKIP_MISSING_NAME,
    SKIP_NOT_A_NUMBER,
    SKIP_NOT_FINITE,
    SKIP_OUT_OF_RANGE,
    CatalogFormatError,
    CatalogReader,
    normalise_spotify_id,
    release_year,
    split_artists,
)
from recsys.enrichment import TrackInfo

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
