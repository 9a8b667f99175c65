"""Every launch the security framework says to refuse is refused with a 4xx page naming the problem."""

from __future__ import annotations

import base64
import threading
import time

import pytest
from cryptography.hazmat.primitives import serialization

from lti_tool.db import db
from lti_tool.lti import claims as c
from lti_tool.models import Deployment
from tests.emulator import DELETE, SigningKey

from .driver import error_code_of


def refused(response, status: int, code: str) -> None:
    text = response.get_data(as_text=True)
    assert response.status_code == status, text
    assert error_code_of(response) == code, text
    assert "Traceback" not in text


def now() -> int:
    return int(time.time())


def test_token_without_kid_is_refused(driver):
    refused(driver.forged_launch(headers={"kid": DELETE}), 401, "missing_kid")


def test_token_with_unknown_kid_is_refused(driver):
    refused(driver.forged_launch(headers={"kid": "not-published"}), 401, "unknown_kid")


def test_unsigned_token_alg_none_is_refused(driver):
    refused(driver.forged_launch(alg="none"), 401, "unsupported_alg")


def test_hs256_token_keyed_with_the_platform_public_key_is_refused(driver, emulator):
    public_pem = emulator.signing_key.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    refused(driver.forged_launch(alg="HS256", key=public_pem), 401, "unsupported_alg")


def test_token_signed_by_another_key_under_the_platform_kid_is_refused(driver):
    refused(driver.forged_launch(key=SigningKey.generate().private_key), 401, "bad_signature")


@pytest.mark.parametrize("header", ["jku", "x5u", "jwk"])
def test_token_naming_its_own_key_is_refused(driver, header):
    value = {"kty": "RSA", "n": "AQAB", "e": "AQAB"} if header == "jwk" else "http://attacker.example/keys"
    refused(driver.forged_launch(headers={header: value}), 401, "forbidden_header")


def test_wrong_issuer_is_refused(driver):
    refused(driver.forged_launch(iss="http://127.0.0.1:1"), 401, "wrong_issuer")


def test_wrong_audience_is_refused(driver):
    refused(driver.forged_launch(aud="another-client"), 401, "wrong_audience")


def test_audience_with_an_untrusted_second_client_is_refused(driver, emulator):
    aud = [emulator.client_id, "another-client"]
    refused(driver.forged_launch(aud=aud, azp=emulator.client_id), 401, "untrusted_audience")


def test_audience_list_without_azp_is_refused(driver, emulator):
    refused(driver.forged_launch(aud=[emulator.client_id]), 401, "missing_azp")


def test_azp_of_another_client_is_refused(driver, emulator):
    refused(driver.forged_launch(aud=[emulator.client_id], azp="another-client"), 401, "wrong_azp")


def test_missing_exp_is_refused(driver):
    refused(driver.forged_launch(exp=DELETE), 401, "missing_exp")


def test_missing_iat_is_refused(driver):
    refused(driver.forged_launch(iat=DELETE), 401, "missing_iat")


def test_expired_token_is_refused(driver):
    refused(driver.forged_launch(iat=now() - 600, exp=now() - 300), 401, "expired_token")


def test_token_issued_far_in_the_future_is_refused(driver):
    refused(driver.forged_launch(iat=now() + 3600, exp=now() + 3660), 401, "iat_in_future")


def test_small_clock_skew_is_tolerated(driver):
    response = driver.forged_launch(iat=now() + 20, exp=now() - 20 + 60)
    assert response.status_code == 303


def test_missing_nonce_is_refused(driver, emulator):
    refused(driver.forged_launch(emulator.claims("learner1", nonce=DELETE)), 401, "missing_nonce")


def test_nonce_of_another_login_is_refused(driver):
    refused(driver.forged_launch(nonce="a-nonce-this-tool-never-sent"), 401, "nonce_mismatch")


def test_replayed_token_with_the_same_state_is_refused(driver):
    authenticated = driver.authenticate("learner1")
    assert driver.post_launch(authenticated.fields).status_code == 303
    refused(driver.post_launch(authenticated.fields), 401, "replayed_nonce")


def test_replayed_token_with_a_fresh_state_is_refused(driver):
    authenticated = driver.authenticate("learner1")
    assert driver.post_launch(authenticated.fields).status_code == 303
    fresh = driver.login_state("learner1")
    refused(driver.post_launch({"id_token": authenticated.id_token, "state": fresh["state"]}), 401, "replayed_nonce")


def test_launch_without_state_is_refused(driver):
    authenticated = driver.authenticate("learner1")
    refused(driver.post_launch({"id_token": authenticated.id_token}), 400, "missing_state")


def test_launch_with_an_unknown_state_is_refused(driver):
    authenticated = driver.authenticate("learner1")
    refused(driver.post_launch({"id_token": authenticated.id_token, "state": "made-up"}), 400, "unknown_state")


def test_launch_from_another_browser_is_refused(driver, app):
    authenticated = driver.authenticate("learner1")
    other_browser = app.test_client()
    refused(other_browser.post("/lti/launch", data=authenticated.fields), 401, "missing_state_cookie")


