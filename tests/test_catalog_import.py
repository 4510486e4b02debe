"""Catalog import on the real embedded PostgreSQL: shapes, bad rows, idempotency, trending, CLI."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from db import tracks, trending_entries
from db.pool import Database, connect
from handlers.catalog_import import ImportProgress, ImportSummary, import_catalog
from recsys.embedder import Embedder
from recsys.enrichment import TrackEnricher
from tests.test_catalog_csv import BAD_ROW_FIXTURES

FIXTURES = Path(__file__).resolve().parent / "fixtures"
ROOT = Path(__file__).resolve().parent.parent

SHAPE_FIXTURES = [
    ("catalog_seed.csv", 5),
    ("catalog_mood_set.csv", 3),
    ("catalog_tidytuesday.csv", 3),
    ("catalog_exportify.csv", 3),
]


# The real seed catalog: 28,451 rows, 10 of them without a track name.
async def run_import(
    db: Database, embedder: Embedder, path: Path, source: str | None = None
) -> ImportSummary:
    return await import_catalog(db, TrackEnricher(embedder), path, trending_source=source)


@pytest.mark.parametrize(("name", "rows"), SHAPE_FIXTURES)
async def test_each_shape_imports_every_row_with_an_embedding(
    db: Database, embedder: Embedder, name: str, rows: int
) -> None:
    summary = await run_import(db, embedder, FIXTURES / name)
    assert (summary.imported, summary.updated, summary.skipped) == (rows, 0, {})
    async with db.pool.acquire() as conn:
        stored = await conn.fetch("SELECT * FROM tracks")
    assert len(stored) == rows
    assert all(row["in_catalog"] and row["embedding"] is not None for row in stored)
    assert all(row["title"] and row["content_hash"] for row in stored)


async def test_stored_track_keeps_its_fields(db: Database, embedder: Embedder) -> None:
    await run_import(db, embedder, FIXTURES / "catalog_tidytuesday.csv")
    async with db.pool.acquire() as conn:
        row = await tracks.track_by_spotify_id(conn, "FixtureTidyTrack000001")
    assert row is not None
    assert row["artists"] == ["Vela Strand"] and row["genres"] == ["pop", "dance pop"]
    assert (row["album"], row["popularity"], row["release_year"]) == ("Night Transit", 66, 2019)
    assert row["energy"] == pytest.approx(0.916) and row["mode"] == 1
    assert row["embedding"].dimensions() == 384


@pytest.mark.parametrize(("name", "reason", "count"), BAD_ROW_FIXTURES)
async def test_bad_rows_are_skipped_by_reason_and_the_rest_imported(
    db: Database, embedder: Embedder, name: str, reason: str, count: int
) -> None:
    summary = await run_import(db, embedder, FIXTURES / name)
    assert summary.skipped == {reason: count}
    assert summary.imported == 2 and summary.rows == count + 2
    async with db.pool.acquire() as conn:
        assert await tracks.count_tracks(conn) == 2


async def test_second_import_changes_nothing(db: Database, embedder: Embedder) -> None:
    path = FIXTURES / "catalog_seed.csv"
    await run_import(db, embedder, path)
    async with db.pool.acquire() as conn:
        before = await conn.fetch("SELECT id, spotify_id, updated_at FROM tracks ORDER BY id")
    again = await run_import(db, embedder, path)
    assert (again.imported, again.updated, again.unchanged, again.embedded) == (0, 0, 5, 0)
    async with db.pool.acquire() as conn:
        after = await conn.fetch("SELECT id, spotify_id, updated_at FROM tracks ORDER BY id")
        distinct = await conn.fetchval("SELECT count(DISTINCT spotify_id) FROM tracks")
    assert after == before and distinct == 5


async def test_changed_rows_are_updated_and_only_changed_text_is_embedded_again(
    db: Database, embedder: Embedder, tmp_path: Path
) -> None:
    original = FIXTURES / "catalog_seed.csv"
    await run_import(db, embedder, original)
    edited = tmp_path / "catalog_seed.csv"
    text = original.read_text()
    # a new title changes the embedded text; a new popularity does not
    text = text.replace("Harbour Fog", "Harbour Fog (Live)").replace(
        "0.91,124.0,4,71.0", "0.91,124.0,4,80"
    )
    edited.write_text(text)
    summary = await run_import(db, embedder, edited)
    assert (summary.imported, summary.updated, summary.unchanged) == (0, 2, 3)
    assert summary.embedded == 1
    async with db.pool.acquire() as conn:
        fog = await tracks.track_by_spotify_id(conn, "FixtureSeedTrack000002")
        lanterns = await tracks.track_by_spotify_id(conn, "FixtureSeedTrack000001")
    assert fog is not None and fog["title"] == "Harbour Fog (Live)"
    assert lanterns is not None and lanterns["popularity"] == 80


async def test_track_without_features_is_imported_with_embedding_and_no_mood_words(
    db: Database, embedder: Embedder
) -> None:
    await run_import(db, embedder, FIXTURES / "catalog_seed.csv")
    async with db.pool.acquire() as conn:
        bare = await tracks.track_by_spotify_id(conn, "FixtureSeedTrack000004")
        sad = await tracks.track_by_spotify_id(conn, "FixtureSeedTrack000002")
    assert bare is not None and bare["embedding"] is not None
    assert bare["valence"] is None and bare["energy"] is None and bare["mood_words"] == []
    assert sad is not None and sad["mood_words"]  # features give mood words


async def test_trending_entries_follow_the_file_order_and_drop_departed_tracks(
    db: Database, embedder: Embedder, tmp_path: Path
) -> None:
    seed = FIXTURES / "catalog_seed.csv"
    summary = await run_import(db, embedder, seed, source="chart")
    assert summary.trending_entries == 5
    async with db.pool.acquire() as conn:
        ranks = await trending_entries.trending_ranks(conn, "chart")
    assert ranks == [(f"FixtureSeedTrack00000{i}", i) for i in range(1, 6)]

    lines = seed.read_text().splitlines()
    shorter = tmp_path / "chart.csv"
    shorter.write_text("\n".join([lines[0], lines[3], lines[1]]) + "\n")
    again = await run_import(db, embedder, shorter, source="chart")
    assert again.trending_entries == 2
    async with db.pool.acquire() as conn:
        ranks = await trending_entries.trending_ranks(conn, "chart")
        kept = await tracks.count_tracks(conn, in_catalog=True)
    assert ranks == [("FixtureSeedTrack000003", 1), ("FixtureSeedTrack000001", 2)]
    assert kept == 5  # leaving the chart does not remove a track from the catalog


async def test_library_track_joins_the_catalog_and_keeps_its_lyrics_themes(
    db: Database, embedder: Embedder
) -> None:
    async with db.pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO tracks (spotify_id, title, artists, lyrics_themes) "
            "VALUES ('FixtureSeedTrack000001', 'Paper Lanterns', '{Juniper Vale}', '{romance}')"
        )
    summary = await run_import(db, embedder, FIXTURES / "catalog_seed.csv")
    assert (summary.imported, summary.updated) == (4, 1)
    async with db.pool.acquire() as conn:
        row = await tracks.track_by_spotify_id(conn, "FixtureSeedTrack000001")
    assert row is not None and row["in_catalog"] and row["lyrics_themes"] == ["romance"]
    assert row["embedding"] is not None and row["valence"] == pytest.approx(0.91)


async def test_progress_reaches_every_row(db: Database, embedder: Embedder) -> None:
    seen: list[ImportProgress] = []
    await import_catalog(
        db,
        TrackEnricher(embedder),
        FIXTURES / "catalog_bad_out_of_range.csv",
        batch_rows=2,
        on_progress=seen.append,
    )
    assert seen[-1].rows_done == seen[-1].rows_total == 6
    assert seen[-1].imported == 2 and seen[-1].skipped == 4
    assert [p.rows_done for p in seen] == sorted(p.rows_done for p in seen)


async def test_import_works_with_a_pool_of_one_connection(
    db: Database, embedder: Embedder, data_dir: Path
) -> None:
    small = await connect(db.url, data_dir, pool_size=1)
    try:
        summary = await asyncio.wait_for(
            import_catalog(
                small, TrackEnricher(embedder), FIXTURES / "catalog_seed.csv", batch_rows=2
            ),
            timeout=120,
        )
    finally:
        await small.close()
    assert summary.imported == 5


def run_cli(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(MELODICLENS_DATA_DIR=str(data_dir), HF_HUB_OFFLINE="1")
    code = "import sys; from bot.cli import main; sys.exit(main())"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=data_dir,  # no developer .env is read from here
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture
def cli_data_dir() -> AsyncIterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="mlcli-", dir="/tmp"))
    yield path  # type: ignore[misc]
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.slow
def test_cli_import_prints_the_summary(cli_data_dir: Path) -> None:
    path = FIXTURES / "catalog_bad_out_of_range.csv"
    done = run_cli("catalog", "import", str(path), "--trending", data_dir=cli_data_dir)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "catalog_bad_out_of_range.csv (seed catalog): 6 rows" in out
    assert "imported           2" in out and "skipped            4" in out
    assert "feature out of range: 4" in out
    assert "2 entries in source 'catalog_bad_out_of_range'" in out
    assert "tracks/s" in out


def test_cli_refuses_an_unknown_shape_before_starting_anything(cli_data_dir: Path) -> None:
    path = FIXTURES / "catalog_unknown_shape.csv"
    done = run_cli("catalog", "import", str(path), data_dir=cli_data_dir)
    assert done.returncode == 1
    assert "Unknown catalog shape" in done.stderr and "spotify_id + name + artists" in done.stderr
    assert not (cli_data_dir / "pg").exists()
