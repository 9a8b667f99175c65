"""Drive the full OIDC login → platform auth → launch sequence through the tool's test client.

The tool is the real app (Flask test client); the platform is the emulator, reached over loopback HTTP.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from tests.emulator import PlatformEmulator, parse_autopost

AUTH_URL_ATTRIBUTE = re.compile(r'data-auth-url="([^"]+)"')
TOOL_BASE = "http://127.0.0.1:5000"
LOGIN_URL = TOOL_BASE + "/lti/login"
LAUNCH_URL = TOOL_BASE + "/lti/launch"
REGISTER_URL = TOOL_BASE + "/lti/register"


def auth_url_of(login_response) -> str:
    """Where the tool sends the browser after login: the redirect, or the cookie-check page's target."""
    if login_response.status_code == 302:
        return login_response.headers["Location"]
    assert login_response.status_code == 200, login_response.get_data(as_text=True)
    found = AUTH_URL_ATTRIBUTE.search(login_response.get_data(as_text=True))
    assert found, "the login page names no authentication URL"
    return html.unescape(found.group(1))


@dataclass
class Authenticated:
    """What the platform posts back to the tool's redirect URI."""

    action: str
    fields: dict[str, str]
    auth_params: dict[str, str]

    @property
    def state(self) -> str:
        return self.fields["state"]

    @property
    def id_token(self) -> str:
        return self.fields["id_token"]


class LaunchDriver:
    """One browser (a test client with its cookie jar) launching the tool from the emulator."""

    def __init__(self, client, emulator: PlatformEmulator) -> None:
        self.client = client
        self.emulator = emulator

    def login(self, scenario: str = "learner1", *, as_user: str | None = None, **claim_overrides: Any):
        """POST the emulator's login initiation to the tool; return the tool's answer."""
        fields = self.emulator.login_initiation(scenario, as_user=as_user, **claim_overrides)
        return self.client.post("/lti/login", data=fields)

    def authenticate(
        self, scenario: str = "learner1", *, as_user: str | None = None, **claim_overrides: Any
    ) -> Authenticated:
        """Login at the tool, then follow its authentication request at the platform."""
        auth_url = auth_url_of(self.login(scenario, as_user=as_user, **claim_overrides))
        answer = requests.get(auth_url, timeout=10)
        action, fields = parse_autopost(answer.text)
        params = {name: values[0] for name, values in parse_qs(urlsplit(auth_url).query).items()}
        return Authenticated(action, fields, params)

    def post_launch(self, fields: dict[str, str]):
        """POST a launch form to the tool."""
        return self.client.post("/lti/launch", data=fields)

    def launch(self, scenario: str = "learner1", *, as_user: str | None = None, **claim_overrides: Any):
        """The whole sequence; returns the tool's answer to the launch POST."""
        authenticated = self.authenticate(scenario, as_user=as_user, **claim_overrides)
        assert authenticated.action == LAUNCH_URL
        return self.post_launch(authenticated.fields)

    def login_state(self, scenario: str = "learner1") -> dict[str, str]:
        """A fresh login at the tool: the state and nonce it sent to the platform (the browser keeps the cookie)."""
        auth_url = auth_url_of(self.login(scenario))
        return {name: values[0] for name, values in parse_qs(urlsplit(auth_url).query).items()}

    def forged_launch(
        self,
        claims: dict[str, Any] | None = None,
        *,
        scenario: str = "learner1",
        headers: dict[str, Any] | None = None,
        key: Any = None,
        alg: str = "RS256",
        **overrides: Any,
    ):
        """Start a real login, then post a token the test builds (signed by the emulator unless told otherwise)."""
        login = self.login_state(scenario)
        if claims is None:
            overrides.setdefault("nonce", login["nonce"])
            claims = self.emulator.claims(scenario, **overrides)
        token = self.emulator.sign(claims, headers=headers, key=key, alg=alg)
        return self.post_launch({"id_token": token, "state": login["state"]})


def error_code_of(response) -> str | None:
    """The error code an error page names."""
    found = re.search(r"Error code: <code>([a-z_]+)</code>", response.get_data(as_text=True))
    return found.group(1) if found else None


def launch_id_of(response) -> str:
    """The launch id carried by the landing redirect."""
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    return query["launch"][0]
