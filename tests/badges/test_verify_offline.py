"""Verifying a credential offline, from its VC-JWT, a JWKS and the issuer's status lists (no database)."""

from __future__ import annotations

import base64
import json
from datetime import date, datetime, timedelta, timezone

import pytest

from lti_tool.badges import achievements, ob3, vcjwt
from lti_tool.badges.statuslist import status_list_credential
from lti_tool.badges.urls import BadgeUrls
from lti_tool.badges.verify import verify_credential_jwt
from lti_tool.config import PROJECT_ROOT

URLS = BadgeUrls("https://badges.example.org")
NOW = datetime(2025, 7, 1, 12, 0, tzinfo=timezone.utc)
STATUS_INDEX = 42


@pytest.fixture(scope="module")
def ccmo():
    book = achievements.rulebook(PROJECT_ROOT / "rules")
    return achievements.edition_achievement(book, book.edition("ccmo-classic"))


def _award(ccmo, **changes) -> ob3.Award:
    values = dict(
        credential_id="c-1",
        achievement=ccmo,
        recipient=ob3.Recipient.for_email("ada@example.org", "pepper"),
        name=ccmo.name,
        description="Awarded for completing the programme.",
        valid_from=datetime(2025, 6, 10, tzinfo=timezone.utc),
        valid_until=datetime(2027, 6, 9, 23, 59, 59, tzinfo=timezone.utc),
        awarded_at=NOW,
        status_index=STATUS_INDEX,
        credits_earned=36.0,
        activity_start=date(2024, 2, 1),
        activity_end=date(2025, 6, 10),
    )
    values.update(changes)
    return ob3.Award(**values)


def _sign(document: dict, rsa_key, rsa_jwks) -> str:
    kid = rsa_jwks["keys"][0]["kid"]
    return vcjwt.sign(document, kid=kid, private_key=rsa_key, jwks_url=URLS.badge_keys(), issued_at=NOW)


def _lists(rsa_key, rsa_jwks, *, revoked=(), suspended=()):
    """A fetcher answering the issuer's two status lists as signed VC-JWTs, as the tool serves them."""
    tokens = {}
    for purpose, indexes in (("revocation", revoked), ("suspension", suspended)):
        url = URLS.status_list("ccm", purpose)
        document = status_list_credential(list_url=url, issuer_id=URLS.issuer("ccm"), purpose=purpose,
                                          set_indexes=indexes, highest_index=STATUS_INDEX, now=NOW)
        tokens[url] = _sign(document, rsa_key, rsa_jwks)
    return tokens.__getitem__


@pytest.fixture
def token(ccmo, rsa_key, rsa_jwks) -> str:
    return _sign(ob3.credential_document(_award(ccmo), URLS), rsa_key, rsa_jwks)


def test_a_genuine_credential_verifies_with_the_jwks_and_status_lists(token, rsa_key, rsa_jwks):
    result = verify_credential_jwt(token, rsa_jwks, _lists(rsa_key, rsa_jwks), NOW)
    assert result.status == "valid", result.reasons
    assert result.reasons == []
    assert [check.name for check in result.checks] == ["signature", "structure", "revocation", "suspension", "dates"]
    assert result.credential["credentialSubject"]["achievement"]["name"] == "Certified Connecticut Municipal Official"


def test_the_header_names_a_public_key_and_carries_no_private_part(token, rsa_jwks):
    header, payload = vcjwt.read_unverified(token)
    assert header == {"alg": "RS256", "typ": "vc+jwt", "cty": "vc", "kid": rsa_jwks["keys"][0]["kid"],
                      "jku": "https://badges.example.org/badges/keys.json"}
    assert payload["jti"] == payload["id"] and payload["iss"] == payload["issuer"]["id"]
    assert payload["nbf"] == int(datetime(2025, 6, 10, tzinfo=timezone.utc).timestamp())


def _tampered(token: str, change) -> str:
    header, payload, signature = token.split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    change(data)
    altered = base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    return ".".join((header, altered, signature))


def test_any_change_to_the_signed_credential_is_detected(token, rsa_key, rsa_jwks):
    def more_credit(data):
        data["credentialSubject"]["creditsEarned"] = 99.0

    result = verify_credential_jwt(_tampered(token, more_credit), rsa_jwks, _lists(rsa_key, rsa_jwks), NOW)
    assert result.status == "invalid"
    assert "altered" in result.reasons[0]
    assert result.credential is None


