"""The administrator's pages: every page opens, every change asks why and is audited, and nobody sees
another platform's officials."""

from __future__ import annotations

import datetime as dt

import pytest

from lti_tool.models import (
    Activity,
    AuditEntry,
    CaresItemUpdate,
    Certification,
    Completion,
    Credential,
    Deployment,
    FeePayment,
    Official,
    OutboxJob,
    utcnow,
)
from lti_tool.services.certification import refresh_certifications
from tests.factories import gen_completion, gen_enrollment, gen_municipality, gen_official, gen_platform

from .conftest import text_of

ADMIN_PAGES = ["/admin/", "/admin/platforms", "/admin/catalogue", "/admin/editions", "/admin/officials",
               "/admin/fees", "/admin/outbox", "/admin/reports/certified", "/admin/reports/lapses", "/admin/cares",
               "/admin/cares/report"]


@pytest.fixture
def platform(session):
    return gen_platform(session)


@pytest.fixture
def admin(pages, session, platform):
    official = gen_official(session, platform=platform, name="Avery Admin")
    return pages.launch(official, "admin")


@pytest.fixture
def dana(session, platform, catalogue, today):
    """An official of the admin's platform with an Academy CCMO enrollment and two workshops."""
    official = gen_official(session, platform=platform, name="Dana Reyes",
                            municipality=gen_municipality(session, "Hartford"))
    gen_enrollment(session, official, "ccmo-academy", on=today - dt.timedelta(days=100))
    for days, activity_id in ((80, "records-management"), (60, "customer-service")):
        gen_completion(session, official, session.get(Activity, activity_id), today - dt.timedelta(days=days))
    session.commit()
    return official


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_every_admin_page_opens_for_an_administrator_only(pages, session, admin, platform, catalogue, path):
    assert pages.get(admin, path).status_code == 200
    learner = pages.launch(gen_official(session, platform=platform))
    assert pages.get(learner, path).status_code == 403


def test_official_record_shows_completions_and_progress(pages, admin, dana):
    text = text_of(pages.get(admin, f"/admin/officials/{dana.id}"))
    assert "Dana Reyes" in text and "Hartford" in text
    assert "Records Management" in text and "Customer Service" in text
    assert "6 of 18 hours" in text


def test_an_adjustment_without_a_reason_is_refused(pages, session, admin, dana, today):
    answer = pages.post(admin, f"/admin/officials/{dana.id}/completions", {
        "activity_id": "mera", "completed_on": (today - dt.timedelta(days=5)).isoformat(), "reason": " "})
    assert answer.status_code == 422
    assert "recording a completion needs a reason" in text_of(answer)
    assert session.query(Completion).filter_by(official_id=dana.id).count() == 2


def test_recording_and_reversing_a_completion_are_audited_and_change_progress(pages, session, admin, dana, today):
    added = pages.post(admin, f"/admin/officials/{dana.id}/completions", {
        "activity_id": "mera", "completed_on": (today - dt.timedelta(days=5)).isoformat(),
        "reason": "sign-in sheet from the March workshop"})
    assert added.status_code == 303
    assert "9 of 18 hours" in text_of(pages.get(admin, f"/admin/officials/{dana.id}"))
    row = session.query(Completion).filter_by(official_id=dana.id, activity_id="mera").one()
    assert row.reason == "sign-in sheet from the March workshop" and row.source == "admin"

    reversed_ = pages.post(admin, f"/admin/officials/{dana.id}/completions/{row.id}/reverse",
                           {"reason": "recorded for the wrong person"})
    assert reversed_.status_code == 303
    page = text_of(pages.get(admin, f"/admin/officials/{dana.id}"))
    assert "6 of 18 hours" in page
    assert "Reversed: recorded for the wrong person" in page
    actions = {entry.action for entry in session.query(AuditEntry)}
    assert {"completion.recorded", "completion.reversed"} <= actions


def test_amending_a_completion_keeps_the_original(pages, session, admin, dana):
    original = session.query(Completion).filter_by(official_id=dana.id, activity_id="customer-service").one()
    answer = pages.post(admin, f"/admin/officials/{dana.id}/completions/{original.id}/amend",
                        {"hours": "1.5", "reason": "left at the break"})
    assert answer.status_code == 303
    assert session.query(Completion).filter_by(corrects_id=original.id, kind="amendment").one().hours == 1.5
    assert session.get(Completion, original.id).hours == 3
    assert "4.5 of 18 hours" in text_of(pages.get(admin, f"/admin/officials/{dana.id}"))


