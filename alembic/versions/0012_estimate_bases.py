"""Estimate bases that name the track's own words: `est_basis` may also be `artist_text`,
`playlist_text` and `artist_playlist_text` (an estimate names every source carrying at least a
fifth of it, recsys/mood_estimate.py). Downgrading turns those back into the basis without
`_text` (the sources it named besides the words).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

UPGRADE = """
ALTER TABLE tracks DROP CONSTRAINT IF EXISTS tracks_est_basis_check;
ALTER TABLE tracks ADD CONSTRAINT tracks_est_basis_check CHECK (est_basis IN (
    'artist', 'playlist', 'artist_playlist', 'text', 'artist_text', 'playlist_text',
    'artist_playlist_text'));
"""

DOWNGRADE = """
UPDATE tracks SET est_basis = replace(est_basis, '_text', '')
    WHERE est_basis IN ('artist_text', 'playlist_text', 'artist_playlist_text');
ALTER TABLE tracks DROP CONSTRAINT IF EXISTS tracks_est_basis_check;
ALTER TABLE tracks ADD CONSTRAINT tracks_est_basis_check CHECK (est_basis IN (
    'artist', 'playlist', 'artist_playlist', 'text'));
"""


def upgrade() -> None:
    for statement in UPGRADE.split(";"):
        if statement.strip():
            op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE.split(";"):
        if statement.strip():
            op.execute(statement)