def test_a_credential_signed_by_another_key_is_invalid(token, rsa_key, rsa_jwks):
    from cryptography.hazmat.primitives.asymmetric import rsa

    impostor = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = vcjwt.sign(vcjwt.read_unverified(token)[1], kid=rsa_jwks["keys"][0]["kid"], private_key=impostor,
                        jwks_url=URLS.badge_keys(), issued_at=NOW)
    result = verify_credential_jwt(forged, rsa_jwks, _lists(rsa_key, rsa_jwks), NOW)
    assert result.status == "invalid"
    unknown_key = verify_credential_jwt(token, {"keys": []}, _lists(rsa_key, rsa_jwks), NOW)
    assert unknown_key.status == "invalid" and "not in the key set" in unknown_key.reasons[0]


def test_a_set_bit_in_the_revocation_list_makes_the_verifier_say_revoked(token, rsa_key, rsa_jwks):
    result = verify_credential_jwt(token, rsa_jwks, _lists(rsa_key, rsa_jwks, revoked=[STATUS_INDEX]), NOW)
    assert result.status == "revoked"
    assert result.reasons == ["The issuer has revoked this credential."]
    other_bit = verify_credential_jwt(token, rsa_jwks, _lists(rsa_key, rsa_jwks, revoked=[STATUS_INDEX + 1]), NOW)
    assert other_bit.status == "valid"


def test_precedence_is_invalid_then_revoked_then_suspended_then_expired(token, rsa_key, rsa_jwks):
    later = datetime(2028, 1, 1, tzinfo=timezone.utc)
    both = _lists(rsa_key, rsa_jwks, revoked=[STATUS_INDEX], suspended=[STATUS_INDEX])
    assert verify_credential_jwt(token, rsa_jwks, both, later).status == "revoked"
    suspended = _lists(rsa_key, rsa_jwks, suspended=[STATUS_INDEX])
    assert verify_credential_jwt(token, rsa_jwks, suspended, later).status == "suspended"
    assert verify_credential_jwt(token, rsa_jwks, _lists(rsa_key, rsa_jwks), later).status == "expired"
    assert verify_credential_jwt(token + "x", rsa_jwks, both, later).status == "invalid"


def test_expiry_is_reported_after_valid_until(token, rsa_key, rsa_jwks):
    result = verify_credential_jwt(token, rsa_jwks, _lists(rsa_key, rsa_jwks),
                                   datetime(2027, 6, 10, 0, 0, 1, tzinfo=timezone.utc))
    assert result.status == "expired"
    assert result.reasons == ["Expired on 2027-06-09T23:59:59Z."]


def test_a_tampered_status_list_is_not_trusted(token, rsa_key, rsa_jwks):
    genuine = _lists(rsa_key, rsa_jwks, revoked=[STATUS_INDEX])

    def cleared_list(url):
        return _tampered(genuine(url), lambda data: data["credentialSubject"].update(
            encodedList=status_list_credential(list_url=url, issuer_id="x", purpose="revocation", set_indexes=[],
                                               highest_index=None, now=NOW)["credentialSubject"]["encodedList"]))

    result = verify_credential_jwt(token, rsa_jwks, cleared_list, NOW)
    assert result.status == "unknown"
    assert any("could not be checked" in reason for reason in result.reasons)


def test_without_status_lists_the_status_is_unknown_not_valid(token, rsa_jwks):
    def offline(url):
        raise ConnectionError(f"no network to reach {url}")

    assert verify_credential_jwt(token, rsa_jwks, None, NOW).status == "unknown"
    result = verify_credential_jwt(token, rsa_jwks, offline, NOW)
    assert result.status == "unknown" and "no network" in result.reasons[0]


def test_a_credential_not_yet_in_force_is_invalid(ccmo, rsa_key, rsa_jwks):
    future = _award(ccmo, valid_from=NOW + timedelta(days=3))
    token = _sign(ob3.credential_document(future, URLS), rsa_key, rsa_jwks)
    result = verify_credential_jwt(token, rsa_jwks, _lists(rsa_key, rsa_jwks), NOW)
    assert result.status == "invalid" and "Not valid before" in result.reasons[0]


def test_a_signed_document_that_is_not_an_open_badge_is_invalid(rsa_key, rsa_jwks):
    token = _sign({"id": "https://x.example/1", "name": "Something else"}, rsa_key, rsa_jwks)
    result = verify_credential_jwt(token, rsa_jwks, None, NOW)
    assert result.status == "invalid"
    assert "credentialSubject: is required" in result.reasons[0]


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", 42])
def test_garbage_input_gets_a_reason_not_a_traceback(garbage, rsa_jwks):
    result = verify_credential_jwt(garbage, rsa_jwks, None, NOW)
    assert result.status == "invalid" and result.reasons


def test_a_key_set_publishing_a_private_key_is_refused(token, rsa_key, rsa_jwks):
    leaky = {"keys": [{**rsa_jwks["keys"][0], "d": "secret"}]}
    result = verify_credential_jwt(token, leaky, _lists(rsa_key, rsa_jwks), NOW)
    assert result.status == "invalid" and "private" in result.reasons[0]
