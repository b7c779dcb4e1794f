"""Alembic's environment: the migrations run on the connection Briefbot hands over, inside
its transaction (:func:`retrieval.storage.upgrade.upgrade_schema`). Briefbot upgrades only;
there are no downgrades."""

from __future__ import annotations

from alembic import context

from retrieval.storage.schema import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters a table by rebuilding it
)
with context.begin_transaction():
    context.run_migrations()
