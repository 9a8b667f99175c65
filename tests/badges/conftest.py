"""Fixtures for the badge tests: the tool's signing key, a certified official, an issued credential."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from lti_tool import keys
from lti_tool.models import Certification
from lti_tool.services import credentials as service
from tests.factories import gen_activity, gen_completion, gen_enrollment, gen_official

CERTIFIED_ON = date(2025, 6, 10)
NOW = datetime(2025, 7, 1, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def settings(app) -> service.BadgeSettings:
    return service.BadgeSettings.from_config(app.config)


@pytest.fixture
def tool_key(session, app):
    """The tool's signing key, as `lti-tool keys generate` makes it."""
    return keys.generate_key(session, app.config["KEYS_DIR"])


def certify(session, official, *, edition_id: str = "ccmo-classic", certified_on: date = CERTIFIED_ON,
            hours: tuple[str, ...] = ("3", "3", "6")) -> Certification:
    """A certification of `official` earned through one completion per entry of `hours`."""
    completions = []
    for number, credit in enumerate(hours, start=1):
        activity = gen_activity(session, areas=["personal"], hours=credit)
        completions.append(gen_completion(session, official, activity, date(2025, number, 15)))
    enrollment = gen_enrollment(session, official, edition_id, "2024-01-10")
    certification = Certification(
        official_id=official.id,
        enrollment_id=enrollment.id,
        program=edition_id.split("-")[0],
        edition_id=edition_id,
        certified_on=certified_on,
        completion_ids=[row.id for row in completions],
        recorded_by="test",
    )
    session.add(certification)
    session.flush()
    return certification


@pytest.fixture
def official(session):
    return gen_official(session, name="Ada Lovelace", email="Ada.Lovelace@example.org")


@pytest.fixture
def certification(session, official, tool_key) -> Certification:
    return certify(session, official)


@pytest.fixture
def credential(session, certification, settings):
    return service.issue_credential(session, certification, actor="test", settings=settings, now=NOW)


@pytest.fixture
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def rsa_jwks(rsa_key) -> dict:
    """The public key set holding `rsa_key`, named by its thumbprint."""
    jwk = keys.public_jwk(rsa_key.public_key())
    return {"keys": [{**jwk, "kid": keys.thumbprint(jwk), "alg": "RS256", "use": "sig"}]}
