"""Bot state: small named values the bot keeps between starts (e.g. the hash of the Discord
command definitions last published, so unchanged commands are not published again); and
`chats.auto_reply` may be NULL, "nobody chose yet", so that each platform keeps its default
(Telegram groups answer when addressed, Discord channels answer every photo).

Revision ID: 0007
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE bot_state (
            key        text PRIMARY KEY,
            value      text NOT NULL,
            updated_at timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    op.execute("ALTER TABLE chats ALTER COLUMN auto_reply DROP NOT NULL")
    op.execute("ALTER TABLE chats ALTER COLUMN auto_reply DROP DEFAULT")
    # Discord had no switch before this revision: its rows' false was a default, not a choice.
    op.execute("UPDATE chats SET auto_reply = NULL WHERE platform = 'discord' AND NOT auto_reply")


def downgrade() -> None:
    op.execute("UPDATE chats SET auto_reply = false WHERE auto_reply IS NULL")
    op.execute("ALTER TABLE chats ALTER COLUMN auto_reply SET DEFAULT false")
    op.execute("ALTER TABLE chats ALTER COLUMN auto_reply SET NOT NULL")
    op.execute("DROP TABLE IF EXISTS bot_state")
