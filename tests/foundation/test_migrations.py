"""The migration builds the schema on an empty database, goes back to base, and matches the models."""

from __future__ import annotations

import os
import secrets

import pytest
from sqlalchemy import create_engine, inspect, text

from lti_tool import migrate
from lti_tool.models import Base


@pytest.fixture
def empty_database_url(request, tmp_path):
    if request.config.getoption("--db") == "postgresql":
        admin_url = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
        name = f"cc_migrate_{secrets.token_hex(4)}"
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield admin_url.rsplit("/", 1)[0] + f"/{name}"
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    else:
        yield f"sqlite:///{tmp_path / 'migrate.db'}"


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


@pytest.mark.db
def test_upgrade_check_and_downgrade_on_an_empty_database(empty_database_url):
    migrate.upgrade(empty_database_url)
    assert _tables(empty_database_url) == set(Base.metadata.tables)
    migrate.check(empty_database_url)  # raises when models and migrations disagree
    migrate.downgrade(empty_database_url, "base")
    assert _tables(empty_database_url) == set()
    assert migrate.current_revision(empty_database_url) is None
