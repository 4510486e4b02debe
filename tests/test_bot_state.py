"""bot_state on the real PostgreSQL: a value survives, is replaced, and unknown keys are None."""

from __future__ import annotations

from db.pool import Database
from db.state import get_state, set_state


async def test_values_are_kept_and_replaced(db: Database) -> None:
    assert await get_state(db.pool, "discord_commands") is None
    await set_state(db.pool, "discord_commands", "hash-1")
    await set_state(db.pool, "other", "x")
    await set_state(db.pool, "discord_commands", "hash-2")
    assert await get_state(db.pool, "discord_commands") == "hash-2"
    assert await get_state(db.pool, "other") == "x"
