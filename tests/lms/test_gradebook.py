"""The gradebook operations end to end against the emulated Moodle: completion scores, certification
columns, and grade passback from Moodle's results into completions."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
import requests
from sqlalchemy import select

from lti_tool.models import (
    AccessToken,
    Activity,
    AuditEntry,
    Certification,
    CertificationStatusChange,
    Context,
    ContinuingEducationCycle,
    Deployment,
    Enrollment,
    Launch,
    LineItem,
    ResourceLink,
    utcnow,
)
from lti_tool.outbox import job_payload
from lti_tool.services.completions import effective_completions, reverse_completion
from lti_tool.services.gradebook import (
    GRADE_SYNC_JOB,
    LINE_ITEM_JOB,
    enqueue_certification_score,
    enqueue_completion_score,
    enqueue_due_grade_syncs,
    enqueue_grade_sync,
    enqueue_roster_sync,
)
from tests.factories import gen_activity
from tests.lms.tool_on_moodle import completed, learner

CERTIFICATION_COLUMN = "certification:ccmo-academy"


def launched(session, moodle, official) -> None:
    """The official opened the tool from course 2 (how the tool knows which courses they are in)."""
    deployment = session.scalars(select(Deployment).where(Deployment.platform_id == moodle.platform_id)).one()
    session.add(Launch(platform_id=moodle.platform_id, deployment_id=deployment.id, official_id=official.id,
                       context_id=moodle.context_id, message_type="LtiResourceLinkRequest", roles=[], claims={},
                       expires_at=utcnow() + timedelta(hours=1)))
    session.flush()


def certify(session, official, *, edition: str = "ccmo-academy", on: str = "2026-05-04") -> Certification:
    enrollment = Enrollment(official_id=official.id, program="ccmo", edition_id=edition,
                            enrolled_on=date(2025, 1, 10), recorded_by="test")
    session.add(enrollment)
    session.flush()
    certification = Certification(official_id=official.id, enrollment_id=enrollment.id, program="ccmo",
                                  edition_id=edition, certified_on=date.fromisoformat(on), recorded_by="test")
    session.add(certification)
    session.flush()
    return certification


def column(moodle, tag: str) -> list[dict]:
    return [item for item in moodle.emulator.gradebook().values() if item["tag"] == tag]


# -- completion scores ---------------------------------------------------------------------------------------


def test_the_score_comment_names_the_programme_credit(moodle, session):
    official = learner(session, moodle)
    session.add(Enrollment(official_id=official.id, program="ccmo", edition_id="ccmo-academy",
                           enrolled_on=date(2025, 1, 10), recorded_by="test"))
    row = completed(session, moodle, official)
    (job,) = enqueue_completion_score(session, row, actor="official:3", origin="10.0.0.7")
    session.commit()
    assert job_payload(job)["comment"] == "Ethics & Accountability, completed 2026-03-02: 3 credit hours toward CCMO"
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "lms.score_queued")).one()
    assert entry.actor == "official:3" and entry.origin == "10.0.0.7" and entry.subject_id == str(row.id)
    session.commit()  # end the read: on SQLite an open transaction holds the write lock the worker needs
    moodle.drain()
    assert moodle.emulator.scores(2)[0]["comment"] == job_payload(job)["comment"]


def test_a_completion_without_a_placement_goes_to_the_activitys_placement_in_the_officials_course(moodle, session):
    official = learner(session, moodle)
    launched(session, moodle, official)
    (job,) = enqueue_completion_score(session, completed(session, moodle, official, source="import", placed=False))
    assert job_payload(job)["lineitem_url"] == moodle.emulator.lineitem_url(2)


def test_nothing_is_queued_without_a_graded_placement_or_while_awaiting_approval(moodle, session):
    official = learner(session, moodle)
    assert enqueue_completion_score(session, completed(session, moodle, official, source="import", placed=False)) == []
    assert enqueue_completion_score(session, completed(session, moodle, official, source="self_report")) == []


def test_a_reversal_replaces_a_score_not_yet_sent(moodle, session):
    official = learner(session, moodle)
    row = completed(session, moodle, official)
    (first,) = enqueue_completion_score(session, row)
    reverse_completion(session, row, recorded_by="official:3", reason="wrong person", source="instructor")
    (second,) = enqueue_completion_score(session, effective_completions(session, official.id)[0])
    session.commit()
    assert first.id == second.id
    moodle.drain()
    (sent,) = moodle.emulator.scores(2)
    assert "scoreGiven" not in sent and sent["gradingProgress"] == "NotReady"


def test_reversing_one_of_two_completions_of_the_activity_keeps_the_column_graded(moodle, session):
    official = learner(session, moodle)
    first = completed(session, moodle, official, key="2025")
    completed(session, moodle, official, key="2026")
    reverse_completion(session, first, recorded_by="official:3", reason="duplicate entry", source="instructor")
    (job,) = enqueue_completion_score(session, first)
    assert job_payload(job)["score_given"] == "3.00"
    moodle.drain()
    assert moodle.emulator.gradebook()[moodle.emulator.lineitem_url(2)]["grades"]["4"]["score"] == 100


# -- certification columns -----------------------------------------------------------------------------------


def test_certified_officials_get_full_marks_in_one_programme_column_per_course(moodle, session):
    lena, leo = learner(session, moodle, "4"), learner(session, moodle, "5", "Leo Learner")
    for official in (lena, leo):
        launched(session, moodle, official)
        enqueue_certification_score(session, certify(session, official), label="CCMO (Academy)",
                                    verification_url=f"https://tool.example.org/verify/{official.sub}",
                                    actor="official:1")
    session.commit()
    report = moodle.drain(moodle.worker())
    assert report.dead == 0
    (created,) = column(moodle, CERTIFICATION_COLUMN)
    assert created["label"] == "CCMO (Academy)" and created["scoreMaximum"] == 100
    assert created["grades"]["4"]["score"] == 100 and created["grades"]["5"]["score"] == 100
    assert created["grades"]["4"]["comment"] == (
        "CCMO (Academy): certified on 2026-05-04. Verify the credential at https://tool.example.org/verify/4"
    )
    row = session.scalars(select(LineItem).where(LineItem.tag == CERTIFICATION_COLUMN)).one()
    assert row.edition_id == "ccmo-academy" and row.score_maximum == Decimal(100)
    creates = [r for r in moodle.emulator.requests if r.method == "POST" and r.path.endswith("/lineitems")]
    assert len(creates) == 1


def test_a_programme_activity_already_tagged_in_the_course_is_used_as_it_is(moodle, session):
    # The teacher deep-linked an activity whose line item carries the programme's tag: its completion and
    # badge follow the score, which is what a Moodle course wants.
    url = moodle.emulator.add_lineitem("2", "CCMO certification", 10, tag=CERTIFICATION_COLUMN,
                                       resource_link_id="2")
    official = learner(session, moodle)
    enqueue_certification_score(session, certify(session, official),
                                contexts=[session.get(Context, moodle.context_id)])
    session.commit()
    moodle.drain()
    assert len(column(moodle, CERTIFICATION_COLUMN)) == 1
    assert moodle.emulator.gradebook()[url]["grades"]["4"]["score"] == 10


def test_a_lapsed_certification_clears_the_grade_and_a_met_cycle_says_so(moodle, session):
    official = learner(session, moodle)
    launched(session, moodle, official)
    certification = certify(session, official)
    session.add(ContinuingEducationCycle(certification_id=certification.id, starts_on=date(2027, 1, 1),
                                         ends_on=date(2027, 12, 31), outcome="met", decided_on=date(2027, 12, 31)))
    session.flush()
    enqueue_certification_score(session, certification)
    session.commit()
    moodle.drain()
    (graded,) = column(moodle, CERTIFICATION_COLUMN)
    assert "continuing education met for 2027-01-01 to 2027-12-31" in graded["grades"]["4"]["comment"]
    session.add(CertificationStatusChange(certification_id=certification.id, status="lapsed",
                                          effective_on=date(2029, 1, 1), reason="fee unpaid", recorded_by="test"))
    session.flush()
    enqueue_certification_score(session, certification)
    session.commit()
    moodle.drain()
    (cleared,) = column(moodle, CERTIFICATION_COLUMN)
    assert cleared["grades"]["4"]["score"] is None
    assert cleared["grades"]["4"]["comment"] == (
        "ccmo-academy certification: the certification lapsed on 2029-01-01 (fee unpaid)"
    )


def test_a_column_deleted_in_moodle_is_made_again(moodle, session):
    official = learner(session, moodle)
    launched(session, moodle, official)
    certification = certify(session, official)
    enqueue_certification_score(session, certification)
    moodle.drain()
    (first,) = session.scalars(select(LineItem.url).where(LineItem.tag == CERTIFICATION_COLUMN)).all()
    token = session.scalars(select(AccessToken.token)).one()
    session.commit()
    deleted = requests.delete(first, headers={"Authorization": f"Bearer {token}"}, timeout=5)
    assert deleted.status_code == 204
    enqueue_certification_score(session, certification, verification_url="https://tool.example.org/verify/1")
    assert moodle.drain().dead == 0
    (graded,) = column(moodle, CERTIFICATION_COLUMN)
    assert graded["grades"]["4"]["score"] == 100 and "verify/1" in graded["grades"]["4"]["comment"]
    (second,) = session.scalars(select(LineItem.url).where(LineItem.tag == CERTIFICATION_COLUMN)).all()
    assert second != first


def test_no_line_item_job_once_the_column_is_known(moodle, session):
    official = learner(session, moodle)
    launched(session, moodle, official)
    enqueue_certification_score(session, certify(session, official))
    session.commit()
    moodle.drain()
    jobs = enqueue_certification_score(session, session.scalars(select(Certification)).one())
    kinds = {job.kind for job in session.scalars(select(type(jobs[0])).where(type(jobs[0]).state == "pending"))}
    assert kinds == {"lms.score"}
    assert LINE_ITEM_JOB not in kinds


# -- grade passback ------------------------------------------------------------------------------------------


def sync(moodle, session) -> dict:
    job = enqueue_grade_sync(session, session.get(Context, moodle.context_id), actor="test")
    session.commit()
    report = moodle.drain()
    assert report.dead == 0, moodle.open_jobs()
    from lti_tool.outbox import find_job, job_outcome

    outcome = job_outcome(find_job(session, f"{GRADE_SYNC_JOB}:{moodle.context_id}"))
    session.commit()
    assert job.kind == GRADE_SYNC_JOB
    return outcome


def lms_grade_completions(session, official) -> list:
    rows = [item for item in effective_completions(session, official.id) if item.root.source == "lms_grade"]
    session.commit()
    return rows


def test_a_passing_moodle_grade_becomes_a_completion_once(moodle, session):
    official = learner(session, moodle)
    session.commit()
    moodle.emulator.set_result(2, "4", 80, "well done")  # on the column's scale: 80 of 100
    outcome = sync(moodle, session)
    assert outcome["recorded"] == 1 and outcome["line_items"] == 1
    (completion,) = lms_grade_completions(session, official)
    assert completion.counts and completion.activity_id == "ethics" and completion.hours == Decimal(3)
    assert completion.root.recorded_by == "lms-grade-sync" and completion.root.resource_link_id == moodle.link_id
    assert "80 of 100" in completion.root.evidence
    again = sync(moodle, session)
    assert again["recorded"] == 0 and len(lms_grade_completions(session, official)) == 1
    mapped = session.scalars(select(LineItem).where(LineItem.activity_id == "ethics")).one()
    assert mapped.url == moodle.emulator.lineitem_url(2) and mapped.resource_link_id == moodle.link_id


def test_the_threshold_is_the_activitys_share_of_the_rescaled_maximum(moodle, session):
    official = learner(session, moodle)
    session.get(Activity, moodle.activity_id).passing_fraction = Decimal("0.6")
    session.commit()
    moodle.emulator.set_result(2, "4", 59.99)
    assert sync(moodle, session)["recorded"] == 0
    moodle.emulator.set_result(2, "4", 60)
    assert sync(moodle, session)["recorded"] == 1
    assert len(lms_grade_completions(session, official)) == 1


def test_a_failing_or_removed_grade_reverses_the_completion(moodle, session):
    official = learner(session, moodle)
    session.commit()
    moodle.emulator.set_result(2, "4", 90)
    sync(moodle, session)
    moodle.emulator.set_result(2, "4", 20, "resubmit")
    assert sync(moodle, session)["reversed"] == 1
    (reversed_one,) = lms_grade_completions(session, official)
    assert reversed_one.reversed and "below the passing share" in reversed_one.reversal.reason
    moodle.emulator.set_result(2, "4", 95)
    assert sync(moodle, session)["recorded"] == 1
    moodle.emulator.set_result(2, "4", None)  # grade deleted in the gradebook
    assert sync(moodle, session)["reversed"] == 1
    assert not any(item.counts for item in lms_grade_completions(session, official))


def test_the_tools_own_scores_are_not_read_back_as_grades(moodle, session):
    official = learner(session, moodle)
    row = completed(session, moodle, official, source="import", placed=False)
    launched(session, moodle, official)
    enqueue_completion_score(session, row)
    session.commit()
    outcome = sync(moodle, session)
    assert outcome["recorded"] == 0 and outcome["skipped_own_scores"] == 1
    assert lms_grade_completions(session, official) == []


def test_only_line_items_of_catalogue_activities_are_read(moodle, session):
    learner(session, moodle)
    session.commit()
    moodle.emulator.set_result(5, "4", 10)  # the deep-linked resource: placement not marking an activity
    outcome = sync(moodle, session)
    assert outcome["line_items"] == 1 and outcome["recorded"] == 0
    results_reads = [r for r in moodle.emulator.requests if r.path.endswith("/results")]
    assert all("/lineitems/2/" in r.path for r in results_reads)


def test_a_column_whose_resource_id_names_an_activity_is_read_before_any_launch(moodle, session):
    # Deep linking puts the activity id in the line item's resourceId; nobody has launched the placement yet.
    url = moodle.emulator.add_lineitem("2", "Budgets/Finance", 3, resource_id="budgets-finance",
                                       tag="civic-credentials-activity")
    budgets = gen_activity(session, "budgets-finance", title="Budgets/Finance", hours="3")
    official = learner(session, moodle)
    session.commit()
    moodle.emulator.set_result(url, "4", 2)
    assert sync(moodle, session)["recorded"] == 1
    (completion,) = lms_grade_completions(session, official)
    assert completion.activity_id == budgets.id and completion.root.resource_link_id is None


def test_grades_of_users_the_tool_does_not_know_are_counted_not_recorded(moodle, session):
    moodle.emulator.set_result(2, "5", 100)
    outcome = sync(moodle, session)
    assert outcome["unknown_users"] == 1 and outcome["recorded"] == 0


def test_grade_syncs_are_queued_when_due_and_not_twice(moodle, session):
    assert len(enqueue_due_grade_syncs(session, every=timedelta(minutes=15))) == 1
    session.commit()
    assert enqueue_due_grade_syncs(session, every=timedelta(minutes=15)) == []
    moodle.drain()
    assert enqueue_due_grade_syncs(session, every=timedelta(minutes=15)) == []
    later = utcnow() + timedelta(minutes=16)
    assert len(enqueue_due_grade_syncs(session, every=timedelta(minutes=15), now=later)) == 1


def test_an_unplaced_course_is_never_synced(moodle, session):
    link = session.get(ResourceLink, moodle.link_id)
    link.activity_id = None
    session.flush()
    assert enqueue_due_grade_syncs(session, every=timedelta(minutes=15)) == []


# -- roster ------------------------------------------------------------------------------------------------


def test_the_roster_names_officials_and_adds_new_learners(moodle, session):
    lena = learner(session, moodle, "4", name="L.")
    enqueue_roster_sync(session, session.get(Context, moodle.context_id))
    session.commit()
    moodle.drain()
    session.refresh(lena)
    assert lena.name == "Lena Learner" and lena.email == "learner1@example.com"
    from lti_tool.models import Official

    subs = sorted(session.scalars(select(Official.sub)).all())
    assert subs == ["4", "5"]  # the instructor is not an official


@pytest.mark.parametrize("when", [datetime(2026, 3, 2, tzinfo=timezone.utc)])
def test_an_unknown_course_is_refused_with_a_reason(moodle, session, when):
    context = session.get(Context, moodle.context_id)
    context.lineitems_url = None
    from lti_tool.services.gradebook import GradebookError

    with pytest.raises(GradebookError, match="offers no line items service"):
        enqueue_grade_sync(session, context, now=when)


def test_a_passing_grade_that_completes_a_programme_certifies_the_official(moodle, session):
    from lti_tool.models import Certification
    from lti_tool.services.enrollments import enroll
    from lti_tool.rulebook import current_rulebook
    from tests.factories import gen_completion, gen_municipality

    official = learner(session, moodle)
    official.municipality_id = gen_municipality(session).id
    enroll(session, official, "ccmo", current_rulebook(), actor="test", enrolled_on=date.today() - timedelta(days=90))
    for n in range(5):  # 15 of the 18 hours; the graded workshop brings the last 3
        gen_completion(session, official, gen_activity(session, f"earlier-workshop-{n}"), date.today() - timedelta(days=60 - n))
    session.commit()
    moodle.emulator.set_result(2, "4", 80, "passed")
    assert sync(moodle, session)["recorded"] == 1
    certification = session.scalars(select(Certification).where(Certification.official_id == official.id)).one()
    assert certification.edition_id == "ccmo-academy"
