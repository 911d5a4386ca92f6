"""Alembic's environment for the store: migrate the connection the store hands over.

There is no alembic.ini: :func:`cchc_rules.store._db.migrate` builds the configuration
in code and passes its open connection in ``config.attributes["connection"]``.
"""

from __future__ import annotations

from alembic import context

from cchc_rules.store._schema import metadata

connection = context.config.attributes["connection"]
# render_as_batch: SQLite alters a table by copying it, and Alembic's batch mode does that.
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
