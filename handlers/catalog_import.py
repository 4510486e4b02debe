"""Import a catalog CSV: read, validate, enrich in batches off the event loop, upsert.

Three stages run at once so that embedding, the bottleneck, never waits: the event loop reads
and describes batch k+1 and writes batch k-1 while batch k is embedded on a worker thread.
Tracks whose embedded text is unchanged since the last import are not embedded again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from itertools import islice
from pathlib import Path

import asyncpg

from db import tracks, trending_entries
from db.errors import DatabaseError, DatabaseUnavailable
from db.pool import Database
from handlers.track_writes import enriched_write
from recsys.catalog_csv import CatalogReader
from recsys.enrichment import EnrichedTrack, TrackEnricher
from recsys.models import TrackInfo

log = logging.getLogger(__name__)

# Rows per pipeline batch: large enough that COPY and the embedder's length-sorting pay off,
# small enough that the progress bar moves every few seconds.
DEFAULT_BATCH_ROWS = 1024
# Batches read ahead of the embedder, and embedded ahead of the writer: one is enough to
# hide the other stages; more only holds memory.
QUEUE_DEPTH = 2


@dataclass(frozen=True)
class ImportProgress:
    """How far an import has got, reported after each written batch."""

    rows_done: int
    rows_total: int
    imported: int
    updated: int
    skipped: int


@dataclass(frozen=True)
class ImportSummary:
    """What an import did, for the summary printed at the end."""

    path: Path
    shape: str
    rows: int
    imported: int
    updated: int
    unchanged: int
    skipped: dict[str, int]
    embedded: int
    seconds: float
    trending_source: str | None = None
    trending_entries: int = 0
    embed_batch_seconds: tuple[float, ...] = ()
    write_batch_seconds: tuple[float, ...] = ()

    @property
    def skipped_total(self) -> int:
        """Rows left out for any reason."""
        return sum(self.skipped.values())

    @property
    def tracks_per_second(self) -> float:
        """Valid tracks handled (imported, updated or unchanged) per second."""
        handled = self.imported + self.updated + self.unchanged
        return handled / self.seconds if self.seconds > 0 else 0.0


ProgressCallback = Callable[[ImportProgress], None]


@dataclass
class _Batch:
    infos: list[TrackInfo]
    moods: list[tuple[str, ...]]
    hashes: list[str]
    # positions in `infos` whose text changed (or is new): only these are embedded
    stale: list[int]
    enriched: list[EnrichedTrack] = field(default_factory=list)


@dataclass
class _Tally:
    rows_total: int
    rows_done: int = 0
    imported: int = 0
    updated: int = 0
    embedded: int = 0
    ranked_ids: list[str] = field(default_factory=list)
    embed_seconds: list[float] = field(default_factory=list)
    write_seconds: list[float] = field(default_factory=list)


async def import_catalog(
    database: Database,
    enricher: TrackEnricher,
    path: Path,
    *,
    trending_source: str | None = None,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    on_progress: ProgressCallback | None = None,
) -> ImportSummary:
    """Import every valid row of a catalog CSV; raises CatalogFormatError for unreadable files.

    With `trending_source`, that source's trending entries become the file's tracks in order.
    """
    started = time.perf_counter()
    reader = CatalogReader(path)
    tally = _Tally(rows_total=reader.count_rows())
    log.info("importing %s (%s, %d rows)", path, reader.shape.name, tally.rows_total)
    pipeline = _Pipeline(database, enricher, reader, tally, on_progress)
    try:
        await pipeline.run(batch_rows)
        entries = 0
        if trending_source is not None:
            async with database.pool.acquire() as conn:
                entries = await trending_entries.replace_trending(
                    conn, trending_source, tally.ranked_ids
                )
    except (asyncpg.PostgresError, asyncpg.InterfaceError, DatabaseUnavailable, OSError) as err:
        raise DatabaseError(f"The import of {path} failed in the database: {err}") from err
    valid = len(tally.ranked_ids)
    return ImportSummary(
        path=path,
        shape=reader.shape.name,
        rows=reader.rows_read,
        imported=tally.imported,
        updated=tally.updated,
        unchanged=valid - tally.imported - tally.updated,
        skipped=dict(reader.skipped.most_common()),
        embedded=tally.embedded,
        seconds=time.perf_counter() - started,
        trending_source=trending_source,
        trending_entries=entries,
        embed_batch_seconds=tuple(tally.embed_seconds),
        write_batch_seconds=tuple(tally.write_seconds),
    )


@dataclass(eq=False)
class _Pipeline:
    """The three import stages joined by short queues."""

    database: Database
    enricher: TrackEnricher
    reader: CatalogReader
    tally: _Tally
    on_progress: ProgressCallback | None

    async def run(self, batch_rows: int) -> None:
        """Run the stages to the end of the file; the first failure stops them all."""
        described: asyncio.Queue[_Batch | None] = asyncio.Queue(QUEUE_DEPTH)
        embedded: asyncio.Queue[_Batch | None] = asyncio.Queue(QUEUE_DEPTH)
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(self._describe(batch_rows, described))
                group.create_task(self._embed(described, embedded))
                group.create_task(self._write(embedded))
        except ExceptionGroup as failures:
            # One stage failed and the others were cancelled: its error is the story.
            raise failures.exceptions[0] from None

    async def _describe(self, batch_rows: int, out: asyncio.Queue[_Batch | None]) -> None:
        for read in _batches(iter(self.reader), batch_rows):
            ids = [info.spotify_id for info in read]
            # a connection per batch, never held across stages: a pool of one still works
            async with self.database.pool.acquire() as conn:
                stored = await tracks.stored_texts(conn, ids)
            infos = [_with_stored_lyrics(info, stored.get(info.spotify_id)) for info in read]
            described = [self.enricher.describe(info) for info in infos]
            hashes = [self.enricher.content_hash(text) for _, text in described]
            stale = [i for i, h in enumerate(hashes) if _stored_hash(stored.get(ids[i])) != h]
            self.tally.ranked_ids.extend(ids)
            await out.put(_Batch(infos, [mood for mood, _ in described], hashes, stale))
        await out.put(None)

    async def _embed(
        self, source: asyncio.Queue[_Batch | None], out: asyncio.Queue[_Batch | None]
    ) -> None:
        while (batch := await source.get()) is not None:
            if batch.stale:
                began = time.perf_counter()
                stale_infos = [batch.infos[i] for i in batch.stale]
                batch.enriched = await asyncio.to_thread(self.enricher.enrich, stale_infos)
                self.tally.embed_seconds.append(time.perf_counter() - began)
                self.tally.embedded += len(stale_infos)
            await out.put(batch)
        await out.put(None)

    async def _write(self, source: asyncio.Queue[_Batch | None]) -> None:
        while (batch := await source.get()) is not None:
            began = time.perf_counter()
            async with self.database.pool.acquire() as conn:
                counts = await tracks.upsert_tracks(conn, _rows(batch), "catalog")
            self.tally.write_seconds.append(time.perf_counter() - began)
            self.tally.imported += counts.inserted
            self.tally.updated += counts.updated
            self._report()

    def _report(self) -> None:
        tally = self.tally
        tally.rows_done = self.reader.rows_read
        if self.on_progress is not None:
            self.on_progress(
                ImportProgress(
                    rows_done=tally.rows_done,
                    rows_total=max(tally.rows_total, tally.rows_done),
                    imported=tally.imported,
                    updated=tally.updated,
                    skipped=sum(self.reader.skipped.values()),
                )
            )


def _batches(items: Iterator[TrackInfo], size: int) -> Iterator[list[TrackInfo]]:
    while batch := list(islice(items, size)):
        yield batch


def _with_stored_lyrics(info: TrackInfo, stored: tracks.StoredText | None) -> TrackInfo:
    """A file row without lyrics themes keeps the stored ones (a library sync found them).

    The upsert keeps them in the row either way; describing with them keeps the text, and so
    the content hash, equal to the one the library sync embedded.
    """
    if info.lyrics_themes or stored is None or not stored.lyrics_themes:
        return info
    return replace(info, lyrics_themes=stored.lyrics_themes)


def _stored_hash(stored: tracks.StoredText | None) -> str | None:
    return None if stored is None else stored.content_hash


def _rows(batch: _Batch) -> list[tracks.TrackWrite]:
    """The batch's rows; unchanged tracks carry no embedding or tags (the stored ones stay)."""
    fresh = dict(zip(batch.stale, batch.enriched, strict=True))
    rows = []
    for i, info in enumerate(batch.infos):
        done = fresh.get(i)
        if done is not None:
            rows.append(enriched_write(done, in_catalog=True))
        else:
            mood = batch.moods[i]
            rows.append(
                tracks.TrackWrite(
                    info=info, mood_words=mood, content_hash=batch.hashes[i], in_catalog=True
                )
            )
    return rows
