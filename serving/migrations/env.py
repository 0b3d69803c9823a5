"""Alembic environment: the URL comes from the caller (serving.db.migrate) or from ADUAN_DATABASE_URL."""
from __future__ import annotations

from logging.config import fileConfig

from alembic import context

from serving.db.models import Base
from serving.db.session import make_engine

config = context.config
if config.config_file_name:  # run from the alembic command line, not from the API
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def database_url() -> str:
    url = config.attributes.get("url")
    if url:
        return url
    from serving.core.config import Settings

    return Settings().database_url


def run_migrations_offline() -> None:
    context.configure(url=database_url(), target_metadata=Base.metadata, literal_binds=True,
                      render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = make_engine(database_url())
    try:
        with engine.connect() as connection:
            # Batch mode: SQLite can only alter tables by copying them.
            context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
