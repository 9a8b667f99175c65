"""Access tokens: asked for the way Moodle's token.php insists on, and shared by every process until they
expire."""

from __future__ import annotations

from datetime import timedelta

import jwt
import pytest
from sqlalchemy import select

from lti_tool.db import db
from lti_tool.lms import AGS_SCOPES, ServiceClient, TransientLmsError, list_line_items
from lti_tool.models import AccessToken, Platform, utcnow
from tests.lms.tool_on_moodle import service_client


def client_for(moodle, session) -> ServiceClient:
    return service_client(moodle, session, timeout=2.0)


def test_token_request_is_form_encoded_with_kid_and_the_token_url_as_audience(moodle, session):
    client = client_for(moodle, session)
    list_line_items(client, moodle.emulator.lineitems_url("2"))
    (request,) = moodle.token_requests()
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    form = request.form
    assert form["grant_type"] == "client_credentials"
    assert form["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    assert form["scope"].split() == sorted(AGS_SCOPES)
    header = jwt.get_unverified_header(form["client_assertion"])
    claims = jwt.decode(form["client_assertion"], options={"verify_signature": False})
    assert header["kid"] and header["alg"] == "RS256"
    assert claims["iss"] == claims["sub"] == moodle.emulator.client_id
    assert claims["aud"] == moodle.emulator.token_url
    assert claims["exp"] > claims["iat"] and claims["jti"]


def test_the_platforms_auth_audience_replaces_the_token_url(moodle, session):
    session.get(Platform, moodle.platform_id).auth_audience = "https://lms.example.org/oauth2/token"
    client = client_for(moodle, session)
    list_line_items(client, moodle.emulator.lineitems_url("2"))
    claims = jwt.decode(moodle.token_requests()[0].form["client_assertion"], options={"verify_signature": False})
    assert claims["aud"] == "https://lms.example.org/oauth2/token"


def test_a_token_is_cached_in_the_database_and_shared_by_another_process(moodle, session):
    first = client_for(moodle, session)
    list_line_items(first, moodle.emulator.lineitems_url("2"))
    # Another process: its own client and connection, the same database.
    second = client_for(moodle, session)
    list_line_items(second, moodle.emulator.lineitems_url("2"))
    list_line_items(second, moodle.emulator.lineitems_url("2"))
    assert len(moodle.token_requests()) == 1
    row = db.session.scalars(select(AccessToken)).one()
    assert row.platform_id == moodle.platform_id and row.scopes == " ".join(sorted(AGS_SCOPES))
    assert row.expires_at > utcnow() + timedelta(minutes=50)


def test_a_token_about_to_expire_is_replaced(moodle, session):
    client = client_for(moodle, session)
    list_line_items(client, moodle.emulator.lineitems_url("2"))
    row = session.scalars(select(AccessToken)).one()
    row.expires_at = utcnow() + timedelta(seconds=30)
    session.commit()
    list_line_items(client, moodle.emulator.lineitems_url("2"))
    assert len(moodle.token_requests()) == 2


def test_a_token_the_platform_no_longer_accepts_is_refreshed_once(moodle, session):
    client = client_for(moodle, session)
    list_line_items(client, moodle.emulator.lineitems_url("2"))
    moodle.emulator.expire_tokens()
    items = list_line_items(client, moodle.emulator.lineitems_url("2"))
    assert items
    assert len(moodle.token_requests()) == 2
    token = session.scalars(select(AccessToken.token)).one()
    assert token == moodle.emulator.tokens[-1].token


def test_a_platform_that_keeps_refusing_tokens_is_a_transient_failure(moodle, session):
    client = client_for(moodle, session)
    moodle.emulator.fault("/mod/lti/services.php", "401")
    with pytest.raises(TransientLmsError, match="refused a fresh access token"):
        list_line_items(client, moodle.emulator.lineitems_url("2"))
    assert len(moodle.token_requests()) == 2


def test_refused_credentials_say_what_the_platform_answered(moodle, session):
    platform = session.get(Platform, moodle.platform_id)
    platform.client_id = "not-registered"
    client = client_for(moodle, session)
    with pytest.raises(TransientLmsError, match="refused the tool's credentials.*invalid_client"):
        list_line_items(client, moodle.emulator.lineitems_url("2"))
