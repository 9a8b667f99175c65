"""Dynamic registration and the deep-linking return, compared with the captured exchanges."""

from __future__ import annotations

import time
import urllib.parse

import jwt
import requests

from tests.emulator import PlatformEmulator
from tests.emulator.moodle_fixtures import FIXTURE_ISSUER, load_fixture, repoint

from .conftest import TIMEOUT, ThrowawayTool

TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"


def captured_registration() -> dict:
    return load_fixture("dynamic-registration.json")["tool_side"]


def start(emu: PlatformEmulator) -> tuple[str, str]:
    """The openid_configuration URL and registration token Moodle hands to the tool."""
    url = emu.start_dynamic_registration("http://tool.test/register")
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
    assert list(query) == ["openid_configuration", "registration_token"]
    return query["openid_configuration"], query["registration_token"]


def register(emu: PlatformEmulator, token: str, document: dict) -> requests.Response:
    return requests.post(emu.registration_url, json=document, headers={"Authorization": f"Bearer {token}"},
                         timeout=TIMEOUT)


def test_registration_start_gives_the_configuration_and_a_signed_token(emu: PlatformEmulator) -> None:
    configuration_url, token = start(emu)
    configuration = requests.get(configuration_url, timeout=TIMEOUT)
    claims = jwt.decode(token, emu.signing_key.private_key.public_key(), algorithms=["RS256"])

    assert configuration_url == emu.openid_configuration_url
    assert configuration.headers["Content-Type"] == "application/json; charset=utf-8"
    assert configuration.json() == repoint(load_fixture("openid-configuration.json"), {FIXTURE_ISSUER: emu.issuer})
    assert claims["scope"] == "reg" and len(claims["sub"]) == 15
    assert claims["exp"] - claims["iat"] == 3600


def test_registration_answers_moodles_document_and_refuses_a_replay(emu: PlatformEmulator) -> None:
    captured = captured_registration()["registration_post"]
    _, token = start(emu)

    answer = register(emu, token, captured["request_body"])
    replay = register(emu, token, captured["request_body"])
    body = answer.json()

    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == captured["response_content_type"]
    assert body == {**captured["response_body"], "client_id": jwt.decode(token, options={"verify_signature": False})["sub"]}
    assert (replay.status_code, replay.text) == (401, "token_already_used")
    assert emu.registrations[0]["deployment_id"] == "2"


def test_registered_tool_can_get_tokens_with_its_new_client_id(emu: PlatformEmulator, tool: ThrowawayTool) -> None:
    document = captured_registration()["registration_post"]["request_body"]
    document["jwks_uri"] = tool.jwks_url
    _, token = start(emu)
    client_id = register(emu, token, document).json()["client_id"]

    answer = requests.post(emu.token_url, timeout=TIMEOUT, data={
        "grant_type": "client_credentials",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": tool.assertion(client_id, emu.token_url),
        "scope": "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
    })

    assert answer.status_code == 200
    assert emu.tokens[-1].type_id == 2


def test_registration_validation_messages(emu: PlatformEmulator) -> None:
    document = captured_registration()["registration_post"]["request_body"]
    without_jwks = {name: value for name, value in document.items() if name != "jwks_uri"}
    domain_without_port = {**document, TOOL_CONFIGURATION: {**document[TOOL_CONFIGURATION], "domain": "127.0.0.1"}}

    answers = [register(emu, start(emu)[1], body) for body in (without_jwks, domain_without_port)]
    missing_token = requests.post(emu.registration_url, json=document, timeout=TIMEOUT)

    assert [(answer.status_code, answer.text) for answer in answers] == [
        (400, "missing required attribute jwks_uri"),
        (400, "domain_targetlinkuri_mismatch"),
    ]
    assert (missing_token.status_code, missing_token.text) == (401, "missing_registration_token")


def test_deep_linking_response_is_verified_and_recorded(emu: PlatformEmulator, tool: ThrowawayTool) -> None:
    settings = emu.claims("deep_linking_instructor1")[
        "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"]
    response_claims = load_fixture("launch-deep-linking-request-instructor1.json")["tool_deep_linking_response"][
        "payload"]
    now = int(time.time())
    response_claims.update(aud=[emu.issuer], iat=now, exp=now + 600)
    signed = jwt.encode(response_claims, tool.private_key, algorithm="RS256", headers={"kid": tool.kid})
    forged = jwt.encode(response_claims, tool.private_key, algorithm="RS256", headers={"kid": "not-the-tool"})

    accepted = requests.post(settings["deep_link_return_url"], data={"JWT": signed}, timeout=TIMEOUT)
    refused = requests.post(settings["deep_link_return_url"], data={"JWT": forged}, timeout=TIMEOUT)

    assert accepted.status_code == 200
    assert refused.status_code == 404
    assert len(emu.deep_link_responses) == 1
    assert emu.deep_link_responses[0]["payload"]["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"][0][
        "lineItem"]["tag"] == "ccmo-dl"

