"""Alembic environment shared by every service: migrations always run on the connection the
service hands over (``common.db.migrate``), never from a URL in a config file."""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=None, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
