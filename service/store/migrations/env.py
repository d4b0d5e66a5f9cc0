"""Alembic's environment: migrations run on the connection `open_store` passes (config.attributes["connection"]),
or on the URL given to the alembic command line (``-x url=...``) for developers making a new revision."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from service.store.schema import Base

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    url = context.get_x_argument(as_dictionary=True).get("url", "sqlite:///wfm.db")
    with create_engine(url).begin() as fresh:
        _run(fresh)
