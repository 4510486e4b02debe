"""Inbox: every accepted chat update is stored before it is acknowledged, so a crash or a
restart cannot lose a photo; rows are claimed with a lease (FOR UPDATE SKIP LOCKED).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE inbox (
            id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            platform     text NOT NULL,
            -- the platform's own id of the update (Telegram update_id): a redelivery is a no-op
            update_key   text NOT NULL,
            -- platform ids of the sender and chat, so /forget_me can find pending rows;
            -- wiped with the payload once the update is answered
            chat_id      text,
            user_id      text,
            -- the update as received (file ids of the photos, the words, the chat)
            payload      jsonb NOT NULL DEFAULT '{}',
            state        text NOT NULL DEFAULT 'working'
                         CHECK (state IN ('working', 'done', 'failed')),
            attempts     integer NOT NULL DEFAULT 1,
            locked_by    text,
            -- a working row whose lease has passed is taken as abandoned (its process died)
            locked_until timestamptz,
            last_error   text,
            created_at   timestamptz NOT NULL DEFAULT now(),
            updated_at   timestamptz NOT NULL DEFAULT now(),
            UNIQUE (platform, update_key)
        )
        """
    )
    op.execute("CREATE INDEX inbox_lapsed ON inbox (locked_until) WHERE state = 'working'")
    op.execute("CREATE INDEX inbox_finished ON inbox (updated_at) WHERE state <> 'working'")


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS inbox")
