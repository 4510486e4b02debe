"""catalog_nearest(): the catalog's nearest tracks at a breadth chosen per call, in one statement.

A large catalog is searched wider than the pooled connections' hnsw.ef_search (db/search.py,
LARGE_BREADTH). Setting it per search took a transaction around the statement: BEGIN, SET LOCAL,
the statement, COMMIT, four round trips where a small catalog's search takes one. This function
sets ef_search and the iterative scan for the current transaction only (set_config(..., true):
a statement outside a transaction is its own, so nothing leaks into the pooled connection)
and then runs the same halfvec index scan, re-ordered by exact distance, as db/search.py's
semantic_sql. Measured at 1M (benchmarks/README.md): the same candidates, 1-3 ms sooner at p50.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

EMBEDDING_DIM = 384  # all-MiniLM-L6-v2, as in 0001


def upgrade() -> None:
    op.execute(
        f"""
        CREATE FUNCTION catalog_nearest(
            query vector, excluded bigint[], ef_search integer, pool integer, keep integer
        ) RETURNS TABLE (id bigint, dist double precision)
        LANGUAGE plpgsql AS $body$
        BEGIN
            PERFORM set_config('hnsw.ef_search', ef_search::text, true);
            PERFORM set_config('hnsw.iterative_scan', 'relaxed_order', true);
            RETURN QUERY
                SELECT found.id, found.dist FROM (
                    SELECT t.id, t.embedding <=> query AS dist FROM tracks t
                    WHERE t.in_catalog AND t.embedding IS NOT NULL AND NOT (t.id = ANY(excluded))
                    ORDER BY t.embedding::halfvec({EMBEDDING_DIM})
                        <=> query::halfvec({EMBEDDING_DIM})
                    LIMIT pool
                ) found ORDER BY found.dist LIMIT keep;
        END
        $body$
        """
    )


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS catalog_nearest(vector, bigint[], integer, integer, integer)")
