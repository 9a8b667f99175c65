"""The course overview (every learner's progress, sortable, exportable) and the submission review (one
official's record of the placement's activity, with its history)."""

from __future__ import annotations

import csv
import datetime as dt
import io

from lti_tool.lti import claims as c
from lti_tool.models import Activity, Context, Official, Platform
from tests.factories import gen_completion, gen_context, gen_enrollment, gen_launch, gen_official, gen_platform

from .conftest import instructor_launch, mark, member, text_of, undo


def enrolled_course(session, course):
    """Lena enrolled in the CCMO Academy with 3 of 18 hours; Leo not enrolled; someone of another course."""
    lena = session.get(Official, course.learner_ids[0])
    gen_enrollment(session, lena, "ccmo-academy", on=dt.date.today() - dt.timedelta(days=60))
    gen_completion(session, lena, session.get(Activity, course.activity_id), dt.date.today() - dt.timedelta(days=10))
    platform = session.get(Platform, course.platform_id)
    elsewhere = gen_context(session, platform, lti_context_id="77", title="Another course")
    outsider = gen_official(session, platform=platform, name="Olga Outsider")
    gen_launch(session, outsider, context=elsewhere)
    session.commit()
    return lena


def test_the_overview_lists_each_learner_with_their_programme_progress(course, client, session):
    enrolled_course(session, course)
    launch = instructor_launch(session, course)
    page = client.get(f"/instructor/overview?launch={launch.id}")
    assert page.status_code == 200
    text = text_of(page)
    deadline = (dt.date.today() - dt.timedelta(days=60)).replace(year=dt.date.today().year + 2) - dt.timedelta(days=1)
    assert f"Lena Learner learner1@example.com CCMO In progress 3 / 18 hours {deadline.isoformat()}" in text
    assert "Leo Learner learner2@example.com — Not enrolled — —" in text
    assert "Olga Outsider" not in text and "Ivy Instructor" not in text.split("Course overview", 2)[-1]


def test_the_overview_sorts_on_the_server_and_says_how(course, client, session):
    enrolled_course(session, course)
    launch = instructor_launch(session, course)
    by_name_desc = client.get(f"/instructor/overview?launch={launch.id}&sort=name&dir=desc").get_data(as_text=True)
    assert by_name_desc.index("Leo Learner") < by_name_desc.index("Lena Learner")
    assert 'aria-sort="descending"' in by_name_desc and "(sorted descending)" in by_name_desc
    by_earned = client.get(f"/instructor/overview?launch={launch.id}&sort=earned&dir=desc").get_data(as_text=True)
    assert by_earned.index("Lena Learner") < by_earned.index("Leo Learner")  # no value sorts last either way
    by_earned_asc = client.get(f"/instructor/overview?launch={launch.id}&sort=earned").get_data(as_text=True)
    assert by_earned_asc.index("Lena Learner") < by_earned_asc.index("Leo Learner")
    # The heading links are plain links (keyboard reachable) that carry the launch and the next order.
    assert f'href="/instructor/overview?sort=name&amp;dir=asc&amp;launch={launch.id}"' in by_name_desc
    unknown = client.get(f"/instructor/overview?launch={launch.id}&sort=drop+table")
    assert unknown.status_code == 200 and 'aria-sort="ascending"' in unknown.get_data(as_text=True)


def test_the_overview_downloads_as_csv_in_the_same_order(course, client, session):
    lena = enrolled_course(session, course)
    lena.name = "=HYPERLINK(\"http://evil.example\")"
    session.commit()
    launch = instructor_launch(session, course)
    answer = client.get(f"/instructor/overview.csv?launch={launch.id}&sort=name&dir=asc")
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert answer.headers["Content-Disposition"].startswith('attachment; filename="overview-')
    rows = list(csv.reader(io.StringIO(answer.get_data(as_text=True))))
    assert rows[0] == ["name", "email", "programme", "edition", "status", "earned", "required", "unit", "deadline",
                       "certified_on"]
    assert rows[1][0] == "'=HYPERLINK(\"http://evil.example\")"  # shown as text, never run as a formula
    assert rows[1][2:8] == ["CCMO", "ccmo-academy", "In progress", "3", "18", "hours"]
    assert rows[2][:5] == ["Leo Learner", "learner2@example.com", "", "", "Not enrolled"]


