"""Launch side: id_token claims, platform keys, auth.php's answers."""

from __future__ import annotations

import json
from typing import Any

import jwt
import pytest
import requests

from tests.emulator import DELETE, PlatformEmulator, parse_autopost
from tests.emulator.moodle_fixtures import SCENARIOS, launch_header, launch_payload, load_fixture

from .conftest import TIMEOUT, TOOL_LAUNCH, auth_params, launch


def shape(value: Any) -> Any:
    """Member names and JSON types of a claim tree (lists by the shape of their first element)."""
    if isinstance(value, dict):
        return {name: shape(item) for name, item in value.items()}
    if isinstance(value, list):
        return ["list", shape(value[0]) if value else None]
    return type(value).__name__


def platform_key(emu: PlatformEmulator, token: str) -> Any:
    """The public key certs.php publishes for the token's kid, fetched over HTTP."""
    key_set = jwt.PyJWKSet.from_dict(requests.get(emu.jwks_url, timeout=TIMEOUT).json())
    kid = jwt.get_unverified_header(token)["kid"]
    return next(key.key for key in key_set.keys if key.key_id == kid)


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_minted_id_token_has_the_captured_claim_shapes_and_verifies_with_the_jwks(
    emu: PlatformEmulator, scenario: str
) -> None:
    token = emu.sign(emu.claims(scenario))

    header = jwt.get_unverified_header(token)
    decoded = jwt.decode(token, platform_key(emu, token), algorithms=["RS256"], audience=emu.client_id)

    assert list(header) == list(launch_header(scenario))
    assert shape(decoded) == shape(launch_payload(scenario))
    assert decoded["iss"] == emu.issuer
    assert decoded["exp"] - decoded["iat"] == 60
    assert "127.0.0.1:8081" not in json.dumps(decoded)
    assert decoded["https://purl.imsglobal.org/spec/lti/claim/target_link_uri"] == TOOL_LAUNCH


def test_claims_are_fresh_each_time_and_take_overrides(emu: PlatformEmulator) -> None:
    first = emu.claims("learner1")
    second = emu.claims("learner1", email=DELETE, name="Renamed Learner")

    assert first["nonce"] != second["nonce"]
    assert "email" not in second
    assert second["name"] == "Renamed Learner"
    assert second["https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"]["lineitems"] == emu.lineitems_url("2")


def test_launching_as_another_enrolled_user_uses_their_identity_and_roles(emu: PlatformEmulator) -> None:
    emu.add_member("2", "77", roles=["Instructor"], name="Nia Newcomer", email="nia@example.com")

    claims = emu.claims("learner1", as_user="77")

    assert claims["sub"] == "77"
    assert claims["name"] == "Nia Newcomer"
    assert claims["https://purl.imsglobal.org/spec/lti/claim/roles"] == [
        "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
    ]


def test_full_oidc_flow_posts_an_id_token_carrying_the_request_nonce_and_state(emu: PlatformEmulator) -> None:
    initiation = emu.login_initiation("instructor1", **{"https://example.test/claim": "extra"})
    params = auth_params(initiation)

    answer = requests.get(emu.auth_login_url, params=params, timeout=TIMEOUT)
    action, fields = parse_autopost(answer.text)
    claims = jwt.decode(fields["id_token"], platform_key(emu, fields["id_token"]), algorithms=["RS256"],
                        audience=emu.client_id)

    assert answer.status_code == 200
    assert action == TOOL_LAUNCH
    assert list(fields) == ["id_token", "state"]
    assert fields["state"] == params["state"]
    assert claims["nonce"] == params["nonce"]
    assert claims["sub"] == "3"
    assert claims["https://example.test/claim"] == "extra"


def test_login_initiation_has_moodles_fields_and_hint_format(emu: PlatformEmulator) -> None:
    captured = load_fixture("oidc-login-initiation.json")["learner1_resource_link"]["params"]

    resource_link = emu.login_initiation("learner1")
    deep_linking = emu.login_initiation("deep_linking_instructor1")

    assert list(resource_link) == list(captured)
    assert resource_link["iss"] == emu.issuer
    assert json.loads(resource_link["lti_message_hint"])["cmid"] == 2
    assert json.loads(resource_link["lti_message_hint"])["launchid"].startswith("ltilaunch1_")
    assert json.loads(deep_linking["lti_message_hint"])["launchid"].startswith(
        "ltilaunch_ContentItemSelectionRequest"
    )


