"""The roster of an activity placement: members from the platform, marking, mark all present and undo, with the
scores landing in the LMS gradebook and every change in the audit log."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select

from lti_tool.models import Activity, AuditEntry, Context, Official, Platform
from lti_tool.services import roster
from tests.factories import gen_enrollment

from .conftest import (
    completions_of,
    form,
    instructor_launch,
    mark,
    member,
    official_by_sub,
    text_of,
    undo,
)


def grade(moodle, user_id: str):
    return moodle.emulator.gradebook("2")[moodle.emulator.lineitem_url(2)]["grades"].get(user_id)


# -- with the emulated Moodle: members from NRPS, scores in the gradebook ----------------------------------


def test_the_roster_lists_the_course_learners_from_the_platform(moodle, moodle_course, client, session):
    launch = instructor_launch(session, moodle_course)
    page = client.get(f"/instructor/roster?launch={launch.id}")
    assert page.status_code == 200
    text = text_of(page)
    assert "Lena Learner" in text and "learner1@example.com" in text and "Leo Learner" in text
    assert "Ivy Instructor" not in text  # instructors are not marked
    assert "1 other course member is not listed" in text
    assert text.count("Not marked") == 2
    assert "could not be read" not in text


def test_a_mark_posts_a_score_that_lands_in_the_gradebook(moodle, moodle_course, client, session):
    launch = instructor_launch(session, moodle_course)
    client.get(f"/instructor/roster?launch={launch.id}")
    lena = official_by_sub(session, moodle.platform_id, "4")

    answer = mark(client, launch, lena.id, completed_on=dt.date.today().isoformat(), hours="")
    assert answer.status_code == 303 and "notice=marked" in answer.headers["Location"]
    [completion] = completions_of(session, lena.id)
    assert (completion.source, completion.kind, completion.resource_link_id) == ("instructor", "record", moodle.link_id)
    assert completion.hours == Decimal("3.00") and completion.completed_on == dt.date.today()
    assert completion.recorded_by == f"official:{moodle_course.instructor_id}"

    assert grade(moodle, "4") is None  # nothing reaches the LMS before the outbox runs
    moodle.drain()
    landed = grade(moodle, "4")
    assert landed["score"] == 100.0 and "Ethics & Accountability" in landed["comment"]

    page = text_of(client.get(answer.headers["Location"]))
    assert "Lena Learner is marked attended." in page
    assert f"Marked on {dt.date.today().isoformat()} (3 hours) by Ivy Instructor" in page

    audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "completion.recorded")).one()
    assert audit.actor == f"official:{moodle_course.instructor_id}" and audit.origin == "127.0.0.1"


def test_an_undo_records_a_reversal_and_clears_the_grade(moodle, moodle_course, client, session):
    launch = instructor_launch(session, moodle_course)
    client.get(f"/instructor/roster?launch={launch.id}")
    lena = official_by_sub(session, moodle.platform_id, "4")
    mark(client, launch, lena.id)
    moodle.drain()
    assert grade(moodle, "4")["score"] == 100.0

    answer = undo(client, launch, lena.id, reason="She left before the break")
    assert answer.status_code == 303 and "notice=undone" in answer.headers["Location"]
    original, reversal = completions_of(session, lena.id)
    assert original.kind == "record"  # never deleted
    assert (reversal.kind, reversal.corrects_id, reversal.reason) == ("reversal", original.id, "She left before the break")
    moodle.drain()
    cleared = grade(moodle, "4")
    assert cleared["score"] is None and cleared["comment"].startswith("Reversed")
    assert "Reason: She left before the break" in cleared["comment"]

    page = text_of(client.get(f"/instructor/roster?launch={launch.id}"))
    assert "Not marked: undone on" in page and "(She left before the break)" in page


def test_mark_all_present_marks_every_unmarked_learner(moodle, moodle_course, client, session):
    launch = instructor_launch(session, moodle_course)
    client.get(f"/instructor/roster?launch={launch.id}")
    lena = official_by_sub(session, moodle.platform_id, "4")
    leo = official_by_sub(session, moodle.platform_id, "5")
    mark(client, launch, lena.id)

    fields = form(launch, completed_on=dt.date.today().isoformat(), hours="3")
    fields["official"] = [str(lena.id), str(leo.id)]
    fields["ticket"] = [member(launch, lena.id)["ticket"], member(launch, leo.id)["ticket"]]
    answer = client.post("/instructor/roster/mark-all", data=fields)
    assert answer.status_code == 303
    assert "count=1" in answer.headers["Location"] and "skipped=1" in answer.headers["Location"]
    assert len(completions_of(session, lena.id)) == 1 and len(completions_of(session, leo.id)) == 1
    moodle.drain()
    assert grade(moodle, "4")["score"] == 100.0 and grade(moodle, "5")["score"] == 100.0
    assert "1 marked present; 1 already marked or credited that day." in text_of(client.get(answer.headers["Location"]))


def test_the_roster_follows_the_platforms_paging(moodle, moodle_course, client, session, monkeypatch):
    monkeypatch.setattr(roster, "MEMBERS_PAGE_SIZE", 2)
    for number in range(6, 13):
        moodle.emulator.add_member("2", str(number), ["Learner"], name=f"Paged Person{number}")
    launch = instructor_launch(session, moodle_course)
    page = text_of(client.get(f"/instructor/roster?launch={launch.id}"))
    assert all(f"Paged Person{number}" in page for number in range(6, 13))
    assert "Lena Learner" in page and "Learners (9)" in page
    pages = [r for r in moodle.emulator.requests if r.path.endswith("/memberships")]
    assert len(pages) == 5  # 10 members, 2 per page


def test_a_platform_outage_shows_the_known_learners_with_a_notice(moodle, moodle_course, client, session):
    launch = instructor_launch(session, moodle_course)
    client.get(f"/instructor/roster?launch={launch.id}")  # Lena and Leo become known...
    lena = official_by_sub(session, moodle.platform_id, "4")
    mark(client, launch, lena.id)  # ...and Lena has a mark through the placement
    for mode in ("down", "500"):
        moodle.emulator.fault("/mod/lti/services.php/CourseSection/", mode)
        page = client.get(f"/instructor/roster?launch={launch.id}")
        moodle.emulator.clear_faults()
        assert page.status_code == 200
        text = text_of(page)
        assert "could not be read from the platform" in text
        assert "Lena Learner" in text and "Marked on" in text


def test_a_course_without_the_membership_service_says_so(course, client, session):
    launch = instructor_launch(session, course)
    page = client.get(f"/instructor/roster?launch={launch.id}")
    assert page.status_code == 200
    text = text_of(page)
    assert "does not share this course's member list" in text
    assert "Lena Learner" in text and "Leo Learner" in text  # known through their launches


# -- marking rules (offline course) ---------------------------------------------------------------------------


def test_marking_again_changes_nothing_until_the_mark_is_undone(course, client, session):
    launch = instructor_launch(session, course)
    lena_id = course.learner_ids[0]
    assert "notice=marked" in mark(client, launch, lena_id).headers["Location"]
    assert "notice=already_marked" in mark(client, launch, lena_id).headers["Location"]
    assert len(completions_of(session, lena_id)) == 1

    undo(client, launch, lena_id)
    assert "notice=nothing_to_undo" in undo(client, launch, lena_id).headers["Location"]
    assert "notice=marked" in mark(client, launch, lena_id).headers["Location"]
    rows = completions_of(session, lena_id)
    assert [row.kind for row in rows] == ["record", "reversal", "record"]
    assert rows[0].source_key == f"instructor:rl{course.link_id}:o{lena_id}:after0"
    assert rows[2].source_key == f"instructor:rl{course.link_id}:o{lena_id}:after{rows[1].id}"


def test_the_date_and_hours_of_a_mark_can_be_changed(course, client, session):
    launch = instructor_launch(session, course)
    lena_id = course.learner_ids[0]
    mark(client, launch, lena_id, completed_on="2025-03-04", hours="1.5")
    [row] = completions_of(session, lena_id)
    assert row.completed_on == dt.date(2025, 3, 4) and row.hours == Decimal("1.50")


def test_a_mark_refreshes_the_officials_certifications(course, client, session):
    lena = session.get(Official, course.learner_ids[0])
    gen_enrollment(session, lena, "ccmo-academy", on=dt.date.today() - dt.timedelta(days=30))
    session.commit()
    launch = instructor_launch(session, course)
    mark(client, launch, lena.id, hours="18")
    assert session.scalars(select(AuditEntry.action).where(AuditEntry.action == "certification.recorded")).all()
    session.commit()


def test_bad_dates_and_hours_are_refused_with_the_reason(course, client, session):
    launch = instructor_launch(session, course)
    lena_id = course.learner_ids[0]
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    for fields, reason in (
        ({"completed_on": tomorrow}, "is in the future"),
        ({"completed_on": "18/11/2025"}, "is not a date"),
        ({"hours": "three"}, "is not a number of hours"),
        ({"hours": "-1"}, "between 0 and 1000"),
    ):
        answer = mark(client, launch, lena_id, **fields)
        assert answer.status_code == 400 and reason in text_of(answer)
    assert completions_of(session, lena_id) == []


def test_an_undo_needs_a_reason(course, client, session):
    launch = instructor_launch(session, course)
    lena_id = course.learner_ids[0]
    mark(client, launch, lena_id)
    answer = undo(client, launch, lena_id, reason="  ")
    assert answer.status_code == 400 and "needs a reason" in text_of(answer)
    assert len(completions_of(session, lena_id)) == 1


# -- who may do what -----------------------------------------------------------------------------------------


def test_a_form_without_the_csrf_token_is_refused(course, client, session):
    launch = instructor_launch(session, course)
    lena_id = course.learner_ids[0]
    fields = {"launch": launch.id, **member(launch, lena_id)}
    for path in ("/instructor/roster/mark", "/instructor/roster/undo", "/instructor/roster/mark-all",
                 "/instructor/roster/import"):
        assert client.post(path, data=fields).status_code == 400
    assert completions_of(session, lena_id) == []


def test_a_learner_launch_gets_403_on_every_instructor_page(course, client, session):
    from .conftest import learner_launch

    launch = learner_launch(session, course, course.learner_ids[0])
    for path in ("/instructor/roster", "/instructor/overview", "/instructor/overview.csv", "/instructor/submission"):
        assert client.get(f"{path}?launch={launch.id}").status_code == 403
    answer = mark(client, launch, course.learner_ids[0])
    assert answer.status_code == 403
    assert completions_of(session, course.learner_ids[0]) == []


def test_another_courses_placement_is_refused(course, client, session):
    from tests.factories import gen_context, gen_resource_link

    platform = session.get(Platform, course.platform_id)
    other_context = gen_context(session, platform, lti_context_id="99", title="Another course")
    other_link = gen_resource_link(session, other_context, activity=session.get(Activity, course.activity_id))
    session.commit()
    launch = instructor_launch(session, course, link_id=other_link.id)
    assert client.get(f"/instructor/roster?launch={launch.id}").status_code == 403
    assert mark(client, launch, course.learner_ids[0]).status_code == 403
    assert client.get(f"/instructor/submission?launch={launch.id}").status_code == 403
    assert completions_of(session, course.learner_ids[0]) == []


def test_a_form_cannot_name_someone_the_page_did_not_list(course, client, session):
    from tests.factories import gen_official, gen_platform

    launch = instructor_launch(session, course)
    stranger = gen_official(session, platform=gen_platform(session), name="Other Platform Person")
    session.commit()
    forged = {"official": str(stranger.id), "ticket": "0" * 32}
    assert client.post("/instructor/roster/mark", data=form(launch, **forged)).status_code == 404
    # A ticket of another launch does not carry over either.
    other_launch = instructor_launch(session, course)
    lena_id = course.learner_ids[0]
    stolen = member(other_launch, lena_id)
    assert client.post("/instructor/roster/mark", data=form(launch, **stolen)).status_code == 404
    assert completions_of(session, stranger.id) == [] and completions_of(session, lena_id) == []


def test_a_progress_placement_has_no_roster(course, client, session):
    from tests.factories import gen_resource_link

    progress = gen_resource_link(session, session.get(Context, course.context_id), title="My progress")
    session.commit()
    launch = instructor_launch(session, course, link_id=progress.id)
    answer = client.get(f"/instructor/roster?launch={launch.id}")
    assert answer.status_code == 404 and "does not mark a catalogue activity" in text_of(answer)