def test_fee_payment_and_refund(pages, session, admin, dana, today):
    paid = pages.post(admin, f"/admin/officials/{dana.id}/fees", {
        "program": "ccmo", "purpose": "continuing_education", "amount": "$75.00",
        "paid_on": today.isoformat(), "reference": "cheque 1042"})
    assert paid.status_code == 303
    payment = session.query(FeePayment).filter_by(official_id=dana.id).one()
    assert payment.amount_cents == 7500
    no_reason = pages.post(admin, f"/admin/officials/{dana.id}/fees/{payment.id}/refund", {"amount": "25"})
    assert no_reason.status_code == 422
    refunded = pages.post(admin, f"/admin/officials/{dana.id}/fees/{payment.id}/refund",
                          {"amount": "25", "reason": "paid twice"})
    assert refunded.status_code == 303
    refund = session.query(FeePayment).filter_by(refunds_id=payment.id).one()
    assert refund.amount_cents == -2500
    assert "-$25.00" in text_of(pages.get(admin, "/admin/fees"))
    too_much = pages.post(admin, f"/admin/officials/{dana.id}/fees/{payment.id}/refund",
                          {"amount": "60", "reason": "again"})
    assert too_much.status_code == 422
    assert "at most $50.00" in text_of(too_much)


def test_bad_fee_amount_is_named(pages, admin, dana, today):
    answer = pages.post(admin, f"/admin/officials/{dana.id}/fees", {
        "program": "ccmo", "purpose": "enrollment", "amount": "seventy", "paid_on": today.isoformat()})
    assert answer.status_code == 422
    assert "'seventy' is not an amount in dollars" in text_of(answer)


def test_changing_the_municipality_asks_why(pages, session, admin, dana):
    town = gen_municipality(session, "Enfield")
    session.commit()
    assert pages.post(admin, f"/admin/officials/{dana.id}/municipality",
                      {"municipality_id": str(town.id)}).status_code == 422
    assert pages.post(admin, f"/admin/officials/{dana.id}/municipality",
                      {"municipality_id": str(town.id), "reason": "moved to Enfield"}).status_code == 303
    session.expire_all()
    assert session.get(Official, dana.id).municipality_id == town.id
    entry = session.query(AuditEntry).filter_by(action="official.municipality_set").one()
    assert entry.details["reason"] == "moved to Enfield"


def test_platform_admin_never_sees_another_platforms_officials(pages, session, admin, dana, catalogue):
    stranger = gen_official(session, platform=gen_platform(session), name="Sam Elsewhere")
    session.commit()
    assert "Sam Elsewhere" not in text_of(pages.get(admin, "/admin/officials"))
    assert "Dana Reyes" in text_of(pages.get(admin, "/admin/officials"))
    assert pages.get(admin, f"/admin/officials/{stranger.id}").status_code == 404
    assert pages.post(admin, f"/admin/officials/{stranger.id}/completions", {
        "activity_id": "mera", "completed_on": "2026-01-01", "reason": "x"}).status_code == 404


def test_tool_admin_sees_every_platform(pages, session, platform, dana):
    stranger = gen_official(session, platform=gen_platform(session), name="Sam Elsewhere")
    boss = gen_official(session, platform=platform, name="Tool Admin")
    boss.is_tool_admin = True
    session.commit()
    launch = pages.launch(boss, "learner")
    assert pages.get(launch, f"/admin/officials/{stranger.id}").status_code == 200


def test_pending_deployment_is_activated(pages, session, admin, platform):
    pending = Deployment(platform_id=platform.id, deployment_id="7", active=False)
    session.add(pending)
    session.commit()
    assert "Pending: launches are refused" in text_of(pages.get(admin, "/admin/platforms"))
    assert pages.post(admin, f"/admin/deployments/{pending.id}/activate").status_code == 303
    session.expire_all()
    assert session.get(Deployment, pending.id).active is True


def test_dead_job_is_retried(pages, session, admin, platform):
    job = OutboxJob(kind="lms.score", platform_id=platform.id, payload={"x": 1}, state="dead", attempts=9,
                    last_error="HTTP 400 from the LMS", finished_at=utcnow())
    session.add(job)
    session.commit()
    assert "HTTP 400 from the LMS" in text_of(pages.get(admin, "/admin/outbox"))
    assert pages.post(admin, f"/admin/outbox/{job.id}/retry").status_code == 303
    session.expire_all()
    assert session.get(OutboxJob, job.id).state == "pending"