def test_a_launch_cannot_be_replayed(emu: PlatformEmulator) -> None:
    params = auth_params(emu.login_initiation("learner1"))
    requests.get(emu.auth_login_url, params=params, timeout=TIMEOUT)

    replay = requests.get(emu.auth_login_url, params=params, timeout=TIMEOUT)

    assert replay.status_code == 404
    assert "<form" not in replay.text


def test_unregistered_redirect_uri_gets_the_error_page(emu: PlatformEmulator) -> None:
    params = auth_params(emu.login_initiation("learner1"), redirect_uri="http://evil.test/launch")

    answer = requests.get(emu.auth_login_url, params=params, timeout=TIMEOUT)

    assert answer.status_code == 404
    assert "<form" not in answer.text


def test_missing_response_mode_is_reported_to_the_tool_like_moodle(emu: PlatformEmulator) -> None:
    expected = load_fixture("auth-edge-cases.json")["auth_call_without_response_mode"]
    params = auth_params(emu.login_initiation("learner1"), response_mode=None)

    answer = requests.get(emu.auth_login_url, params=params, timeout=TIMEOUT)
    _, fields = parse_autopost(answer.text)

    assert answer.status_code == expected["status"]
    assert fields == {**expected["form_fields"], "state": params["state"]}


def test_login_hint_of_another_user_is_access_denied(emu: PlatformEmulator) -> None:
    params = auth_params(emu.login_initiation("learner1"), login_hint="5")

    _, fields = parse_autopost(requests.get(emu.auth_login_url, params=params, timeout=TIMEOUT).text)

    assert fields["error"] == "access_denied"


def test_without_a_moodle_session_auth_php_reposts_itself(emu: PlatformEmulator) -> None:
    emu.require_session = True
    try:
        params = auth_params(emu.login_initiation("learner1"))
        first = requests.get(emu.auth_login_url, params=params, timeout=TIMEOUT)
        action, fields = parse_autopost(first.text)
        second = requests.post(emu.issuer + action, data=fields, timeout=TIMEOUT)
    finally:
        emu.require_session = False

    assert action.startswith("/mod/lti/auth.php?scope=openid")
    assert fields == {"repost": "true"}
    assert list(parse_autopost(second.text)[1]) == ["id_token", "state"]


def test_key_rotation_publishes_the_new_key_and_signs_with_it(emu: PlatformEmulator) -> None:
    old_kid = emu.kid

    new_kid = emu.rotate_key()
    fields = launch(emu, "learner1")
    published = [key["kid"] for key in requests.get(emu.jwks_url, timeout=TIMEOUT).json()["keys"]]

    assert published == [new_kid]
    assert new_kid != old_kid
    assert jwt.get_unverified_header(fields["id_token"])["kid"] == new_kid


def test_sign_makes_the_negative_tokens_tests_need(emu: PlatformEmulator) -> None:
    claims = emu.claims("learner1")

    without_kid = emu.sign(claims, headers={"kid": DELETE})
    with_jku = emu.sign(claims, headers={"jku": "http://evil.test/jwks"})
    unsigned = emu.sign(claims, alg="none")
    secret = "a-shared-secret-of-thirty-two-bytes!"
    hmac_token = emu.sign(claims, alg="HS256", key=secret)

    assert "kid" not in jwt.get_unverified_header(without_kid)
    assert jwt.get_unverified_header(with_jku)["jku"] == "http://evil.test/jwks"
    assert unsigned.endswith(".")
    assert jwt.decode(hmac_token, secret, algorithms=["HS256"], audience=emu.client_id)["sub"] == "4"


def test_launch_page_auto_posts_the_initiation_to_the_tool_login(emu: PlatformEmulator) -> None:
    page = requests.get(emu.launch_url("learner1", as_user="5"), timeout=TIMEOUT)

    action, fields = parse_autopost(page.text)

    assert action == "http://tool.test/login"
    assert fields["login_hint"] == "5"
    assert list(fields) == ["iss", "target_link_uri", "login_hint", "lti_message_hint", "client_id",
                            "lti_deployment_id"]
