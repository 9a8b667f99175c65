"""The migration builds the schema on an empty database, goes back to base, and matches the models."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, inspect

from lti_tool import migrate
from lti_tool.models import Base
from tests.support import create_scratch_database


@pytest.fixture
def empty_database_url(request, tmp_path):
    if request.config.getoption("--db") == "postgresql":
        url, drop = create_scratch_database("cc_migrate")
        yield url
        drop()
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
