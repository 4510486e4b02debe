"""HNSW over half-precision embeddings, catalog tracks only.

The index holds `embedding::halfvec(384)` instead of the full vector: half the memory and a
faster build, while the column keeps full precision for the exact re-ordering of the index's
candidates (db/search.py), so answers keep full-precision distances. Only catalog tracks are
indexed: the candidate search asks the index for catalog tracks only, and the tracks that are
only in listeners' libraries are searched exactly, per listener. Measured in
benchmarks/README.md (recall@50, build time, index size).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

EMBEDDING_DIM = 384  # all-MiniLM-L6-v2, as in 0001


def upgrade() -> None:
    op.execute("DROP INDEX IF EXISTS tracks_embedding_hnsw")
    op.execute(
        "CREATE INDEX tracks_embedding_hnsw ON tracks USING hnsw "
        f"((embedding::halfvec({EMBEDDING_DIM})) halfvec_cosine_ops) "
        "WITH (m = 24, ef_construction = 128) WHERE in_catalog"
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS tracks_embedding_hnsw")
    op.execute("CREATE INDEX tracks_embedding_hnsw ON tracks USING hnsw (embedding vector_cosine_ops)")
