"""LTI Dynamic Registration against the emulated Moodle 4.5 flow."""

from __future__ import annotations

from urllib.parse import urlsplit

from lti_tool.lti import claims as c
from lti_tool.models import Deployment, Platform

from .driver import LAUNCH_URL, LOGIN_URL, REGISTER_URL, error_code_of


def open_registration(client, url: str):
    parts = urlsplit(url)
    return client.get(f"{parts.path}?{parts.query}")


def test_moodle_registration_stores_the_platform_and_closes_the_dialog(client, emulator, session):
    response = open_registration(client, emulator.start_dynamic_registration(REGISTER_URL))
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    assert "/static/lti/close-dialog.js" in page and "<script>" not in page
    assert f"frame-ancestors 'self' {emulator.issuer}" in response.headers["Content-Security-Policy"]

    (recorded,) = emulator.registrations
    sent = recorded["request"]
    assert sent["initiate_login_uri"] == LOGIN_URL
    assert sent["redirect_uris"] == [LAUNCH_URL]
    assert sent["jwks_uri"] == "http://127.0.0.1:5000/.well-known/jwks.json"
    assert sent["token_endpoint_auth_method"] == "private_key_jwt"
    assert set(sent["scope"].split()) == {*c.AGS_SCOPES, c.NRPS_SCOPE}
    configuration = sent[c.TOOL_CONFIGURATION]
    assert configuration["domain"] == "127.0.0.1:5000"
    assert configuration["target_link_uri"] == LAUNCH_URL
    assert {m["type"] for m in configuration["messages"]} == {"LtiResourceLinkRequest", "LtiDeepLinkingRequest"}
    assert {"sub", "iss", "name", "email"} <= set(configuration["claims"])

    answered = recorded["response"]
    platform = session.query(Platform).filter_by(client_id=answered["client_id"]).one()
    assert platform.registered_by == "dynamic"
    assert (platform.issuer, platform.auth_login_url) == (emulator.issuer, emulator.auth_login_url)
    assert (platform.auth_token_url, platform.keyset_url) == (emulator.token_url, emulator.jwks_url)
    deployment = session.query(Deployment).filter_by(platform_id=platform.id).one()
    assert deployment.deployment_id == answered[c.TOOL_CONFIGURATION]["deployment_id"] and deployment.active


def test_the_close_script_posts_the_close_message_to_the_opener_or_parent(client):
    script = client.get("/static/lti/close-dialog.js").get_data(as_text=True)
    assert "(window.opener || window.parent).postMessage({ subject: \"org.imsglobal.lti.close\" }, \"*\")" in script


def test_a_used_registration_token_is_refused_with_the_platforms_reason(client, emulator):
    url = emulator.start_dynamic_registration(REGISTER_URL)
    assert open_registration(client, url).status_code == 200
    again = open_registration(client, url)
    assert again.status_code == 400 and error_code_of(again) == "registration_refused"
    assert "token_already_used" in again.get_data(as_text=True)


def test_configuration_from_another_site_than_its_issuer_is_refused(client, emulator):
    url = emulator.start_dynamic_registration(REGISTER_URL).replace("127.0.0.1%3A", "localhost%3A")
    response = open_registration(client, url)
    assert response.status_code == 400 and error_code_of(response) == "issuer_mismatch"
    # The platform's dialog may show the refusal: the page may be framed by where the request came from.
    assert "frame-ancestors 'self' http://localhost:" in response.headers["Content-Security-Policy"]
    assert emulator.registrations == []


def test_unreachable_platform_is_reported(client, app):
    app.config["HTTP_TIMEOUT_SECONDS"] = 0.5
    response = client.get("/lti/register?openid_configuration=http://127.0.0.1:9/openid&registration_token=x")
    assert response.status_code == 400 and error_code_of(response) == "openid_configuration_unavailable"


def test_registration_without_configuration_url_is_refused(client):
    response = client.get("/lti/register")
    assert response.status_code == 400 and error_code_of(response) == "missing_openid_configuration"


def test_platform_refusing_the_registration_is_reported(client, emulator):
    emulator.fault("/mod/lti/openid-registration.php", "500")
    response = open_registration(client, emulator.start_dynamic_registration(REGISTER_URL))
    assert response.status_code == 400 and error_code_of(response) == "registration_refused"