def test_the_overview_needs_a_course(course, client, session):
    launch = gen_launch(session, session.get(Official, course.instructor_id),
                        roles=["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"])
    session.commit()
    assert client.get(f"/instructor/overview?launch={launch.id}").status_code == 404


def test_a_submission_review_shows_the_history_of_the_activity(course, client, session):
    launch = instructor_launch(session, course)
    lena_id = course.learner_ids[0]
    mark(client, launch, lena_id, completed_on="2025-03-04")
    undo(client, launch, lena_id, reason="Left at the break")
    mark(client, launch, lena_id, completed_on="2025-03-05")
    review = instructor_launch(session, course, claims={c.FOR_USER: {"user_id": "4"}})
    page = client.get(f"/instructor/submission?launch={review.id}")
    assert page.status_code == 200
    text = text_of(page)
    assert "Submission review: Lena Learner" in text
    assert "Marked on 2025-03-05 (3 hours) by Ivy Instructor" in text
    assert "Ethics & Accountability, 2025-03-04: 3 hours (reversed)" in text
    assert "Ethics & Accountability, 2025-03-05: 3 hours (counts)" in text
    assert "by Ivy Instructor (marked by an instructor through “Ethics workshop”)" in text
    assert "Reversed" in text and "Reason: Left at the break" in text


def test_a_submission_review_can_undo_and_come_back(course, client, session):
    launch = instructor_launch(session, course, claims={c.FOR_USER: {"user_id": "4"}})
    lena_id = course.learner_ids[0]
    answer = mark(client, launch, lena_id, return_to="submission")
    assert answer.status_code == 303 and answer.headers["Location"].startswith("/instructor/submission?")
    assert "Lena Learner is marked attended." in text_of(client.get(answer.headers["Location"]))


def test_a_submission_review_of_someone_unknown_says_so(course, client, session):
    other = gen_official(session, platform=gen_platform(session), name="Other Platform", sub="42")
    session.commit()
    launch = instructor_launch(session, course, claims={c.FOR_USER: {"user_id": "42"}})
    text = text_of(client.get(f"/instructor/submission?launch={launch.id}"))
    assert "LMS user 42 has not opened the tool yet" in text and other.display_name not in text


def test_a_roster_link_opens_the_review_only_with_its_ticket(course, client, session):
    launch = instructor_launch(session, course)
    lena_id = course.learner_ids[0]
    ticket = member(launch, lena_id)["ticket"]
    good = client.get(f"/instructor/submission?launch={launch.id}&official={lena_id}&ticket={ticket}")
    assert good.status_code == 200 and "Submission review: Lena Learner" in text_of(good)
    forged = client.get(f"/instructor/submission?launch={launch.id}&official={lena_id}&ticket={'0' * 32}")
    assert forged.status_code == 404


def test_a_progress_placement_reviews_every_record(course, client, session):
    from tests.factories import gen_activity, gen_resource_link

    lena = session.get(Official, course.learner_ids[0])
    gen_completion(session, lena, gen_activity(session, "budgets", title="Budgets/Finance"), "2025-02-01")
    progress = gen_resource_link(session, session.get(Context, course.context_id), title="My progress")
    session.commit()
    launch = instructor_launch(session, course, link_id=progress.id, claims={c.FOR_USER: {"user_id": "4"}})
    text = text_of(client.get(f"/instructor/submission?launch={launch.id}"))
    assert "Every record" in text and "Budgets/Finance, 2025-02-01: 3 hours (counts)" in text


def test_the_overview_lists_the_platforms_learners_and_survives_an_outage(moodle, moodle_course, client, session):
    launch = instructor_launch(session, moodle_course)
    text = text_of(client.get(f"/instructor/overview?launch={launch.id}"))
    assert "Lena Learner learner1@example.com — Not enrolled" in text and "Leo Learner" in text
    assert "could not be read" not in text
    moodle.emulator.fault("/mod/lti/services.php/CourseSection/", "down")
    page = client.get(f"/instructor/overview?launch={launch.id}")
    assert page.status_code == 200 and "could not be read from the platform" in text_of(page)
