"""The listeners' /language choices (alembic 0011): one row per user who chose."""

from __future__ import annotations

import asyncpg

CHOICE_SQL = """
SELECT c.lang FROM language_choices c JOIN chat_users u ON u.id = c.user_id
WHERE u.platform = $1 AND u.platform_user_id = $2
"""
SAVE_SQL = """
INSERT INTO language_choices (user_id, lang) VALUES ($1, $2)
ON CONFLICT (user_id) DO UPDATE SET lang = EXCLUDED.lang, chosen_at = now()
"""


async def language_choice(
    conn: asyncpg.Connection | asyncpg.Pool, platform: str, platform_user_id: str
) -> str | None:
    """The language this platform user chose, or None (they follow their app)."""
    lang: str | None = await conn.fetchval(CHOICE_SQL, platform, platform_user_id)
    return lang


async def save_language_choice(
    conn: asyncpg.Connection | asyncpg.Pool, user_id: int, lang: str
) -> None:
    """Keep `lang` as the user's choice (replacing an earlier one)."""
    await conn.execute(SAVE_SQL, user_id, lang)


async def clear_language_choice(conn: asyncpg.Connection | asyncpg.Pool, user_id: int) -> bool:
    """Forget the user's choice; whether there was one."""
    status = await conn.execute("DELETE FROM language_choices WHERE user_id = $1", user_id)
    return status.split()[-1] != "0"
