"""Matching the same song under another id: what must match, and the near-misses that must not."""

from __future__ import annotations

import pytest

from recsys.same_song import SongRef, clean_isrc, fold, match_songs, song_key, title_key

SAME = [
    ("Yesterday - Remastered 2009", "Yesterday"),
    ("Yesterday - 2009 Remaster", "Yesterday"),
    ("Bohemian Rhapsody - Remastered 2011", "Bohemian Rhapsody"),
    ("Señorita", "Senorita"),
    ("Café del Mar", "Cafe Del Mar"),
    ("Déjà Vu", "Deja vu"),
    ("Don't Stop Me Now", "Dont Stop Me Now"),
    ("Cold Heart (PNAU Remix) [feat. Dua Lipa]", "Cold Heart (PNAU Remix)"),
    ("Señorita (feat. Camila Cabello)", "Señorita"),
    ("Stay [feat. Justin Bieber]", "Stay"),
    ("Stay feat. Justin Bieber", "Stay"),
    ("Stay (with Justin Bieber)", "Stay"),
    ('Let It Go - From "Frozen"', "Let It Go"),
    ('Let It Go (From "Frozen"/Soundtrack Version)', "Let It Go"),
    ("Hey Jude - Single Version", "Hey Jude"),
    ("Hey Jude (Radio Edit)", "Hey Jude"),
    ("Hey Jude (2015 Remaster)", "Hey Jude"),
    ("Hey Jude - Mono", "Hey Jude"),
    ("Song (Live)", "Song - Live"),
    ("Song - Acoustic Version", "Song (Acoustic)"),
    ("Song (Live) - Remastered", "Song - Live (Remastered 2011)"),
    ("Rock & Roll", "Rock and Roll"),
    ("  HELLO   world ", "hello world"),
]

DIFFERENT = [
    ("Song (Live)", "Song"),
    ("Song - Live at Wembley", "Song"),
    ("Song - Live / Remastered 2011", "Song"),
    ("Song (Acoustic)", "Song"),
    ("Song - Acoustic Version", "Song"),
    ("Song (Remix)", "Song"),
    ("Song - Tiësto Remix", "Song"),
    ("Song - Tiësto Remix", "Song - Kygo Remix"),
    ("Song (Instrumental)", "Song"),
    ("Song (Slowed + Reverb)", "Song"),
    ("Song - Sped Up", "Song"),
    ("Song (Karaoke Version)", "Song"),
    ("Song - Demo", "Song"),
    ("Song (Extended Mix)", "Song"),
    ("Song (Piano Version)", "Song"),
    ("Song - Unplugged", "Song"),
    ("Song (Reprise)", "Song"),
    ("Song (Part 2)", "Song"),
    ("Song 2", "Song"),
    ("Songs", "Song"),
    ("Love Story (Taylor's Version)", "Love Story"),
]


@pytest.mark.parametrize(("left", "right"), SAME)
def test_the_same_song_gets_the_same_key(left: str, right: str) -> None:
    """Release tails, credits, accents and punctuation do not make another song."""
    assert song_key(left, ["Artist"]) == song_key(right, ["Artist"])


@pytest.mark.parametrize(("left", "right"), DIFFERENT)
def test_another_recording_never_matches(left: str, right: str) -> None:
    """Live, acoustic, remixed, instrumental and re-recorded versions stay apart."""
    assert song_key(left, ["Artist"]) != song_key(right, ["Artist"])


def test_the_first_artist_decides() -> None:
    """Accents in artist names fold; another first artist is another song; guests do not count."""
    assert song_key("Hola", ["Beyoncé", "X"]) == song_key("Hola", ["Beyonce"])
    assert song_key("Hola", ["Beyoncé"]) != song_key("Hola", ["Rihanna"])
    assert song_key("Hola", ["A", "B"]) != song_key("Hola", ["B", "A"])


def test_no_key_without_a_title_or_an_artist() -> None:
    """A title of punctuation only, or no artist, cannot be matched on."""
    assert song_key("!!!", ["Artist"]) is None
    assert song_key("Song", []) is None
    assert song_key("Song", ["  "]) is None


def test_other_scripts_are_kept() -> None:
    """Titles in Devanagari, Japanese or Cyrillic keep their letters."""
    assert title_key("तुम ही हो") == "तुम ही हो"
    assert song_key("夜に駆ける", ["YOASOBI"]) == "夜に駆ける|yoasobi"
    assert fold("Кино") == "кино"


def test_isrc_is_canonical_or_nothing() -> None:
    """Hyphens and case are ignored; anything not shaped like an ISRC is no ISRC."""
    assert clean_isrc("us-um7-14-00001") == "USUM71400001"
    assert clean_isrc("USUM71400001") == "USUM71400001"
    assert clean_isrc("USUM7140000") is None
    assert clean_isrc("") is None
    assert clean_isrc(None) is None
    assert clean_isrc(12) is None


def test_match_prefers_isrc_and_falls_back_to_the_key() -> None:
    """ISRC finds a twin whose title differs; the key finds one without an ISRC."""
    known = [
        SongRef(1, "Canción", ("Artista",), "ESAB11900001"),
        SongRef(2, "Night Drive", ("Band",)),
        SongRef(3, "Night Drive (Live)", ("Band",)),
    ]
    blind = [
        SongRef(10, "Cancion - Versión radio", ("Artista",), "es-ab1-19-00001"),
        SongRef(11, "Night Drive - Remastered 2020", ("Band",)),
        SongRef(12, "Night Drive - Live", ("Band",)),
        SongRef(13, "Night Drive - Acoustic", ("Band",)),
        SongRef(14, "Night Drive", ("Other Band",)),
    ]
    assert match_songs(blind, known) == {10: 1, 11: 2, 12: 3}


def test_a_different_isrc_does_not_block_a_key_match() -> None:
    """ISRCs that differ (another release of the same recording) still allow a key match."""
    known = [SongRef(1, "Hello", ("Adele",), "GBBKS1500214")]
    blind = [SongRef(2, "Hello", ("Adele",), "GBBKS1500999")]
    assert match_songs(blind, known) == {2: 1}


def test_several_twins_take_the_lowest_id() -> None:
    """A song in the catalog twice matches repeatably, and never itself."""
    known = [SongRef(9, "Hello", ("Adele",)), SongRef(4, "Hello", ("Adele",))]
    assert match_songs([SongRef(20, "Hello - Radio Edit", ("Adele",))], known) == {20: 4}
    assert match_songs([SongRef(4, "Hello", ("Adele",))], known) == {}
