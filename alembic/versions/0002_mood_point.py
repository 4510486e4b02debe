"""Mood point: a track's (valence, energy) as a point with a GiST index for exact mood KNN.

Text similarity carries little mood signal, so the candidate stage also takes the tracks
nearest to the target mood in (valence, energy); GiST answers that KNN exactly and fast.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        ALTER TABLE tracks ADD COLUMN mood_point point GENERATED ALWAYS AS (
            CASE WHEN valence IS NULL OR energy IS NULL THEN NULL
                 ELSE point(valence, energy) END
        ) STORED
        """
    )
    op.execute("CREATE INDEX tracks_mood_point ON tracks USING gist (mood_point) WHERE in_catalog")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS tracks_mood_point")
    op.execute("ALTER TABLE tracks DROP COLUMN IF EXISTS mood_point")
