"""Tracks as the enricher knows them, turned into rows for db.tracks.upsert_tracks."""

from __future__ import annotations

from dataclasses import replace

from db.tracks import TrackWrite
from recsys.enrichment import EnrichedTrack, TrackInfo


def track_write(
    info: TrackInfo,
    *,
    in_catalog: bool,
    mood_words: tuple[str, ...] | None = None,
    content_hash: str | None = None,
) -> TrackWrite:
    """What a writer knows of a track; derived values left None keep the stored ones."""
    f = info.features
    return TrackWrite(
        spotify_id=info.spotify_id,
        title=info.title,
        artists=info.artists,
        album=info.album,
        popularity=info.popularity,
        release_year=info.release_year,
        genres=info.genres,
        danceability=f.danceability,
        energy=f.energy,
        key=f.key,
        loudness=f.loudness,
        mode=f.mode,
        speechiness=f.speechiness,
        acousticness=f.acousticness,
        instrumentalness=f.instrumentalness,
        liveness=f.liveness,
        valence=f.valence,
        tempo=f.tempo,
        time_signature=f.time_signature,
        mood_words=mood_words,
        lyrics_themes=info.lyrics_themes,
        content_hash=content_hash,
        in_catalog=in_catalog,
    )


def enriched_write(track: EnrichedTrack, *, in_catalog: bool) -> TrackWrite:
    """An enriched track with its words, tags, embedding and content hash."""
    row = track_write(
        track.info,
        in_catalog=in_catalog,
        mood_words=track.mood_words,
        content_hash=track.content_hash,
    )
    return replace(row, theme_tags=track.theme_tags, embedding=track.embedding)
