"""A throwaway "tool" (RSA key, JWKS served over HTTP, client assertions) and a clean emulator per test."""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any, Iterator

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from werkzeug.serving import make_server
from werkzeug.wrappers import Response

from tests.emulator import PlatformEmulator, parse_autopost
from tests.emulator.moodle_fixtures import FIXTURE_ISSUER, load_fixture

TOOL_BASE = "http://tool.test"
TOOL_LAUNCH = TOOL_BASE + "/launch"
ALL_SCOPES = (
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem https://purl.imsglobal.org/spec/lti-ags/scope/score "
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly "
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
)
TIMEOUT = 5


@dataclass
class ThrowawayTool:
    """A tool's key pair and the JWKS URL where it publishes the public half."""

    private_key: rsa.RSAPrivateKey
    kid: str
    jwks_url: str

    def assertion(self, client_id: str, audience: str, headers: dict[str, Any] | None = None,
                  **claims: Any) -> str:
        """A client assertion JWT like pylti1p3 makes, with `claims` replacing its members (None drops one)."""
        now = int(time.time())
        payload = {"iss": client_id, "sub": client_id, "aud": audience, "iat": now, "exp": now + 300,
                   "jti": str(uuid.uuid4())}
        payload.update(claims)
        payload = {name: value for name, value in payload.items() if value is not None}
        return jwt.encode(payload, self.private_key, algorithm="RS256",
                          headers={"kid": self.kid} if headers is None else headers)


@pytest.fixture(scope="session")
def tool() -> Iterator[ThrowawayTool]:
    """A tool key whose JWKS is served over HTTP by a tiny server on a loopback port."""
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(RSAAlgorithm.to_jwk(private_key.public_key()))
    jwk.update(kid="tool-key-1", alg="RS256", use="sig")
    document = json.dumps({"keys": [jwk]})

    def jwks_app(environ: dict, start_response: Any) -> Any:
        return Response(document, mimetype="application/json")(environ, start_response)

    server = make_server("127.0.0.1", 0, jwks_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield ThrowawayTool(private_key, "tool-key-1", f"http://127.0.0.1:{server.port}/jwks")
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def running_emulator() -> Iterator[PlatformEmulator]:
    """One started emulator for the session (RSA key generation is the slow part)."""
    with PlatformEmulator() as emulator:
        yield emulator


@pytest.fixture
def emu(running_emulator: PlatformEmulator, tool: ThrowawayTool) -> PlatformEmulator:
    """The emulator with the fixture's site and the throwaway tool registered."""
    running_emulator.reset()
    running_emulator.register_tool(
        redirect_uris=[TOOL_LAUNCH], jwks_url=tool.jwks_url, initiate_login_url=TOOL_BASE + "/login",
        target_link_uri=TOOL_LAUNCH, deep_link_url=TOOL_LAUNCH,
    )
    return running_emulator


def auth_params(initiation: dict[str, str], **changes: str) -> dict[str, str]:
    """The authentication request pylti1p3 sends to auth.php for a login initiation."""
    params = {
        "scope": "openid", "response_type": "id_token", "response_mode": "form_post", "prompt": "none",
        "client_id": initiation["client_id"], "redirect_uri": TOOL_LAUNCH, "state": "state-" + uuid.uuid4().hex,
        "nonce": uuid.uuid4().hex, "login_hint": initiation["login_hint"],
        "lti_message_hint": initiation["lti_message_hint"],
    }
    params.update(changes)
    return {name: value for name, value in params.items() if value is not None}


def launch(emu: PlatformEmulator, scenario: str, **claim_overrides: Any) -> dict[str, str]:
    """Run the OIDC flow for `scenario` like a browser would and return the fields posted to the tool."""
    initiation = emu.login_initiation(scenario, **claim_overrides)
    answer = requests.get(emu.auth_login_url, params=auth_params(initiation), timeout=TIMEOUT)
    action, fields = parse_autopost(answer.text)
    assert action == TOOL_LAUNCH
    return fields


def access_token(emu: PlatformEmulator, tool: ThrowawayTool, scope: str = ALL_SCOPES) -> str:
    """An access token from token.php for `scope`."""
    answer = requests.post(emu.token_url, timeout=TIMEOUT, data={
        "grant_type": "client_credentials",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": tool.assertion(emu.client_id, emu.token_url),
        "scope": scope,
    })
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]


def fixture_exchange(file_name: str, name: str, emu: PlatformEmulator) -> dict[str, Any]:
    """One captured exchange with Moodle's URLs moved to the emulator."""
    exchanges = load_fixture(file_name)["exchanges"]
    exchange = next(entry for entry in exchanges if entry["name"] == name)
    return json.loads(json.dumps(exchange).replace(FIXTURE_ISSUER, emu.issuer))
