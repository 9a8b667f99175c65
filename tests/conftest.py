"""Shared fixtures: a migrated database (SQLite, or PostgreSQL with --db=postgresql), the app,
its test client and a command runner.

`pytest` runs everything on SQLite; `pytest --db=postgresql` runs the tests that touch the
database again on a scratch PostgreSQL database created for the run and dropped after it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from lti_tool import create_app
from lti_tool.db import db
from lti_tool.models import Base
from tests.support import create_scratch_database, in_ci, postgres_admin_url

pytest_plugins = ["tests.emulator.pytest_plugin"]

DB_FIXTURES = {"app", "database_url", "client", "runner", "session"}


def pytest_addoption(parser):
    parser.addoption(
        "--db",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="database for the tests that need one (PostgreSQL at TEST_POSTGRES_URL)",
    )


def pytest_collection_modifyitems(config, items):
    """Mark database tests; on --db=postgresql run only those."""
    on_postgres = config.getoption("--db") == "postgresql"
    selected, deselected = [], []
    for item in items:
        if DB_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.db)
        if on_postgres and item.get_closest_marker("db") is None:
            deselected.append(item)
        else:
            selected.append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected


def _postgres_scratch_database():
    """Create the run's scratch database; return its URL and a function that drops it.

    Without a reachable server the PostgreSQL run is skipped, except in CI, which must fail instead."""
    try:
        url, drop_database = create_scratch_database("cc_test")
    except Exception as exc:
        message = f"PostgreSQL not reachable at {postgres_admin_url()}: {str(exc).splitlines()[0]}"
        if in_ci():
            pytest.exit(f"CI expects PostgreSQL: {message}", returncode=1)
        pytest.skip(message)

    def drop() -> None:
        db.remove()
        if db.engine is not None and db.engine.url.database == url.rsplit("/", 1)[1]:
            db.engine.dispose()
        drop_database()

    return url, drop


@pytest.fixture(scope="session")
def database_url(request, tmp_path_factory) -> str:
    """A migrated, empty database for the whole run."""
    from lti_tool import migrate

    if request.config.getoption("--db") == "postgresql":
        url, drop = _postgres_scratch_database()
        request.addfinalizer(drop)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    migrate.upgrade(url)
    return url


def _empty_all_tables() -> None:
    session = db.session
    session.rollback()
    tables = list(reversed(Base.metadata.sorted_tables))
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{table.name}"' for table in tables)
        session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            session.execute(table.delete())
    session.commit()
    db.remove()


@pytest.fixture
def app_config(database_url, tmp_path) -> dict:
    """Settings of the app under test; a test may change them before using `app`."""
    return {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "INSTANCE_DIR": tmp_path / "instance",
        "KEYS_DIR": tmp_path / "keys",
        "SECRET_KEY": "test-secret-" + secrets.token_hex(8),
        "TOOL_BASE_URL": "http://127.0.0.1:5000",
    }


@pytest.fixture
def app(app_config):
    """The application on the run's database; every table is emptied after the test."""
    application = create_app(app_config)
    with application.app_context():
        yield application
        _empty_all_tables()


@pytest.fixture
def session(app):
    """The database session of the app under test."""
    return db.session


@pytest.fixture
def client(app):
    return app.test_client()


@dataclass
class CommandResult:
    exit_code: int
    stdout: str
    stderr: str


class ToolRunner:
    """Runs `lti-tool` commands in-process against the test app's database and folders."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env

    def invoke(self, *args: str) -> CommandResult:
        from lti_tool.cli import main

        runner = CliRunner()
        with runner.isolation(env=self.env) as streams:
            code = main(list(args))
        stdout, stderr = streams[0], streams[1]
        result = CommandResult(code, stdout.getvalue().decode(), stderr.getvalue().decode())
        db.remove()
        return result


@pytest.fixture
def runner(app, app_config) -> ToolRunner:
    env = {
        "DATABASE_URL": app_config["DATABASE_URL"],
        "INSTANCE_DIR": str(app_config["INSTANCE_DIR"]),
        "KEYS_DIR": str(app_config["KEYS_DIR"]),
        "SECRET_KEY": app_config["SECRET_KEY"],
    }
    return ToolRunner(env)


def project_root() -> Path:
    return Path(__file__).resolve().parent.parent
