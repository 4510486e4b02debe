"""A small, clearly fictional catalog spanning the mood space, for recommender tests."""

from __future__ import annotations

import csv
import hashlib
import string
from pathlib import Path

from db.pool import Database
from handlers.catalog_import import import_catalog
from recsys.embedder import Embedder
from recsys.enrichment import TrackEnricher

BASE62 = string.digits + string.ascii_letters
HEADER = [
    "", "spotify_id", "name", "artists", "danceability", "energy", "key", "loudness", "mode",
    "speechiness", "acousticness", "instrumentalness", "liveness", "valence", "tempo",
    "time_signature", "popularity",
]  # fmt: skip

# (title, valence, energy, danceability, acousticness, instrumentalness, tempo)
MOODS = [
    ("Rainy Window Lament", 0.08, 0.15, 0.25, 0.92, 0.10, 68),
    ("Empty Platform Blues", 0.12, 0.22, 0.30, 0.85, 0.05, 72),
    ("Grey Letters Home", 0.15, 0.28, 0.35, 0.80, 0.00, 76),
    ("Quiet Goodbye Waltz", 0.18, 0.20, 0.28, 0.90, 0.40, 84),
    ("Lonely Lantern", 0.10, 0.12, 0.20, 0.95, 0.70, 60),
    ("Misty Lake Morning", 0.62, 0.18, 0.30, 0.93, 0.85, 74),
    ("Pine Needle Drift", 0.58, 0.14, 0.25, 0.96, 0.90, 66),
    ("Slow Tide Meditation", 0.55, 0.08, 0.18, 0.97, 0.95, 60),
    ("Soft Meadow Light", 0.66, 0.25, 0.40, 0.88, 0.60, 82),
    ("Dawn Over Still Water", 0.60, 0.20, 0.32, 0.90, 0.80, 70),
    ("Confetti Cannon", 0.95, 0.95, 0.92, 0.03, 0.00, 126),
    ("Dancefloor Sunrise", 0.90, 0.92, 0.95, 0.05, 0.02, 124),
    ("Birthday Bass Drop", 0.88, 0.97, 0.90, 0.02, 0.00, 128),
    ("Neon Party Anthem", 0.93, 0.90, 0.88, 0.04, 0.00, 122),
    ("Friday Night Jump", 0.85, 0.88, 0.86, 0.08, 0.00, 130),
    ("Angry Engine Roar", 0.15, 0.95, 0.45, 0.02, 0.00, 160),
    ("Storm Wall", 0.20, 0.90, 0.40, 0.05, 0.10, 150),
    ("Sunny Porch Song", 0.80, 0.55, 0.70, 0.60, 0.00, 104),
    ("Bittersweet Postcard", 0.45, 0.45, 0.55, 0.50, 0.00, 96),
    ("Steady Commute", 0.50, 0.55, 0.60, 0.30, 0.00, 110),
    ("Piano For No One", 0.25, 0.10, 0.20, 0.98, 0.92, 62),
    ("Skate Park Summer", 0.82, 0.80, 0.78, 0.10, 0.00, 118),
    ("Featureless Mystery", None, None, None, None, None, None),
    ("Rainy Window Lament (Remastered)", 0.09, 0.16, 0.25, 0.92, 0.10, 68),
]
# The remastered duplicate shares its artist with the original: never both in one answer.
SHARED_ARTIST = {23: 0}


def fake_spotify_id(n: int) -> str:
    """A valid-looking, clearly fictional 22-character base62 id."""
    digest = hashlib.sha256(f"melodiclens-test-{n}".encode()).digest()
    return "".join(BASE62[b % 62] for b in digest[:22])


def write_catalog(path: Path) -> Path:
    """Write the fictional catalog CSV in the seed catalog's shape."""
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for n, (title, val, en, dance, acoustic, instr, tempo) in enumerate(MOODS):
            artist = f"Test Artist {SHARED_ARTIST.get(n, n)}"
            cells = [dance, en, 5, -8.0, 1, 0.04, acoustic, instr, 0.1, val, tempo, 4]
            if val is None:
                cells = ["" for _ in cells]
            writer.writerow([n, fake_spotify_id(n), title, artist, *cells, 50])
    return path


async def load_catalog(database: Database, embedder: Embedder, directory: Path) -> dict[str, int]:
    """Import the fictional catalog (as trending) and return title -> track id."""
    path = write_catalog(directory / "fictional_catalog.csv")
    await import_catalog(database, TrackEnricher(embedder), path, trending_source="test")
    rows = await database.pool.fetch("SELECT id, title FROM tracks")
    return {row["title"]: row["id"] for row in rows}


async def fresh_catalog(
    database: Database, embedder: Embedder, directory: Path, also: tuple[str, ...] = ()
) -> dict[str, int]:
    """The fictional catalog alone (title -> track id): the tracks, listeners and answers of
    earlier tests, and the tables in `also`, emptied first."""
    tables = ", ".join(("tracks", "chat_users", "recommendations", *also))
    async with database.pool.acquire() as conn:
        await conn.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    return await load_catalog(database, embedder, directory)
