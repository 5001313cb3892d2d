"""Alembic environment: always handed an open connection by runner.py."""

from alembic import context

from tracker.storage.models import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("tracker runs its migrations itself when it opens a database")

context.configure(
    connection=connection,
    target_metadata=metadata,
    # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
