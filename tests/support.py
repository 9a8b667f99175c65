"""Helpers shared by tests of several areas."""

from __future__ import annotations

import importlib
import os

import pytest


def in_ci() -> bool:
    """Whether the suite runs in CI, where every test tool must be installed."""
    return os.environ.get("CI", "").lower() == "true"


def require_module(name: str):
    """Import a test-only module; skip without it on a developer's machine, fail in CI (`make test` installs it)."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        if in_ci():
            pytest.fail(f"{name} is not installed but CI needs it (make test installs it): {exc}", pytrace=False)
        pytest.skip(f"{name} is not installed; `make test` installs it", allow_module_level=True)


DEFAULT_POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def postgres_admin_url() -> str:
    """Where the tests create their scratch PostgreSQL databases (TEST_POSTGRES_URL)."""
    return os.environ.get("TEST_POSTGRES_URL", DEFAULT_POSTGRES_ADMIN_URL)


def create_scratch_database(prefix: str):
    """Create an empty PostgreSQL database; return its URL and a function that drops it.

    Raises the driver's error when the server cannot be reached."""
    import secrets

    from sqlalchemy import create_engine, text

    admin_url = postgres_admin_url()
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(4)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception:
        admin.dispose()
        raise

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return admin_url.rsplit("/", 1)[0] + f"/{name}", drop
