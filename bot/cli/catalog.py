"""`melodiclens catalog import FILE [--trending] [--source NAME]`: load tracks from a CSV."""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.cli.arguments import add_command, add_command_group
from bot.cli.errors import CommandError

if TYPE_CHECKING:  # the importer, the database and the model load only once a command runs
    from rich.progress import Progress

    from bot.settings import Settings
    from handlers.catalog_import import ImportSummary

# handlers.catalog_import.DEFAULT_BATCH_ROWS, written out so `--help` need not load the importer
# (tests/test_cli_startup.py checks that the two agree).
DEFAULT_BATCH_ROWS = 1024


def register(subparsers: Any) -> None:
    """Add the `catalog` command."""
    actions = add_command_group(subparsers, "catalog", help="manage the track catalog")
    imp = add_command(
        actions,
        "import",
        run_import,
        help="import tracks from a CSV (seed catalog, mood set, tidytuesday or Exportify)",
    )
    imp.add_argument("file", help="the CSV file, or an http(s) address of one")
    imp.add_argument(
        "--trending",
        action="store_true",
        help="also make the file's tracks, in file order, the trending entries of its source",
    )
    imp.add_argument(
        "--source",
        help="trending source name (default: the file name without .csv; implies --trending)",
    )
    imp.add_argument(
        "--batch-rows",
        type=int,
        default=DEFAULT_BATCH_ROWS,
        help=f"rows per embedding and write batch (default {DEFAULT_BATCH_ROWS})",
    )
    imp.add_argument(
        "--if-empty",
        action="store_true",
        help="import only when the catalog has no tracks yet (a first start's step, e.g. compose)",
    )


async def run_import(settings: Settings, args: argparse.Namespace) -> int:
    """Import a catalog CSV (a file or an http(s) address) with a progress bar, then report."""
    from handlers.edge.catalog_download import is_url

    if args.batch_rows < 1:
        raise CommandError("--batch-rows must be at least 1")
    if not is_url(args.file):
        _check_file(Path(args.file))
    if args.if_empty:
        tracks = await _catalog_size(settings)
        if tracks:
            print(f"the catalog already has {_tracks(tracks)}: nothing imported (--if-empty)")
            return 0
    async with _local_copy(args.file) as path:
        return await _import_file(settings, args, path)


def _check_file(path: Path) -> None:
    """A local catalog is there to read, before anything starts."""
    if not path.is_file():
        raise CommandError(f"cannot read {path}: no such file (a CSV, or its http(s) address)")


async def _catalog_size(settings: Settings) -> int:
    """How many catalog tracks the database holds (its schema brought up to date first)."""
    from bot.app import open_database
    from db.tracks import count_tracks

    async with open_database(settings) as database, database.pool.acquire() as conn:
        return await count_tracks(conn, in_catalog=True)


def _tracks(count: int) -> str:
    return f"{count:,} {'track' if count == 1 else 'tracks'}"


@asynccontextmanager
async def _local_copy(location: str) -> AsyncIterator[Path]:
    """The catalog as a local file: the path itself, or a download kept for the import."""
    import tempfile

    from handlers.edge.catalog_download import (
        CatalogDownloadError,
        download_catalog,
        file_name_for,
        is_url,
    )

    if not is_url(location):
        yield Path(location)
        return
    with tempfile.TemporaryDirectory(prefix="melodiclens-catalog-") as folder:
        path = Path(folder) / file_name_for(location)
        with _download_bar() as progress:
            task = progress.add_task(f"downloading {path.name}", total=None)

            def show(done: int, total: int | None) -> None:
                progress.update(task, completed=done, total=total)

            try:
                await download_catalog(location, path, on_progress=show)
            except CatalogDownloadError as err:
                raise CommandError(str(err)) from err
        yield path


async def _import_file(settings: Settings, args: argparse.Namespace, path: Path) -> int:
    import asyncio

    from recsys.catalog_csv import CatalogFormatError, CatalogReader

    try:
        # Read the header now: an unknown shape fails before the database and model start.
        CatalogReader(path)
    except CatalogFormatError as err:
        raise CommandError(str(err)) from err
    source = args.source or (path.stem if args.trending else None)
    from bot.app import open_runtime
    from handlers.catalog_import import ImportProgress, import_catalog
    from recsys.enrichment import TrackEnricher

    async with open_runtime(settings) as runtime:
        enricher = TrackEnricher(
            runtime.embedder,
            theme_classifier=settings.theme_classifier,
            bart_model=settings.bart_mnli_model,
        )
        # Load the model before the clock starts, so the reported rate is the import's own.
        await asyncio.to_thread(runtime.embedder.warm)
        with _progress_bar() as progress:
            task = progress.add_task(f"importing {path.name}", total=None)

            def show(step: ImportProgress) -> None:
                progress.update(task, completed=step.rows_done, total=step.rows_total)

            try:
                summary = await import_catalog(
                    runtime.db,
                    enricher,
                    path,
                    trending_source=source,
                    batch_rows=args.batch_rows,
                    on_progress=show,
                )
            except CatalogFormatError as err:
                raise CommandError(str(err)) from err
    print(format_summary(summary))
    return 0


def _progress_bar() -> Progress:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    # On stderr, so that the summary on stdout stays clean for scripts.
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("rows"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
    )


def _download_bar() -> Progress:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TransferSpeedColumn,
    )

    # The same bar as the import's, counting bytes; on stderr like it.
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
    )


def format_summary(summary: ImportSummary) -> str:
    """The end-of-import report: counts, skips by reason, time and rate."""
    lines = [
        f"{summary.path.name} ({summary.shape}): {summary.rows:,} "
        f"{'row' if summary.rows == 1 else 'rows'} in "
        f"{summary.seconds:.1f} s, {summary.tracks_per_second:,.1f} tracks/s",
        f"  imported   {summary.imported:>9,}",
        f"  updated    {summary.updated:>9,}",
        f"  unchanged  {summary.unchanged:>9,}",
        f"  skipped    {summary.skipped_total:>9,}",
    ]
    lines += [f"    {reason}: {count:,}" for reason, count in summary.skipped.items()]
    lines.append(f"  embedded   {summary.embedded:>9,}")
    if summary.trending_source is not None:
        lines.append(
            f"  trending   {summary.trending_entries:>9,} "
            f"{'entry' if summary.trending_entries == 1 else 'entries'} in source "
            f"{summary.trending_source!r}"
        )
    return "\n".join(lines)
