"""Track moods with a source: ISRC and song key for matching, estimates apart, features lookups.

Spotify sends no audio features to new apps, so a library track gets valence and energy only
from elsewhere. `mood_source` says where a track's mood comes from:
- measured: `catalog` (its own id is in an imported catalog), `same_song` (the same song under
  another id, by ISRC or song key; `mood_twin_id` names it), `features_service` (the optional
  audio-features service);
- `estimated`: learned from the artist's other songs, the track's playlists and its text,
  kept in `est_valence`/`est_energy` with `est_error` (expected absolute error), never in the
  measured columns;
- `none`: nothing known yet.
A trigger labels any write that brings valence and energy to an unmeasured track `catalog`
(the import's path); the other measured sources set their label in the same statement.
`song_key` ("title|first artist", normalised) and `artist_key` (its artist) are written by
recsys.same_song's rules in Python; rows written before this revision get them from the
mood refresh job.

`features_lookups` holds the tracks to ask the audio-features service about (status `wanted`)
and those it did not know (status `missing`, asked again after `next_ask_at`). It names tracks
only, never a listener, and a dropped track's row goes with it.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

MOOD_SOURCE_FUNCTION = """
CREATE FUNCTION tracks_mood_source() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
    IF NEW.valence IS NOT NULL AND NEW.energy IS NOT NULL
       AND NEW.mood_source IN ('none', 'estimated') THEN
        NEW.mood_source := 'catalog';
    END IF;
    RETURN NEW;
END
$body$
"""

UPGRADE = """
ALTER TABLE tracks
    ADD COLUMN isrc text CHECK (isrc ~ '^[A-Z]{2}[A-Z0-9]{3}[0-9]{7}$'),
    ADD COLUMN song_key text,
    ADD COLUMN artist_key text,
    ADD COLUMN mood_source text NOT NULL DEFAULT 'none' CHECK (
        mood_source IN ('catalog', 'same_song', 'features_service', 'estimated', 'none')
    ),
    ADD COLUMN mood_twin_id bigint REFERENCES tracks(id) ON DELETE SET NULL,
    ADD COLUMN est_valence real CHECK (est_valence BETWEEN 0 AND 1),
    ADD COLUMN est_energy real CHECK (est_energy BETWEEN 0 AND 1),
    ADD COLUMN est_error real CHECK (est_error BETWEEN 0 AND 1),
    ADD COLUMN est_basis text CHECK (est_basis IN ('artist', 'playlist', 'artist_playlist', 'text'));
UPDATE tracks SET mood_source = 'catalog' WHERE valence IS NOT NULL AND energy IS NOT NULL;
CREATE INDEX tracks_isrc ON tracks (isrc) WHERE isrc IS NOT NULL;
CREATE INDEX tracks_song_key ON tracks (song_key) WHERE song_key IS NOT NULL;
CREATE INDEX tracks_artist_key ON tracks (artist_key) WHERE artist_key IS NOT NULL;
CREATE TRIGGER tracks_mood_source BEFORE INSERT OR UPDATE OF valence, energy, mood_source
    ON tracks FOR EACH ROW EXECUTE FUNCTION tracks_mood_source();
CREATE INDEX tracks_mood_source ON tracks (mood_source);
CREATE TABLE features_lookups (
    track_id    bigint PRIMARY KEY REFERENCES tracks(id) ON DELETE CASCADE,
    status      text NOT NULL DEFAULT 'wanted' CHECK (status IN ('wanted', 'missing')),
    next_ask_at timestamptz NOT NULL DEFAULT now(),
    asked       integer NOT NULL DEFAULT 0,
    asked_at    timestamptz
);
CREATE INDEX features_lookups_due ON features_lookups (next_ask_at)
"""

DOWNGRADE = """
DROP TABLE IF EXISTS features_lookups;
DROP TRIGGER IF EXISTS tracks_mood_source ON tracks;
DROP FUNCTION IF EXISTS tracks_mood_source();
DROP INDEX IF EXISTS tracks_artist_key;
DROP INDEX IF EXISTS tracks_mood_source;
DROP INDEX IF EXISTS tracks_song_key;
DROP INDEX IF EXISTS tracks_isrc;
ALTER TABLE tracks
    DROP COLUMN IF EXISTS est_basis,
    DROP COLUMN IF EXISTS est_error,
    DROP COLUMN IF EXISTS est_energy,
    DROP COLUMN IF EXISTS est_valence,
    DROP COLUMN IF EXISTS mood_twin_id,
    DROP COLUMN IF EXISTS mood_source,
    DROP COLUMN IF EXISTS artist_key,
    DROP COLUMN IF EXISTS song_key,
    DROP COLUMN IF EXISTS isrc
"""


def _run(script: str) -> None:
    # asyncpg prepares each statement on its own: one statement per execute.
    for statement in script.split(";\n"):
        if statement.strip():
            op.execute(statement)


def upgrade() -> None:
    op.execute(MOOD_SOURCE_FUNCTION)
    _run(UPGRADE)


def downgrade() -> None:
    _run(DOWNGRADE)
