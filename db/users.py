"""Chat users and chats: who asked, and where."""

from __future__ import annotations

import asyncpg


async def upsert_user(
    conn: asyncpg.Connection | asyncpg.Pool,
    platform: str,
    platform_user_id: str,
    display_name: str | None = None,
) -> int:
    """The chat_users id for this platform user, created on first sight."""
    user_id: int = await conn.fetchval(
        """
        INSERT INTO chat_users (platform, platform_user_id, display_name)
        VALUES ($1, $2, $3)
        ON CONFLICT (platform, platform_user_id)
        DO UPDATE SET display_name = COALESCE(EXCLUDED.display_name, chat_users.display_name)
        RETURNING id
        """,
        platform,
        platform_user_id,
        display_name,
    )
    return user_id


async def find_user(
    conn: asyncpg.Connection | asyncpg.Pool, platform: str, platform_user_id: str
) -> int | None:
    """The chat_users id, or None if this user never used the bot."""
    user_id: int | None = await conn.fetchval(
        "SELECT id FROM chat_users WHERE platform = $1 AND platform_user_id = $2",
        platform,
        platform_user_id,
    )
    return user_id


async def note_member(
    conn: asyncpg.Connection | asyncpg.Pool, platform: str, chat_id: str, user_id: int
) -> None:
    """Record that this user spoke in this chat (for blending linked libraries in groups)."""
    await conn.execute(
        """
        WITH chat AS (
            INSERT INTO chats (platform, chat_id) VALUES ($1, $2) ON CONFLICT DO NOTHING
        )
        INSERT INTO chat_members (platform, chat_id, user_id) VALUES ($1, $2, $3)
        ON CONFLICT (platform, chat_id, user_id) DO UPDATE SET last_seen = now()
        """,
        platform,
        chat_id,
        user_id,
    )


async def set_auto_reply(
    conn: asyncpg.Connection | asyncpg.Pool, platform: str, chat_id: str, enabled: bool
) -> None:
    """Turn answering every photo in a group on or off."""
    await conn.execute(
        """
        INSERT INTO chats (platform, chat_id, auto_reply) VALUES ($1, $2, $3)
        ON CONFLICT (platform, chat_id) DO UPDATE SET auto_reply = EXCLUDED.auto_reply
        """,
        platform,
        chat_id,
        enabled,
    )


async def auto_reply_enabled(
    conn: asyncpg.Connection | asyncpg.Pool, platform: str, chat_id: str, default: bool = False
) -> bool:
    """Whether a group (or channel) answers every photo; `default` when nobody chose yet."""
    enabled = await conn.fetchval(
        "SELECT auto_reply FROM chats WHERE platform = $1 AND chat_id = $2", platform, chat_id
    )
    return default if enabled is None else bool(enabled)


async def set_blend(
    conn: asyncpg.Connection | asyncpg.Pool,
    platform: str,
    chat_id: str,
    user_id: int,
    enabled: bool,
) -> None:
    """Let (or stop) a member's library blend into this chat's answers."""
    await note_member(conn, platform, chat_id, user_id)
    await conn.execute(
        "UPDATE chat_members SET blend = $4 WHERE platform = $1 AND chat_id = $2 AND user_id = $3",
        platform,
        chat_id,
        user_id,
        enabled,
    )


async def blended_members(
    conn: asyncpg.Connection | asyncpg.Pool, platform: str, chat_id: str
) -> list[int]:
    """Members of a chat who opted in to blending and have an active Spotify link."""
    rows = await conn.fetch(
        """
        SELECT m.user_id FROM chat_members m
        JOIN spotify_links l ON l.user_id = m.user_id AND l.status = 'active'
        WHERE m.platform = $1 AND m.chat_id = $2 AND m.blend
        """,
        platform,
        chat_id,
    )
    return [row["user_id"] for row in rows]
