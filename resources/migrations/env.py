"""Alembic environment for the platform's database.

Migrations run only through ``resources.migration.migrate``, which hands over an open connection
(and, on MySQL, holds a named lock) in ``config.attributes["connection"]``; there is no
alembic.ini. New revisions: ``alembic.command.revision(alembic_config(), message=...)``.
"""

from alembic import context

from resources.schema import VERSION_TABLE, metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("Run migrations through resources.migration.migrate(), not the alembic CLI.")

context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table=VERSION_TABLE,
    # SQLite cannot ALTER most things in place; batch mode rebuilds the table instead.
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
