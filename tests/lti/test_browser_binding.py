"""The state cookie, and launches that complete when the browser blocks it."""

from __future__ import annotations

import html
import re

import requests

from lti_tool import create_app
from lti_tool.db import db
from lti_tool.services.platforms import register_platform
from tests.emulator import parse_autopost

from .driver import auth_url_of, error_code_of

ATTRIBUTE = re.compile(r'data-([a-z-]+)="([^"]*)"')


def page_attributes(response) -> dict[str, str]:
    return {name: html.unescape(value) for name, value in ATTRIBUTE.findall(response.get_data(as_text=True))}


def test_first_login_checks_that_cookies_work_then_later_logins_redirect_at_once(driver):
    first = driver.login("learner1")
    assert first.status_code == 200
    assert "/static/lti/login.js" in first.get_data(as_text=True)
    assert driver.login("learner1").status_code == 302


def test_login_page_offers_a_new_window_with_the_same_login(driver, emulator):
    fields = emulator.login_initiation("learner1")
    page = driver.client.post("/lti/login", data=fields).get_data(as_text=True)
    links = [html.unescape(link) for link in re.findall(r'href="([^"]+)" target="_blank"', page)]
    (new_window,) = links
    assert new_window.startswith("http://127.0.0.1:5000/lti/login?")
    for value in (fields["iss"], fields["login_hint"], fields["client_id"]):
        assert value.replace(":", "%3A").replace("/", "%2F") in new_window


def test_platform_storage_completes_a_launch_without_cookies(driver, app, emulator):
    fields = dict(emulator.login_initiation("learner1"), lti_storage_target="_parent")
    login_page = driver.client.post("/lti/login", data=fields)
    attributes = page_attributes(login_page)
    assert attributes["storage-target"] == "_parent"
    assert attributes["platform-origin"] == emulator.issuer
    binding = attributes["binding"]

    _, posted = parse_autopost(requests.get(auth_url_of(login_page), timeout=10).text)
    assert attributes["storage-key"] == "state_" + posted["state"]
    cookieless = app.test_client()  # the iframe that never got the state cookie
    check = cookieless.post("/lti/launch", data=posted)
    assert check.status_code == 200
    assert "/static/lti/platform-storage.js" in check.get_data(as_text=True)
    _, again = parse_autopost(check.get_data(as_text=True))
    assert again["id_token"] == posted["id_token"] and again["state"] == posted["state"]

    wrong = cookieless.post("/lti/launch", data=dict(again, lti_storage_binding="not-the-secret"))
    assert wrong.status_code == 401 and error_code_of(wrong) == "state_mismatch"
    done = cookieless.post("/lti/launch", data=dict(again, lti_storage_binding=binding))
    assert done.status_code == 303 and "/learner/progress" in done.headers["Location"]


def test_cookies_over_https_are_secure_partitioned_and_cross_site(app_config, tool, emulator):
    secure_app = create_app(dict(app_config, TOOL_BASE_URL="https://tool.example"))
    with secure_app.app_context():
        fields = dict(emulator.login_initiation("learner1"), target_link_uri="https://tool.example/lti/launch")
        response = secure_app.test_client().post("/lti/login", data=fields)
        assert response.status_code == 200
        state_cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("lti_state_"))
        for attribute in ("Secure", "HttpOnly", "SameSite=None", "Partitioned"):
            assert attribute in state_cookie, state_cookie


def test_cookies_over_plain_http_leave_samesite_to_the_browser(driver):
    response = driver.login("learner1")
    state_cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("lti_state_"))
    assert "HttpOnly" in state_cookie and "SameSite" not in state_cookie and "Secure" not in state_cookie


def test_a_second_registration_of_the_same_issuer_needs_client_id(driver, emulator):
    with db.transaction() as session:
        register_platform(
            session,
            issuer=emulator.issuer,
            client_id="second-client",
            deployment_id="1",
            auth_login_url=emulator.auth_login_url,
            auth_token_url=emulator.token_url,
            keyset_url=emulator.jwks_url,
            actor="test",
        )
    fields = emulator.login_initiation("learner1")
    del fields["client_id"]
    response = driver.client.post("/lti/login", data=fields)
    assert response.status_code == 400 and error_code_of(response) == "ambiguous_platform"
