"""Small named values the bot keeps between starts (one row per key in `bot_state`)."""

from __future__ import annotations

from typing import TypeAlias

import asyncpg

Conn: TypeAlias = asyncpg.Connection | asyncpg.Pool


async def get_state(conn: Conn, key: str) -> str | None:
    """The value stored under `key`, or None."""
    value: str | None = await conn.fetchval("SELECT value FROM bot_state WHERE key = $1", key)
    return value


async def set_state(conn: Conn, key: str, value: str) -> None:
    """Store `value` under `key`, replacing any older one."""
    await conn.execute(
        """
        INSERT INTO bot_state (key, value) VALUES ($1, $2)
        ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()
        """,
        key,
        value,
    )
