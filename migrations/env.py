"""Alembic environment: the models' metadata, batch mode for SQLite, URL from the tool's settings."""

from __future__ import annotations

import os
from logging.config import fileConfig

from alembic import context

from lti_tool.db import make_engine
from lti_tool.models import Base

config = context.config
if config.config_file_name is not None and not config.attributes.get("skip_logging_setup"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata


def _database_url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    if url:
        return url
    from lti_tool.config import PROJECT_ROOT

    return os.environ.get("DATABASE_URL", f"sqlite:///{PROJECT_ROOT / 'instance' / 'civic-credentials.db'}")


def run_migrations_offline() -> None:
    context.configure(
        url=_database_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(_database_url())
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
