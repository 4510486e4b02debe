"""Tracks as the enricher knows them, turned into rows for db.tracks.upsert_tracks."""

from __future__ import annotations

from db.tracks import TrackWrite
from recsys.enrichment import EnrichedTrack


def enriched_write(track: EnrichedTrack, *, in_catalog: bool) -> TrackWrite:
    """An enriched track with its words, tags, embedding and content hash."""
    return TrackWrite(
        info=track.info,
        mood_words=track.mood_words,
        theme_tags=track.theme_tags,
        embedding=track.embedding,
        content_hash=track.content_hash,
        in_catalog=in_catalog,
    )
