"""The public pages: anyone verifies a credential without logging in, as HTML or JSON, and downloads it."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from lti_tool.badges import vcjwt
from lti_tool.badges.images import OB2_KEYWORD, OB3_KEYWORD, unbake
from lti_tool.badges.verify import verify_credential_jwt
from lti_tool.models import utcnow
from lti_tool.services import credentials as service


@pytest.fixture
def committed(session, credential):
    """The credential committed, as after the request or job that issued it."""
    session.commit()
    return credential


def _path(url: str) -> str:
    return urlsplit(url).path


def test_the_verification_page_shows_who_what_when_issuer_and_status(client, committed):
    page = client.get(f"/credentials/{committed.id}")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "Status: Valid" in html
    assert "Ada Lovelace" in html
    assert "Certified Connecticut Municipal Official" in html
    assert "Connecticut Conference of Municipalities" in html
    assert "10 June 2025" in html and "9 June 2027" in html
    assert "lovelace@" not in html.lower()  # the email is never shown
    assert 'alt="CCMO badge: Certified Connecticut Municipal Official' in html
    assert "Add to LinkedIn profile" in html and "Download badge image" in html and "Download credential" in html
    assert page.headers["Cache-Control"].startswith("no-cache")


@pytest.mark.parametrize("how", ["suffix", "accept"])
def test_the_same_verification_is_available_as_json(client, committed, how):
    if how == "suffix":
        response = client.get(f"/credentials/{committed.id}.json")
    else:
        response = client.get(f"/credentials/{committed.id}", headers={"Accept": "application/json"})
    body = response.get_json()
    assert body["status"] == "valid" and body["reasons"] == []
    assert body["recipient"] == {"name": "Ada Lovelace"}
    assert body["credential"]["id"] == service.verification_url(committed)
    assert body["links"]["credential_jwt"].endswith(f"/credentials/{committed.id}/credential.jwt")


def test_revocation_shows_on_the_very_next_request(client, session, committed):
    service.revoke_credential(session, committed, reason="a completion was reversed", actor="admin:1")
    session.commit()
    body = client.get(f"/credentials/{committed.id}.json").get_json()
    assert body["status"] == "revoked"
    html = client.get(f"/credentials/{committed.id}").get_data(as_text=True)
    assert "Status: Revoked" in html
    gone = client.get(f"/badges/ob2/assertions/{committed.id}")
    assert gone.status_code == 410
    assert gone.get_json()["revoked"] is True
    assert "a completion was reversed" in gone.get_json()["revocationReason"]


def test_a_downloaded_credential_verifies_offline_with_the_published_keys_and_lists(client, committed):
    token = client.get(f"/credentials/{committed.id}/credential.jwt")
    assert token.mimetype == "application/vc+jwt"
    assert "attachment" in token.headers["Content-Disposition"]
    header, _ = vcjwt.read_unverified(token.get_data(as_text=True))
    jwks = client.get(_path(header["jku"])).get_json()

    def fetch(url):
        response = client.get(_path(url))
        assert response.mimetype == "application/vc+jwt" and "no-cache" in response.headers["Cache-Control"]
        return response.get_data(as_text=True)

    result = verify_credential_jwt(token.get_data(as_text=True), jwks, fetch, utcnow())
    assert result.status == "valid", result.reasons
    tool_jwks = client.get("/.well-known/jwks.json").get_json()
    assert verify_credential_jwt(token.get_data(as_text=True), tool_jwks, fetch, utcnow()).status == "valid"


def test_the_status_list_has_a_json_view(client, committed):
    document = client.get("/badges/status/ccm/revocation.json").get_json()
    assert document["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert document["credentialSubject"]["statusPurpose"] == "revocation"
    assert client.get("/badges/status/ccm/revocation", headers={"Accept": "application/json"}).get_json() \
        ["credentialSubject"]["encodedList"] == document["credentialSubject"]["encodedList"]
    assert client.get("/badges/status/ccm/expiry").status_code == 404
    assert client.get("/badges/status/nobody/revocation").status_code == 404


def test_the_badge_images_are_baked_for_both_versions(client, committed):
    ob2 = client.get(f"/credentials/{committed.id}/badge.png?download=1")
    assert ob2.mimetype == "image/png" and "attachment" in ob2.headers["Content-Disposition"]
    assert unbake(ob2.data, OB2_KEYWORD) == service.badge_links(committed).ob2_assertion
    ob3 = client.get(f"/credentials/{committed.id}/badge-ob3.png")
    assert unbake(ob3.data, OB3_KEYWORD) == committed.jwt
    svg = client.get("/badges/images/ccmo-classic.svg")
    assert svg.mimetype == "image/svg+xml" and b"CCMO" in svg.data
    assert client.get("/badges/images/ccmo-classic.png").data.startswith(b"\x89PNG")
    assert client.get("/badges/images/ccmo-classic.gif").status_code == 404


def test_the_linkedin_link_prefills_the_certification(committed):
    url = service.linkedin_add_url(committed)
    assert url.startswith("https://www.linkedin.com/profile/add?")
    params = {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}
    assert params == {
        "startTask": "CERTIFICATION_NAME",
        "name": "Certified Connecticut Municipal Official",
        "organizationName": "Connecticut Conference of Municipalities",
        "issueYear": "2025", "issueMonth": "6",
        "expirationYear": "2027", "expirationMonth": "6",
        "certUrl": service.verification_url(committed),
        "certId": committed.id,
    }


def test_issuer_and_achievement_pages_answer_html_and_json_ld(client, committed):
    profile = client.get("/badges/issuers/ccm.json")
    assert profile.mimetype == "application/ld+json"
    assert profile.get_json()["id"] == committed.document["issuer"]["id"]
    assert profile.get_json()["type"] == ["Profile"]
    assert "Connecticut Conference of Municipalities" in client.get("/badges/issuers/ccm").get_data(as_text=True)
    achievement = client.get("/badges/achievements/ccmo-classic", headers={"Accept": "application/ld+json"})
    assert achievement.get_json()["id"] == committed.document["credentialSubject"]["achievement"]["id"]
    criteria = client.get("/badges/achievements/ccmo-classic").get_data(as_text=True)
    assert 'id="criteria"' in criteria and "36 credit hours" in criteria
    frameworks = client.get("/badges/frameworks").get_data(as_text=True)
    assert 'id="community"' in frameworks and 'id="education"' in frameworks


def test_open_badges_2_documents_are_hosted_at_their_ids(client, committed):
    assertion = client.get(f"/badges/ob2/assertions/{committed.id}").get_json()
    assert _path(assertion["id"]) == f"/badges/ob2/assertions/{committed.id}"
    badge_class = client.get(_path(assertion["badge"])).get_json()
    assert badge_class["id"] == assertion["badge"] and badge_class["type"] == "BadgeClass"
    issuer = client.get(_path(badge_class["issuer"])).get_json()
    assert issuer["id"] == badge_class["issuer"] and issuer["email"] == "ccmtraining@ccm-ct.org"
    assert assertion["recipient"]["identity"] == committed.recipient_identity


def test_the_contexts_are_served_locally(client):
    v2 = client.get("/badges/contexts/openbadges-v2.json")
    assert v2.mimetype == "application/ld+json" and "obi:Assertion" in v2.get_data(as_text=True)
    assert "OpenBadgeCredential" in client.get("/badges/contexts/openbadges-v3p0-3.0.3.json").get_data(as_text=True)
    assert client.get("/badges/contexts/secrets.json").status_code == 404


def test_unknown_things_get_a_clear_404(client, app):
    missing = client.get("/credentials/no-such-id", headers={"Accept": "application/json"})
    assert missing.status_code == 404
    assert "No credential no-such-id" in missing.get_json()["reason"]
    assert client.get("/badges/achievements/ccmo-imaginary").status_code == 404
    assert client.get("/badges/ob2/issuers/nobody").status_code == 404


def test_a_suspended_credential_is_shown_as_suspended(client, session, committed):
    service.suspend_credential(session, committed, reason="continuing education lapsed", actor="system")
    session.commit()
    html = client.get(f"/credentials/{committed.id}").get_data(as_text=True)
    assert "Status: Suspended" in html and "suspended this credential" in html
    assert client.get(f"/badges/ob2/assertions/{committed.id}").status_code == 410


def test_the_progress_page_summaries_list_an_officials_badges_with_links(session, committed, official):
    [summary] = service.badge_summaries(session, official.id)
    assert summary.status == "valid" and summary.name == "Certified Connecticut Municipal Official"
    assert summary.links.verify == service.verification_url(committed)
    assert summary.links.linkedin.startswith("https://www.linkedin.com/profile/add?")
