"""Tool keys: generation, rotation with a grace period, and the published key set."""

from __future__ import annotations

from datetime import timedelta

import jwt
import pytest

from lti_tool import keys
from lti_tool.models import utcnow


def _sign_with(app, session) -> str:
    current = keys.signing_key(session, app.config["KEYS_DIR"])
    return jwt.encode({"sub": "check"}, current.private_key, algorithm="RS256", headers={"kid": current.kid})


def _verify_with_published_jwks(client, token: str) -> dict:
    published = client.get("/.well-known/jwks.json").get_json()
    kid = jwt.get_unverified_header(token)["kid"]
    matching = [key for key in published["keys"] if key["kid"] == kid]
    assert matching, f"kid {kid} is not in the published JWKS"
    public = jwt.PyJWK(matching[0]).key
    return jwt.decode(token, public, algorithms=["RS256"])


def test_generated_key_is_private_on_disk_and_published(app, client, session):
    key = keys.generate_key(session, app.config["KEYS_DIR"])
    session.commit()
    pem = app.config["KEYS_DIR"] / f"{key.kid}.pem"
    assert pem.stat().st_mode & 0o777 == 0o600
    assert key.kid == keys.thumbprint(key.public_jwk)
    assert _verify_with_published_jwks(client, _sign_with(app, session)) == {"sub": "check"}
    published = client.get("/.well-known/jwks.json").get_json()["keys"]
    assert all("d" not in jwk and "p" not in jwk for jwk in published)


def test_thumbprint_matches_rfc_7638_example():
    # The RSA key of RFC 7638 section 3.1 and its published thumbprint.
    jwk = {
        "kty": "RSA",
        "e": "AQAB",
        "n": (
            "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECP"
            "ebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY"
            "368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0f"
            "M4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
        ),
    }
    assert keys.thumbprint(jwk) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


def test_rotation_signs_with_the_new_key_and_keeps_the_old_one_published(app, client, session):
    old = keys.generate_key(session, app.config["KEYS_DIR"])
    session.commit()
    token_before = _sign_with(app, session)
    new = keys.rotate_key(session, app.config["KEYS_DIR"])
    session.commit()
    assert new.kid != old.kid
    assert jwt.get_unverified_header(_sign_with(app, session))["kid"] == new.kid
    kids = [key["kid"] for key in client.get("/.well-known/jwks.json").get_json()["keys"]]
    assert set(kids) == {old.kid, new.kid}
    # What was signed before the rotation still verifies against the published set.
    assert _verify_with_published_jwks(client, token_before)["sub"] == "check"


def test_old_key_leaves_the_key_set_after_the_grace_period(app, session):
    old = keys.generate_key(session, app.config["KEYS_DIR"])
    new = keys.rotate_key(session, app.config["KEYS_DIR"])
    grace = timedelta(days=7)
    later = utcnow() + timedelta(days=8)
    assert [key.kid for key in keys.published_keys(session, grace, later)] == [new.kid]
    assert {key.kid for key in keys.published_keys(session, grace)} == {old.kid, new.kid}


def test_signing_without_a_key_says_what_to_run(app, session):
    with pytest.raises(keys.KeyProblem, match="lti-tool keys generate"):
        keys.signing_key(session, app.config["KEYS_DIR"])


def test_missing_private_part_is_reported(app, session):
    key = keys.generate_key(session, app.config["KEYS_DIR"])
    (app.config["KEYS_DIR"] / f"{key.kid}.pem").unlink()
    keys._cache.clear()
    with pytest.raises(keys.KeyProblem, match="not in"):
        keys.signing_key(session, app.config["KEYS_DIR"])
