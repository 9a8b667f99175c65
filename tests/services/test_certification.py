"""Evaluate and certify: complete programmes become certifications with badges; reversals revoke them."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from lti_tool.models import Activity, Certification, Credential
from lti_tool.services import certification, completions, credentials, enrollments, progress
from tests.factories import gen_completion, gen_municipality, gen_official

SIX_WORKSHOPS = ["records-management", "customer-service", "ethics-accountability", "mera",
                 "social-media", "public-safety"]


def _academy_official(session, rulebook):
    official = gen_official(session, municipality=gen_municipality(session), email="pat@example.org")
    enrollments.enroll(session, official, "ccmo", rulebook, actor="t", enrolled_on=date(2025, 1, 10))
    return official


def _attend(session, official, activity_ids, start_month=2):
    rows = []
    for n, activity_id in enumerate(activity_ids):
        rows.append(gen_completion(session, official, session.get(Activity, activity_id), date(2025, start_month + n, 5)))
    return rows


def test_progress_reads_records_through_the_engine(session, rulebook, catalogue):
    official = _academy_official(session, rulebook)
    _attend(session, official, SIX_WORKSHOPS[:4])
    [ccmo] = progress.official_progress(session, official, rulebook, date(2025, 8, 1))
    assert ccmo.edition.id == "ccmo-academy"
    assert (ccmo.evaluation.earned, ccmo.evaluation.required) == (12, 18)
    assert ccmo.evaluation.status == "in_progress"
    assert ccmo.plan is not None and ccmo.plan.feasible


def test_completing_the_programme_certifies_once_and_issues_a_badge(session, rulebook, catalogue, signing_key):
    official = _academy_official(session, rulebook)
    records = _attend(session, official, SIX_WORKSHOPS)
    first = certification.refresh_certifications(session, official, rulebook, as_of=date(2025, 9, 1), actor="t")
    [cert] = first.certified
    assert cert.certified_on == records[-1].completed_on
    assert sorted(cert.completion_ids) == sorted(r.id for r in records)
    [credential] = credentials.credentials_for_certification(session, cert.id)
    assert credentials.verify_stored_credential(session, credential).status == "valid"
    again = certification.refresh_certifications(session, official, rulebook, as_of=date(2025, 9, 2), actor="t")
    assert not again.any
    assert session.scalar(select(func.count()).select_from(Certification)) == 1
    assert session.scalar(select(func.count()).select_from(Credential)) == 1


def test_a_reversal_that_breaks_the_certificate_revokes_its_badge(session, rulebook, catalogue, signing_key):
    official = _academy_official(session, rulebook)
    records = _attend(session, official, SIX_WORKSHOPS)
    [cert] = certification.refresh_certifications(session, official, rulebook, as_of=date(2025, 9, 1), actor="t").certified
    completions.reverse_completion(session, records[2], recorded_by="admin", reason="attended another day", source="admin")
    changes = certification.refresh_certifications(session, official, rulebook, as_of=date(2025, 9, 2), actor="t")
    assert changes.revoked == [cert]
    assert cert.standing == "revoked"
    [credential] = credentials.credentials_for_certification(session, cert.id)
    assert credentials.verify_stored_credential(session, credential).status == "revoked"


def test_records_entered_late_certify_and_record_the_ended_cycle_in_one_refresh(session, rulebook, catalogue, signing_key):
    official = _academy_official(session, rulebook)
    _attend(session, official, SIX_WORKSHOPS)  # certified in July 2025; no 2026 hours, no fee
    changes = certification.refresh_certifications(session, official, rulebook, as_of=date(2027, 1, 10), actor="t")
    [cert] = changes.certified
    assert changes.lapsed == [cert]
    assert cert.standing == "lapsed"
    [credential] = credentials.credentials_for_certification(session, cert.id)
    assert credentials.verify_stored_credential(session, credential).status == "suspended"


def test_undoing_the_reversal_reinstates_the_certificate_with_a_fresh_badge(session, rulebook, catalogue, signing_key):
    official = _academy_official(session, rulebook)
    records = _attend(session, official, SIX_WORKSHOPS)
    [cert] = certification.refresh_certifications(session, official, rulebook, as_of=date(2025, 9, 1), actor="t").certified
    completions.reverse_completion(session, records[-1], recorded_by="i", reason="marked by mistake", source="instructor")
    certification.refresh_certifications(session, official, rulebook, as_of=date(2025, 9, 2), actor="t")
    gen_completion(session, official, session.get(Activity, SIX_WORKSHOPS[-1]), records[-1].completed_on)
    changes = certification.refresh_certifications(session, official, rulebook, as_of=date(2025, 9, 3), actor="t")
    assert changes.certified == [cert] and cert.standing == "active"
    issued = credentials.credentials_for_certification(session, cert.id)
    statuses = sorted(credentials.verify_stored_credential(session, c).status for c in issued)
    assert statuses == ["revoked", "valid"]
    assert not certification.refresh_certifications(session, official, rulebook, as_of=date(2025, 9, 4), actor="t").any
