"""Language choices: the language a listener chose with /language, which wins over the one
their app reports (Telegram's language_code, Discord's locale). "/language auto" deletes the
row; forget-me deletes it with the user (ON DELETE CASCADE) and counts it.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The codes are checked by the bot (handlers/i18n.py SUPPORTED); the column only keeps
    # a sane shape, so adding a language needs no migration.
    op.execute(
        """
        CREATE TABLE language_choices (
            user_id    bigint PRIMARY KEY REFERENCES chat_users(id) ON DELETE CASCADE,
            lang       text NOT NULL CHECK (lang ~ '^[a-z]{2,3}(_[A-Z]{2})?$'),
            chosen_at  timestamptz NOT NULL DEFAULT now()
        )
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE language_choices")
