"""Fixtures for the page tests: the shipped rules and catalogue, a signing key, and launches to open pages with."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from flask import g

from lti_tool.services.catalogue import sync_catalogue
from tests.factories import ADMIN_ROLE, INSTRUCTOR_ROLE, LEARNER_ROLE, gen_launch
from tests.services.conftest import rulebook, signing_key  # noqa: F401 (shared fixtures)

CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


@pytest.fixture
def catalogue(session, rulebook):
    """The shipped catalogue in the test database."""
    sync_catalogue(session, rulebook, actor="test")
    session.commit()
    return rulebook.catalogue


@pytest.fixture
def today() -> dt.date:
    return dt.date.today()


class Pages:
    """Open pages under a launch, as the browser in the LMS iframe does (launch id in the URL, no cookies)."""

    def __init__(self, client, session) -> None:
        self.client = client
        self.session = session

    def launch(self, official, role: str = "learner", **kwargs):
        roles = {"learner": [LEARNER_ROLE], "instructor": [INSTRUCTOR_ROLE], "admin": [ADMIN_ROLE]}[role]
        launch = gen_launch(self.session, official, roles=roles, **kwargs)
        self.session.commit()
        return launch

    def _fresh_request(self) -> None:
        # The test's app context (and so `g` and the database session) outlives each request: forget the
        # previous request's launch and loaded rows, as a new request in a server would.
        g.pop("_lti_launch", None)
        self.session.expire_all()

    def get(self, launch, path: str, **params):
        self._fresh_request()
        return self.client.get(path, query_string={"launch": launch.id, **params})

    def post(self, launch, path: str, data: dict | None = None, *, token: bool = True):
        """POST a form as the page would send it (launch and CSRF token included unless `token` is False)."""
        self._fresh_request()
        fields = {"launch": launch.id, **(data or {})}
        if token:
            from lti_tool.web.security import csrf_token

            fields["csrf_token"] = csrf_token(launch.id)
        return self.client.post(path, data=fields)


@pytest.fixture
def pages(client, session) -> Pages:
    return Pages(client, session)


def text_of(response) -> str:
    """The page's text with tags removed and spaces collapsed, for reading figures as a person would."""
    body = response.get_data(as_text=True)
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", body, flags=re.S)
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())
    return re.sub(r" ([:;,.)])", r"\1", text)
