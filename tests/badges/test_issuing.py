"""Issuing credentials for certifications, CARES recognitions and renewals; revoking and suspending them."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

from lti_tool.badges import vcjwt
from lti_tool.badges.statuslist import bit_is_set, decode_bits
from lti_tool.models import (
    AuditEntry,
    CertificationStatusChange,
    Completion,
    ContinuingEducationCycle,
    Credential,
    CredentialStatusChange,
    Official,
)
from lti_tool.services import credentials as service
from tests.badges.conftest import NOW, certify
from tests.factories import gen_activity, gen_completion, gen_municipality, gen_official


def _audit(session, action: str) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_a_certification_yields_a_signed_credential_that_verifies(session, credential, settings):
    result = service.verify_stored_credential(session, credential, settings=settings, now=NOW)
    assert result.status == "valid", result.reasons
    subject = credential.document["credentialSubject"]
    assert subject["creditsEarned"] == 12.0
    assert subject["activityStartDate"] == "2025-01-15T00:00:00Z"
    assert subject["activityEndDate"] == "2025-06-10T23:59:59Z"
    assert credential.document["validFrom"] == "2025-06-10T00:00:00Z"
    # ccmo-classic: 9 hours within the two years following certification.
    assert credential.document["validUntil"] == "2027-06-09T23:59:59Z"
    assert credential.valid_until == datetime(2027, 6, 9, 23, 59, 59, tzinfo=timezone.utc)


def test_the_credential_is_about_the_salted_email_hash(credential):
    identifier = credential.document["credentialSubject"]["identifier"][0]
    assert identifier["salt"] == credential.recipient_salt and len(credential.recipient_salt) >= 16
    assert identifier["identityHash"] == credential.recipient_identity
    assert credential.recipient_hashed
    assert "lovelace" not in credential.jwt.lower() and "lovelace" not in str(credential.document).lower()


def test_issuing_twice_for_one_certification_returns_the_same_credential(session, certification, credential,
                                                                         settings):
    again = service.issue_credential(session, certification, actor="test", settings=settings)
    assert again.id == credential.id
    assert session.scalar(select(Credential.id).where(Credential.certification_id == certification.id).limit(2)) \
        == credential.id
    issued = _audit(session, "credential.issued")
    assert len(issued) == 1
    assert issued[0].subject_id == credential.id
    assert issued[0].details["event_key"] == f"certification:{certification.id}"


def test_an_official_without_email_is_identified_by_the_lms_identity(session, tool_key, settings):
    official = gen_official(session, name="No Mail", email=None, sub="lms-user-77")
    credential = service.issue_credential(session, certify(session, official), actor="test", settings=settings,
                                          now=NOW)
    identifiers = {entry["identityType"]: entry["identityHash"]
                   for entry in credential.document["credentialSubject"]["identifier"]}
    assert identifiers["ltiUserId"] == "lms-user-77"
    assert identifiers["ltiPlatformId"].startswith("https://lms")
    assert not credential.recipient_hashed
    assert credential.recipient_identity == f"{identifiers['ltiPlatformId']}#user=lms-user-77"


def test_academy_credentials_run_to_the_end_of_the_first_continuing_education_year(session, official, tool_key,
                                                                                   settings):
    credential = service.issue_credential(session, certify(session, official, edition_id="ccmo-academy"),
                                          actor="test", settings=settings, now=NOW)
    assert credential.document["validUntil"] == "2026-12-31T23:59:59Z"


def test_iimc_credentials_without_continuing_education_have_no_end_date(session, official, tool_key, settings):
    credential = service.issue_credential(session, certify(session, official, edition_id="iimc-cmc"),
                                          actor="test", settings=settings, now=NOW)
    assert "validUntil" not in credential.document and credential.valid_until is None
    assert credential.document["credentialSubject"]["achievement"]["creditsAvailable"] == 110.0


def test_reversed_completions_do_not_count_in_the_credits_earned(session, official, tool_key, settings):
    from lti_tool.services.completions import reverse_completion

    certification = certify(session, official, hours=("3", "3", "3"))
    first = session.get(Completion, certification.completion_ids[0])
    reverse_completion(session, first, recorded_by="test", reason="entered twice", source="admin")
    credential = service.issue_credential(session, certification, actor="test", settings=settings, now=NOW)
    assert credential.document["credentialSubject"]["creditsEarned"] == 6.0


def test_each_credential_gets_its_own_status_index(session, tool_key, settings):
    indexes = set()
    for number in range(3):
        official = gen_official(session, email=f"o{number}@example.org")
        indexes.add(service.issue_credential(session, certify(session, official), actor="test",
                                             settings=settings, now=NOW).status_index)
    assert len(indexes) == 3


def test_a_status_index_taken_by_a_concurrent_issue_is_skipped(session, credential, official, settings,
                                                               monkeypatch):
    """Two processes may compute the same next index; the unique column makes the loser take another."""
    proposals = iter([credential.status_index, credential.status_index + 1])
    monkeypatch.setattr(service, "_next_status_index", lambda _session: next(proposals))
    second = service.issue_credential(session, certify(session, official, edition_id="ccpl-academy"),
                                      actor="test", settings=settings, now=NOW)
    assert second.status_index == credential.status_index + 1
    assert second.document["credentialStatus"][0]["statusListIndex"] == str(second.status_index)
    assert service.verify_stored_credential(session, second, settings=settings, now=NOW).status == "valid"


def _bit(session, credential, purpose, settings) -> bool:
    document = service.status_list_document(session, credential.issuer_id, purpose, settings=settings, now=NOW)
    return bit_is_set(decode_bits(document["credentialSubject"]["encodedList"]), credential.status_index)


def test_revocation_flips_the_bit_and_the_verifier_reports_it(session, credential, settings):
    assert not _bit(session, credential, "revocation", settings)
    assert service.revoke_credential(session, credential, reason="a completion was reversed", actor="admin:1")
    assert _bit(session, credential, "revocation", settings)
    assert not _bit(session, credential, "suspension", settings)
    result = service.verify_stored_credential(session, credential, settings=settings, now=NOW)
    assert result.status == "revoked"
    assert not service.revoke_credential(session, credential, reason="again", actor="admin:1")
    assert [entry.details["reason"] for entry in _audit(session, "credential.revoked")] == ["a completion was reversed"]
    with pytest.raises(service.CredentialError, match="final"):
        service._set_status(session, credential, "revocation", False, reason="undo", actor="admin:1")


def test_suspension_and_reinstatement_follow_the_latest_change(session, credential, settings):
    service.suspend_credential(session, credential, reason="continuing education lapsed", actor="system")
    assert service.verify_stored_credential(session, credential, settings=settings, now=NOW).status == "suspended"
    assert service.reinstate_credential(session, credential, reason="fee paid late, accepted", actor="admin:2")
    assert not _bit(session, credential, "suspension", settings)
    assert service.verify_stored_credential(session, credential, settings=settings, now=NOW).status == "valid"
    assert not service.reinstate_credential(session, credential, reason="again", actor="admin:2")
    changes = session.scalars(select(CredentialStatusChange.value).order_by(CredentialStatusChange.id)).all()
    assert changes == [True, False]


def test_status_lists_are_per_issuer(session, credential, official, settings):
    cmc = service.issue_credential(session, certify(session, official, edition_id="iimc-cmc"), actor="test",
                                   settings=settings, now=NOW)
    service.revoke_credential(session, cmc, reason="test", actor="test")
    assert cmc.issuer_id == "iimc" and credential.issuer_id == "ccm"
    assert _bit(session, cmc, "revocation", settings)
    assert not _bit(session, credential, "revocation", settings)


def test_the_certifications_standing_drives_its_credentials(session, certification, credential, settings):
    def standing(status):
        session.add(CertificationStatusChange(certification_id=certification.id, status=status,
                                              effective_on=date(2027, 1, 1), reason=f"now {status}",
                                              recorded_by="system"))
        session.flush()
        return service.follow_certification_status(session, certification, actor="system")

    assert standing("lapsed") == [credential]
    assert service.status_flags(credential)["suspension"].reason == "now lapsed"
    assert standing("active") == [credential]
    assert service.status_flags(credential)["suspension"] is None
    assert standing("revoked") == [credential]
    assert standing("lapsed") == []  # a revoked credential is not suspended on top
    assert service.verify_stored_credential(session, credential, settings=settings, now=NOW).status == "revoked"


def test_renewal_issues_a_fresh_credential_naming_the_previous_one(session, certification, credential, settings):
    activity = gen_activity(session, hours="9")
    official = session.get(Official, certification.official_id)
    ce_completion = gen_completion(session, official, activity, "2026-05-01")
    cycle = ContinuingEducationCycle(certification_id=certification.id, starts_on=date(2025, 6, 10),
                                     ends_on=date(2027, 6, 10), outcome="met", decided_on=date(2026, 5, 1),
                                     completion_ids=[ce_completion.id])
    session.add(cycle)
    session.flush()
    later = datetime(2026, 5, 2, tzinfo=timezone.utc)
    renewed = service.renew_credential(session, certification, cycle, actor="system", settings=settings, now=later)
    assert renewed.id != credential.id and renewed.replaces_id == credential.id
    assert renewed.status_index != credential.status_index
    assert renewed.document["validUntil"] == "2029-06-09T23:59:59Z"
    assert renewed.document["credentialSubject"]["creditsEarned"] == 9.0
    assert settings.urls.credential(credential.id) in renewed.document["description"]
    assert service.renew_credential(session, certification, cycle, actor="system", settings=settings,
                                    now=later).id == renewed.id
    assert service.verify_stored_credential(session, renewed, settings=settings, now=later).status == "valid"
    assert _audit(session, "credential.issued")[-1].details["replaces"] == credential.id


def test_an_unmet_cycle_cannot_be_renewed(session, certification, credential, settings):
    cycle = ContinuingEducationCycle(certification_id=certification.id, starts_on=date(2025, 6, 10),
                                     ends_on=date(2027, 6, 10), outcome="lapsed", decided_on=date(2027, 6, 10))
    session.add(cycle)
    session.flush()
    with pytest.raises(service.CredentialError, match="not met"):
        service.renew_credential(session, certification, cycle, actor="system", settings=settings)


def test_a_cares_recognition_names_the_municipality_and_its_trained_officials(session, tool_key, settings):
    town = gen_municipality(session, "Town of Bolton")
    credential = service.issue_cares_recognition(
        session, town, item_id="equity-lens", implemented_on=date(2025, 3, 1), actor="reviewer:ccm",
        trained_officials=["Grace Hopper", "Alan Turing"], settings=settings, now=NOW)
    document = credential.document
    assert document["name"] == "Town of Bolton has implemented CARES action item 3: " \
                               "Use a racial equity lens tool to make decisions"
    assert document["credentialSubject"]["identifier"][0] == {
        "type": "IdentityObject", "identityHash": "Town of Bolton", "identityType": "name", "hashed": False}
    assert document["credentialSubject"]["achievement"]["achievementType"] == "Award"
    assert "Alan Turing, Grace Hopper" in document["evidence"][0]["narrative"]
    assert credential.issuer_id == "ccm" and credential.municipality_id == town.id
    assert service.issue_cares_recognition(session, town, item_id="equity-lens", implemented_on=date(2025, 3, 1),
                                           actor="x", settings=settings).id == credential.id
    everything = service.issue_cares_recognition(session, town, item_id=None, implemented_on=date(2025, 6, 1),
                                                 actor="x", settings=settings, now=NOW)
    assert everything.document["name"] == "Town of Bolton has implemented all 7 CARES in Action items"
    assert service.verify_stored_credential(session, everything, settings=settings, now=NOW).status == "valid"
    with pytest.raises(service.CredentialError, match="unknown CARES action item"):
        service.issue_cares_recognition(session, town, item_id="nope", implemented_on=date(2025, 3, 1), actor="x",
                                        settings=settings)


def test_issuing_without_a_signing_key_says_how_to_make_one(session, official, settings):
    from lti_tool.keys import KeyProblem

    with pytest.raises(KeyProblem, match="lti-tool keys generate"):
        service.issue_credential(session, certify(session, official), actor="test", settings=settings)


def test_an_unknown_edition_is_named(session, official, tool_key, settings):
    certification = certify(session, official, edition_id="ccmo-imaginary")
    with pytest.raises(service.CredentialError, match="unknown edition 'ccmo-imaginary'"):
        service.issue_credential(session, certification, actor="test", settings=settings)


def test_the_jwt_kid_is_published_in_the_tools_jwks(session, credential):
    from datetime import timedelta

    from lti_tool import keys

    header, _ = vcjwt.read_unverified(credential.jwt)
    assert header["kid"] in {key["kid"] for key in keys.jwks(session, timedelta(days=7))["keys"]}
    assert header["kid"] in {key["kid"] for key in service.badge_key_set(session)["keys"]}
