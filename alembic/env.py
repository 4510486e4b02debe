"""Alembic environment: runs on the connection that db.migrations hands over."""

from __future__ import annotations

from alembic import context

connection = context.config.attributes.get("connection")
if connection is None:
    raise SystemExit("Run migrations through `melodiclens db upgrade`, not the alembic command.")

context.configure(connection=connection, transaction_per_migration=True)
with context.begin_transaction():
    context.run_migrations()
