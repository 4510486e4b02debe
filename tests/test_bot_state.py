"""bot_state on the real PostgreSQL: a value survives, is replaced, and unknown keys are None."""

from __future__ import annotations

from alembic.script import ScriptDirectory

from db import migrations, users
from db.pool import Database
from db.state import get_state, set_state


async def test_values_are_kept_and_replaced(db: Database) -> None:
    assert await get_state(db.pool, "discord_commands") is None
    await set_state(db.pool, "discord_commands", "hash-1")
    await set_state(db.pool, "other", "x")
    await set_state(db.pool, "discord_commands", "hash-2")
    assert await get_state(db.pool, "discord_commands") == "hash-2"
    assert await get_state(db.pool, "other") == "x"


async def test_auto_reply_keeps_each_platforms_default_until_someone_chooses(db: Database) -> None:
    await users.note_member(db.pool, "discord", "chan-1", await user(db, "discord", "u1"))
    await users.note_member(db.pool, "telegram", "-100", await user(db, "telegram", "u2"))
    # Noting members is not a choice: Discord channels stay on, Telegram groups off.
    assert await users.auto_reply_enabled(db.pool, "discord", "chan-1", default=True)
    assert not await users.auto_reply_enabled(db.pool, "telegram", "-100")
    await users.set_auto_reply(db.pool, "discord", "chan-1", False)
    await users.set_auto_reply(db.pool, "telegram", "-100", True)
    assert not await users.auto_reply_enabled(db.pool, "discord", "chan-1", default=True)
    assert await users.auto_reply_enabled(db.pool, "telegram", "-100")


async def user(db: Database, platform: str, user_id: str) -> int:
    return await users.upsert_user(db.pool, platform, user_id, None)


async def test_upgrade_turns_discords_default_false_into_no_choice(db: Database) -> None:
    # Back to just before this revision (whatever it follows), then up again.
    script = ScriptDirectory.from_config(migrations.alembic_config())
    before = script.get_revision("0007").down_revision
    assert isinstance(before, str)
    await migrations.downgrade(db.url, before)
    try:
        await db.pool.execute(
            """INSERT INTO chats (platform, chat_id, auto_reply) VALUES
            ('discord', 'quiet-by-default', false), ('discord', 'chosen-on', true),
            ('telegram', 'group', false)"""
        )
    finally:
        await migrations.upgrade(db.url)
    rows = dict(await db.pool.fetch("SELECT chat_id, auto_reply FROM chats"))
    assert rows == {"quiet-by-default": None, "chosen-on": True, "group": False}
