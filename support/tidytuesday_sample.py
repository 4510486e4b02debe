"""A fictional catalog in the exact column layout of tidytuesday's `spotify_songs.csv`.

Every title, artist, album and playlist is made up from the word lists below, every id is a
hash of a seed, and the features come from a seeded random generator. Like the real file,
some tracks appear again in a second playlist with another genre.

    python -m support.tidytuesday_sample OUT.csv [ROWS]
"""

from __future__ import annotations

import csv
import hashlib
import random
import string
import sys
from pathlib import Path

HEADER = [
    "track_id", "track_name", "track_artist", "track_popularity", "track_album_id",
    "track_album_name", "track_album_release_date", "playlist_name", "playlist_id",
    "playlist_genre", "playlist_subgenre", "danceability", "energy", "key", "loudness", "mode",
    "speechiness", "acousticness", "instrumentalness", "liveness", "valence", "tempo",
    "duration_ms",
]  # fmt: skip
# tidytuesday's six genres with two of their subgenres each
GENRES = {
    "pop": ("dance pop", "indie poptimism"),
    "rap": ("trap", "southern hip hop"),
    "rock": ("classic rock", "hard rock"),
    "latin": ("tropical", "reggaeton"),
    "r&b": ("neo soul", "urban contemporary"),
    "edm": ("progressive electro house", "big room"),
}
ADJECTIVES = "Amber Quiet Neon Paper Velvet Hollow Golden Rainy Electric Silver Wild Slow".split()
NOUNS = "Harbor Lantern Static Orchard Comet Window Riverbed Signal Meadow Engine Tide".split()
FIRST = "Vela Hollis Mira Juniper Tavi Sable Ansel Lena Ilya Marlo Oren Pia".split()
LAST = "Strand Grey Lund Vale Moon Ivers Finch Voss Marr Quill Dorne Sato".split()
BASE62 = string.digits + string.ascii_letters
# One row in this many repeats an earlier track in another playlist (the real file: ~1 in 7).
REPEAT_EVERY = 7


def sample_id(kind: str, n: int) -> str:
    """A valid 22-character base62 id, made up from a seed."""
    digest = hashlib.sha256(f"melodiclens-tidy-sample-{kind}-{n}".encode()).digest()
    return "".join(BASE62[b % 62] for b in digest[:22])


def sample_rows(count: int, seed: int = 11) -> list[list[str]]:
    """`count` fictional rows in tidytuesday's column order."""
    rng = random.Random(seed)
    rows: list[list[str]] = []
    for n in range(count):
        if n % REPEAT_EVERY == REPEAT_EVERY - 1 and rows:
            rows.append(_in_another_playlist(rng, rng.choice(rows)))
        else:
            rows.append(_new_track(rng, n))
    return rows


def _new_track(rng: random.Random, n: int) -> list[str]:
    genre = rng.choice(list(GENRES))
    valence, energy = rng.random(), rng.random()
    return [
        sample_id("track", n),
        f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}",
        f"{rng.choice(FIRST)} {rng.choice(LAST)}",
        str(rng.randint(0, 100)),
        sample_id("album", n),
        f"{rng.choice(NOUNS)} {rng.choice(['Sessions', 'Tapes', 'Letters', 'Lights'])}",
        f"{rng.randint(1965, 2020)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        f"Fictional {genre.title()} Mix",
        sample_id("playlist", list(GENRES).index(genre)),
        genre,
        rng.choice(GENRES[genre]),
        f"{min(1.0, 0.3 + 0.6 * energy * rng.random() + 0.2):.3f}",
        f"{energy:.3f}",
        str(rng.randint(0, 11)),
        f"{-20 + 17 * energy:.3f}",
        str(rng.randint(0, 1)),
        f"{0.03 + 0.3 * rng.random() ** 3:.4f}",
        f"{(1 - energy) * rng.random():.4f}",
        f"{rng.random() ** 6:.6f}",
        f"{0.05 + 0.4 * rng.random() ** 2:.4f}",
        f"{valence:.3f}",
        f"{rng.uniform(60, 180):.3f}",
        str(rng.randint(120_000, 330_000)),
    ]


def _in_another_playlist(rng: random.Random, original: list[str]) -> list[str]:
    genre = rng.choice([g for g in GENRES if g != original[9]])
    return [
        *original[:7],
        f"Fictional {genre.title()} Mix",
        sample_id("playlist", 100 + list(GENRES).index(genre)),
        genre,
        GENRES[genre][0],
        *original[11:],
    ]


def write_sample(path: Path, count: int, seed: int = 11) -> Path:
    """Write `count` fictional rows with tidytuesday's header to `path`."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(sample_rows(count, seed))
    return path


if __name__ == "__main__":
    write_sample(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 300)
