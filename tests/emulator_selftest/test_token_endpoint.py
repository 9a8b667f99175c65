"""token.php: client_credentials with a JWT client assertion, Moodle's quirks included."""

from __future__ import annotations

import time

import pytest
import requests

from tests.emulator import PlatformEmulator
from tests.emulator.moodle_fixtures import load_fixture

from .conftest import ALL_SCOPES, TIMEOUT, ThrowawayTool

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"


def captured(name: str) -> dict:
    """A token.php exchange (or raw additional case) as the fixture recorded it."""
    document = load_fixture("token-endpoint.json")
    return next(entry for entry in document["exchanges"] + document["additional_cases_raw"] if entry["name"] == name)


def token_request(emu: PlatformEmulator, assertion: str, scope: str = ALL_SCOPES, **kwargs: object) -> requests.Response:
    form = {"grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": assertion, "scope": scope}
    if kwargs.get("as_json"):
        return requests.post(emu.token_url, json=form, timeout=TIMEOUT)
    return requests.post(emu.token_url, data=form, timeout=TIMEOUT)


def test_good_assertion_gets_a_bearer_token_for_an_hour(emu: PlatformEmulator, tool: ThrowawayTool) -> None:
    expected = captured("token_all_scopes")["response"]

    answer = token_request(emu, tool.assertion(emu.client_id, emu.token_url))
    body = answer.json()

    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == expected["headers"]["Content-Type"]
    assert list(body) == list(expected["body"])
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert body["scope"] == expected["body"]["scope"]
    assert len(body["access_token"]) == 32


def test_json_body_is_refused_like_moodle(emu: PlatformEmulator, tool: ThrowawayTool) -> None:
    expected = captured("token_json_body (negative)")["response"]

    answer = token_request(emu, tool.assertion(emu.client_id, emu.token_url), as_json=True)

    assert answer.status_code == expected["status"]
    assert answer.json() == expected["body"]


def test_assertion_without_kid_is_refused_with_moodles_message(emu: PlatformEmulator, tool: ThrowawayTool) -> None:
    expected = captured("token_no_kid_header (negative)")["response"]

    answer = token_request(emu, tool.assertion(emu.client_id, emu.token_url, headers={}))

    assert answer.status_code == expected["status"]
    assert answer.json() == expected["body"]


@pytest.mark.parametrize(
    ("case", "headers", "claims"),
    [
        ("unknown_kid (note: error body is not valid JSON)", {"kid": "unknown-kid"}, {}),
        ("expired_assertion", None, {"iat": int(time.time()) - 900, "exp": int(time.time()) - 600}),
    ],
)
def test_verification_failures_answer_moodles_exact_bodies(
    emu: PlatformEmulator, tool: ThrowawayTool, case: str, headers: dict | None, claims: dict
) -> None:
    expected = captured(case)

    answer = token_request(emu, tool.assertion(emu.client_id, emu.token_url, headers=headers, **claims))

    assert answer.status_code == expected["response_status"]
    assert answer.text == expected["response_body_raw"]


def test_scopes_are_filtered_and_unknown_ones_alone_are_refused(emu: PlatformEmulator, tool: ThrowawayTool) -> None:
    partial = token_request(emu, tool.assertion(emu.client_id, emu.token_url),
                            scope=f"{READONLY} https://example.com/unknown-scope")
    unknown = token_request(emu, tool.assertion(emu.client_id, emu.token_url), scope="https://example.com/unknown-scope")

    assert partial.json()["scope"] == READONLY
    assert unknown.status_code == 400
    assert unknown.json() == {"error": "invalid_scope"}


def test_audience_jti_and_exp_are_not_checked(emu: PlatformEmulator, tool: ThrowawayTool) -> None:
    wrong_audience = tool.assertion(emu.client_id, "https://wrong.example/aud")
    replayed = tool.assertion(emu.client_id, emu.token_url, jti="fixed-jti")
    without_exp = tool.assertion(emu.client_id, emu.token_url, exp=None)

    answers = [token_request(emu, assertion) for assertion in (wrong_audience, replayed, replayed, without_exp)]

    assert [answer.status_code for answer in answers] == [200, 200, 200, 200]


def test_unknown_client_is_invalid_client(emu: PlatformEmulator, tool: ThrowawayTool) -> None:
    answer = token_request(emu, tool.assertion("someone-else", emu.token_url))

    assert answer.json() == {"error": "invalid_client"}


def test_expired_tokens_get_401_on_the_next_service_call(emu: PlatformEmulator, tool: ThrowawayTool) -> None:
    token = token_request(emu, tool.assertion(emu.client_id, emu.token_url)).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/vnd.ims.lis.v2.lineitemcontainer+json"}
    before = requests.get(emu.lineitems_url(), headers=headers, timeout=TIMEOUT)

    emu.expire_tokens()
    after = requests.get(emu.lineitems_url(), headers=headers, timeout=TIMEOUT)

    assert before.status_code == 200
    assert after.status_code == 401
    assert after.json()["reason"] == "Unauthorized"
