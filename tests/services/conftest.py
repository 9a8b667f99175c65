from __future__ import annotations

import pytest

from lti_tool import keys
from lti_tool.engine import load_rulebook
from lti_tool.services.catalogue import sync_catalogue


@pytest.fixture(scope="session")
def rulebook():
    return load_rulebook()


@pytest.fixture
def catalogue(session, rulebook):
    """The shipped catalogue loaded into the test database."""
    sync_catalogue(session, rulebook, actor="test")
    return rulebook.catalogue


@pytest.fixture
def signing_key(app, session):
    key = keys.generate_key(session, app.config["KEYS_DIR"])
    session.flush()
    return key
