"""Alembic environment: the engine comes from the caller (``Database.migrate``), not from a file."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine, create_engine

from databrug.provider_demo.storage.tables import Base

config = context.config
engine = config.attributes.get("engine")
if not isinstance(engine, Engine):
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("set sqlalchemy.url or pass an engine to run the provider migrations")
    engine = create_engine(url)

with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