def test_default_edition_is_chosen(pages, session, admin, catalogue):
    assert pages.post(admin, "/admin/editions", {"program": "ccmo", "edition_id": "ccmo-classic"}).status_code == 303
    assert "New enrollments now get: Certified Connecticut Municipal Official (Classic)" in text_of(
        pages.get(admin, "/admin/editions"))
    wrong = pages.post(admin, "/admin/editions", {"program": "ccmo", "edition_id": "iimc-cmc"})
    assert wrong.status_code == 422


def test_newly_certified_report_and_csv(pages, session, admin, dana, rulebook, today, signing_key):
    for days, activity_id in ((50, "mera"), (40, "ethics-accountability"), (30, "economic-development"),
                              (20, "social-media")):
        gen_completion(session, dana, session.get(Activity, activity_id), today - dt.timedelta(days=days))
    refresh_certifications(session, dana, rulebook, as_of=today, actor="test")
    session.commit()
    certification = session.query(Certification).one()
    text = text_of(pages.get(admin, "/admin/reports/certified"))
    assert "Dana Reyes" in text and "Hartford" in text and "CCMO" in text
    csv_answer = pages.get(admin, "/admin/reports/certified", format="csv")
    assert csv_answer.mimetype == "text/csv"
    assert f"{certification.certified_on.isoformat()},Dana Reyes,Hartford,CCMO" in csv_answer.get_data(as_text=True)
    bad = pages.get(admin, "/admin/reports/certified", **{"from": "last week"})
    assert bad.status_code == 422 and "must be a date" in text_of(bad)


def test_cares_update_report_and_recognition(pages, session, admin, catalogue, today, signing_key):
    town = gen_municipality(session, "New Haven")
    session.commit()
    incomplete = pages.post(admin, f"/admin/cares/{town.id}/items", {
        "item_id": "resolution", "state": "implemented", "effective_on": today.isoformat()})
    assert incomplete.status_code == 422
    assert "needs an evidence link and the CCM reviewer" in text_of(incomplete)
    done = pages.post(admin, f"/admin/cares/{town.id}/items", {
        "item_id": "resolution", "state": "implemented", "effective_on": today.isoformat(),
        "evidence_url": "https://newhaven.example.gov/resolution.pdf", "reviewer": "J. Ortiz"})
    assert done.status_code == 303
    assert session.query(CaresItemUpdate).count() == 1
    page = text_of(pages.get(admin, f"/admin/cares/{town.id}"))
    assert "New Haven has implemented CARES action item 1" in page
    assert pages.post(admin, f"/admin/cares/{town.id}/recognitions").status_code == 303
    assert session.query(Credential).filter_by(municipality_id=town.id).count() == 1
    report = text_of(pages.get(admin, "/admin/cares/report", month=today.strftime("%Y-%m")))
    assert "New Haven 1 0 6" in report
    csv_text = pages.get(admin, "/admin/cares/report", month=today.strftime("%Y-%m"), format="csv").get_data(as_text=True)
    assert csv_text.splitlines()[1].startswith("New Haven,Implemented,Not started")
    assert pages.get(admin, "/admin/cares/report", month="May").status_code == 422


def test_municipality_is_added(pages, session, admin):
    assert pages.post(admin, "/admin/municipalities", {"name": "Bristol", "ccm_member": "yes"}).status_code == 303
    assert "Bristol" in text_of(pages.get(admin, "/admin/cares"))
    assert pages.post(admin, "/admin/municipalities", {"name": "bristol"}).status_code == 422


def test_correction_page_offers_approval_only_for_self_reported_entries(pages, session, admin, dana, today):
    own = gen_completion(session, dana, session.get(Activity, "mera"), today - dt.timedelta(days=2),
                         source="self_report")
    marked = session.query(Completion).filter_by(official_id=dana.id, activity_id="records-management").one()
    session.commit()
    record = text_of(pages.get(admin, f"/admin/officials/{dana.id}"))
    assert "Approve or correct MERA" in record and "Awaiting approval" in record
    own_page = text_of(pages.get(admin, f"/admin/officials/{dana.id}/completions/{own.id}"))
    assert "Approve this completion" in own_page and "Reverse this completion" in own_page
    assert "Approve this completion" not in text_of(pages.get(admin, f"/admin/officials/{dana.id}/completions/{marked.id}"))
    assert pages.post(admin, f"/admin/officials/{dana.id}/completions/{own.id}/approve",
                      {"reason": "certificate of attendance checked"}).status_code == 303
    assert "9 of 18 hours" in text_of(pages.get(admin, f"/admin/officials/{dana.id}"))
    assert pages.get(admin, f"/admin/officials/{dana.id}/completions/999999").status_code == 404
