"""Course memberships: whoever the tool saw in a course (by a launch or the platform's member list) stays on the
course's roster while the member list cannot be read, long after their launch expired; instructors are never
listed as learners; remembering the same members at once from two requests records each membership once."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.db import db
from lti_tool.lms import Member
from lti_tool.lti import claims as c
from lti_tool.models import Context, CourseMembership, Deployment, Launch, Official, utcnow
from lti_tool.services import roster
from lti_tool.services.launches import purge_expired, store_launch
from lti_tool.services.members import remember_members
from tests.factories import INSTRUCTOR_ROLE, LEARNER_ROLE

from .conftest import instructor_launch, official_by_sub, text_of

NRPS_PATH = "/mod/lti/services.php/CourseSection/"


def launch_once(session, context: Context, sub: str, name: str, role: str, *, hours_ago: int = 0) -> int:
    """Store a launch from the course the way the launch endpoint does, and return the official's id."""
    deployment = session.scalars(select(Deployment).where(Deployment.platform_id == context.platform_id)).first()
    now = utcnow() - timedelta(hours=hours_ago)
    claims = {
        "sub": sub,
        "name": name,
        c.MESSAGE_TYPE: "LtiResourceLinkRequest",
        c.ROLES: [role],
        c.CONTEXT: {"id": context.lti_context_id, "label": context.label, "title": context.title},
    }
    stored = store_launch(session, launch_id=str(uuid.uuid4()), platform_id=context.platform_id,
                          deployment_id=deployment.id, claims=claims, expires_at=now + timedelta(hours=1), now=now)
    session.commit()
    return stored.official_id


def memberships_of(session, context_id: int) -> dict[int, CourseMembership]:
    query = select(CourseMembership).where(CourseMembership.context_id == context_id)
    rows = {row.official_id: row for row in session.scalars(query.execution_options(populate_existing=True))}
    session.commit()
    return rows


def roster_text_while_the_platform_is_down(moodle, client, launch) -> str:
    moodle.emulator.fault(NRPS_PATH, "down")
    try:
        page = client.get(f"/instructor/roster?launch={launch.id}")
    finally:
        moodle.emulator.clear_faults()
    assert page.status_code == 200
    text = text_of(page)
    assert "could not be read from the platform" in text
    return text


def test_a_learner_whose_only_launch_expired_stays_on_the_roster_while_the_platform_is_down(
        moodle, moodle_course, client, session):
    context = session.get(Context, moodle.context_id)
    nina = launch_once(session, context, "77", "Nina Newcomer", LEARNER_ROLE, hours_ago=3)
    purge_expired(session, utcnow())
    session.commit()
    assert session.scalars(select(Launch).where(Launch.official_id == nina)).first() is None

    text = roster_text_while_the_platform_is_down(moodle, client, instructor_launch(session, moodle_course))
    assert "Nina Newcomer" in text
    membership = memberships_of(session, moodle.context_id)[nina]
    assert (membership.roles, membership.source) == (["learner"], "launch")


def test_members_read_from_the_platform_are_remembered_with_their_roles(moodle, moodle_course, client, session):
    launch = instructor_launch(session, moodle_course)
    assert "could not be read" not in text_of(client.get(f"/instructor/roster?launch={launch.id}"))
    lena, leo = (official_by_sub(session, moodle.platform_id, sub) for sub in ("4", "5"))
    memberships = memberships_of(session, moodle.context_id)
    assert {official_id: (row.roles, row.source) for official_id, row in memberships.items()} == {
        lena.id: (["learner"], "nrps"), leo.id: (["learner"], "nrps"),
    }
    # Neither launched nor was credited: only the remembered membership keeps them listed.
    text = roster_text_while_the_platform_is_down(moodle, client, launch)
    assert "Lena Learner" in text and "Leo Learner" in text


def test_instructors_are_remembered_but_not_listed_as_learners(course, session):
    context = session.get(Context, course.context_id)
    members = [Member("30", (INSTRUCTOR_ROLE,), name="Ian Instructor"), Member("40", (LEARNER_ROLE,), name="Lou Learner")]
    officials = remember_members(session, course.platform_id, members, context_id=context.id)
    teacher = launch_once(session, context, "31", "Tess Teacher", INSTRUCTOR_ROLE)
    memberships = memberships_of(session, context.id)
    assert memberships[officials["30"].id].roles == ["instructor"]
    assert memberships[teacher].roles == ["instructor"]
    listed = {official.display_name for official in roster.known_course_officials(session, context)}
    assert "Lou Learner" in listed
    assert not listed & {"Ian Instructor", "Tess Teacher"}


def test_a_later_launch_refreshes_the_roles_and_keeps_when_the_member_was_first_seen(course, session):
    context = session.get(Context, course.context_id)
    official_id = launch_once(session, context, "50", "Sam Switcher", LEARNER_ROLE, hours_ago=5)
    first = memberships_of(session, context.id)[official_id]
    first_seen, last_seen = first.first_seen_at, first.last_seen_at
    launch_once(session, context, "50", "Sam Switcher", INSTRUCTOR_ROLE)
    again = memberships_of(session, context.id)[official_id]
    assert again.roles == ["instructor"]
    assert again.first_seen_at == first_seen and again.last_seen_at > last_seen
    assert official_id not in {official.id for official in roster.known_course_officials(session, context)}


def test_two_requests_remembering_the_same_members_at_once_both_succeed(course, session):
    members = [Member(str(100 + index), (LEARNER_ROLE,), name=f"Learner {index}") for index in range(40)]
    rounds, barrier, errors = 3, threading.Barrier(2), []

    def remember() -> None:
        try:
            for _ in range(rounds):
                with Session(db.engine) as own:
                    barrier.wait(timeout=10)
                    remember_members(own, course.platform_id, members, context_id=course.context_id)
                    own.commit()
        except BaseException as exc:  # reported by the test thread
            errors.append(exc)

    threads = [threading.Thread(target=remember) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    memberships = memberships_of(session, course.context_id)
    subs = set(session.scalars(select(Official.sub).where(Official.id.in_(list(memberships)))))
    assert {member.user_id for member in members} <= subs
    assert sum(1 for row in memberships.values() if row.source == "nrps") == len(members)