def test_launch_with_the_cookie_of_another_login_is_refused(driver):
    authenticated = driver.authenticate("learner1")
    driver.client.set_cookie(f"lti_state_{authenticated.state}", "someone-elses-secret", domain="localhost")
    refused(driver.post_launch(authenticated.fields), 401, "state_mismatch")


def test_unknown_deployment_is_refused_and_recorded_for_approval(driver, session):
    response = driver.forged_launch(**{c.DEPLOYMENT_ID: "42"})
    refused(response, 403, "deployment_pending")
    pending = session.query(Deployment).filter_by(deployment_id="42").one()
    assert pending.active is False


def test_wrong_version_is_refused(driver):
    refused(driver.forged_launch(**{c.VERSION: "1.1.0"}), 400, "wrong_version")


def test_missing_version_is_refused(driver):
    refused(driver.forged_launch(**{c.VERSION: DELETE}), 400, "missing_version")


def test_missing_message_type_is_refused(driver):
    refused(driver.forged_launch(**{c.MESSAGE_TYPE: DELETE}), 400, "missing_message_type")


def test_unknown_message_type_is_refused(driver):
    refused(driver.forged_launch(**{c.MESSAGE_TYPE: "LtiStartProctoring"}), 400, "unsupported_message_type")


def test_missing_roles_claim_is_refused(driver):
    refused(driver.forged_launch(**{c.ROLES: DELETE}), 400, "missing_roles")


def test_resource_link_without_id_is_refused(driver):
    refused(driver.forged_launch(**{c.RESOURCE_LINK: {"title": "No id"}}), 400, "missing_resource_link_id")


def test_deep_linking_request_without_settings_is_refused(driver):
    response = driver.forged_launch(scenario="deep_linking_instructor1", **{c.DEEP_LINKING_SETTINGS: DELETE})
    refused(response, 400, "missing_deep_linking_settings")


def test_submission_review_without_for_user_is_refused(driver):
    response = driver.forged_launch(scenario="submission_review_instructor1", **{c.FOR_USER: DELETE})
    refused(response, 400, "missing_for_user")


def test_missing_sub_is_refused(driver):
    refused(driver.forged_launch(sub=DELETE), 400, "missing_sub")


@pytest.mark.parametrize("token", ["not-a-jwt", "a.b", "e30.!!!.sig", "WzFd.WzFd.sig"])
def test_malformed_jwt_is_refused(driver, token):
    state = driver.login_state()["state"]
    refused(driver.post_launch({"id_token": token, "state": state}), 400, "malformed_jwt")


def test_oversized_token_is_refused(driver):
    refused(driver.forged_launch(padding="x" * 100_000), 400, "token_too_large")


def test_launch_without_id_token_is_refused(driver):
    state = driver.login_state()["state"]
    refused(driver.post_launch({"state": state}), 400, "missing_id_token")


def test_platform_error_answer_is_shown(driver):
    state = driver.login_state()["state"]
    response = driver.post_launch({"error": "invalid_request", "error_description": "Invalid response_mode", "state": state})
    refused(response, 400, "platform_error")
    assert "Invalid response_mode" in response.get_data(as_text=True)


def test_hanging_key_set_endpoint_fails_fast(app_config, driver, emulator, app):
    app.config["HTTP_TIMEOUT_SECONDS"] = 0.3
    emulator.fault("/mod/lti/certs.php", "slow", seconds=5)
    started = time.monotonic()
    response = driver.launch("learner1")
    elapsed = time.monotonic() - started
    refused(response, 401, "jwks_unavailable")
    assert elapsed < 4, "a hanging platform must not hold the worker for its whole delay"


def test_refusals_are_logged_with_their_code(driver, caplog):
    with caplog.at_level("WARNING", logger="lti_tool.lti.views"):
        driver.forged_launch(iss="http://127.0.0.1:1")
    assert any("wrong_issuer" in record.getMessage() for record in caplog.records)


def test_deeply_nested_payload_is_malformed_not_a_crash(driver):
    def part(text: str) -> str:
        return base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode()

    header = part('{"alg": "RS256", "kid": "k"}')
    token = f"{header}.{part('[' * 20000 + ']' * 20000)}.c2ln"
    state = driver.login_state()["state"]
    refused(driver.post_launch({"id_token": token, "state": state}), 400, "malformed_jwt")


def test_absurd_expiry_is_accepted_without_crashing(driver):
    assert driver.forged_launch(exp=10**400).status_code == 303


def test_overlong_identifiers_are_refused(driver):
    refused(driver.forged_launch(sub="4" * 300), 400, "invalid_message")


def test_two_workers_posting_the_same_launch_at_once_accept_it_once(driver, app):
    authenticated = driver.authenticate("learner1")
    cookie_name = f"lti_state_{authenticated.state}"
    secret = driver.client.get_cookie(cookie_name).value
    db.session.rollback()  # this thread's test session must not hold SQLite's write lock meanwhile
    start = threading.Barrier(2)
    statuses: list[int] = []

    def post() -> None:
        browser = app.test_client()
        browser.set_cookie(cookie_name, secret, domain="localhost")
        start.wait()
        statuses.append(browser.post("/lti/launch", data=authenticated.fields).status_code)

    workers = [threading.Thread(target=post) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sorted(statuses) == [303, 401]
