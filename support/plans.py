"""The plan a session's prepared candidate statement runs with, for the tests and the
benchmarks (EXPLAIN EXECUTE: the plan the session's plan cache picks, generic or custom)."""

from __future__ import annotations

from typing import Any

import asyncpg

from db import search


async def catalog_plan(conn: asyncpg.Connection, vector: Any) -> list[str]:
    """The plan lines of db.search.CATALOG_SQL on this connection at the default breadth,
    for a query vector, no listeners, no exclusions and no likes."""
    literal = "[" + ",".join(map(str, list(vector))) + "]"
    # CATALOG_SQL's parameters in db.search._fetch_catalog's order
    semantic, mood = search.SEMANTIC_CANDIDATES, search.MOOD_CANDIDATES
    values = f"'{literal}', '{{}}', {semantic}, {semantic}, 0.5, 0.5, {mood}, '{{}}', '{{}}'"
    await conn.execute(f"PREPARE catalog_probe AS {search.CATALOG_SQL}")
    try:
        return [row[0] for row in await conn.fetch(f"EXPLAIN EXECUTE catalog_probe({values})")]
    finally:
        await conn.execute("DEALLOCATE catalog_probe")


def scans_the_index(plan: list[str]) -> bool:
    """Whether a plan reads the catalog's HNSW index."""
    return any(search.HNSW_INDEX in line for line in plan)
