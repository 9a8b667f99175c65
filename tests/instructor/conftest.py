"""Fixtures for the instructor pages: a course with an activity placement (offline, or on the emulated Moodle),
instructor and learner launches, and helpers to open pages and send forms the way the pages do."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

import pytest
from flask import g
from sqlalchemy import select

from lti_tool.models import Completion, Context, Official, Platform, ResourceLink
from lti_tool.web.instructor import member_ticket
from lti_tool.web.security import csrf_token
from tests.factories import (
    INSTRUCTOR_ROLE,
    LEARNER_ROLE,
    gen_activity,
    gen_context,
    gen_launch,
    gen_official,
    gen_platform,
    gen_resource_link,
)
from tests.lms.tool_on_moodle import app_config, moodle, tool_key_pem  # noqa: F401


@dataclass
class Course:
    """A course with one activity placement, an instructor and two learners (ids, for any session)."""

    platform_id: int
    context_id: int
    link_id: int
    activity_id: str
    instructor_id: int
    learner_ids: list[int]

    def official(self, session, official_id: int) -> Official:
        return session.get(Official, official_id)


def instructor_launch(session, course: Course, *, official_id: int | None = None, claims: dict | None = None,
                      link_id: int | None = None, context_id: int | None = None):
    """An instructor launch from the course's placement, committed so that requests can find it."""
    official = session.get(Official, official_id or course.instructor_id)
    launch = gen_launch(
        session, official, roles=[INSTRUCTOR_ROLE],
        context=session.get(Context, context_id or course.context_id),
        resource_link=session.get(ResourceLink, link_id or course.link_id), claims=claims,
    )
    session.commit()
    return launch


def learner_launch(session, course: Course, learner_id: int):
    launch = gen_launch(session, session.get(Official, learner_id), roles=[LEARNER_ROLE],
                        context=session.get(Context, course.context_id),
                        resource_link=session.get(ResourceLink, course.link_id))
    session.commit()
    return launch


def form(launch, **fields) -> dict:
    """What a page's form sends: the launch, its CSRF token, and the fields."""
    return {"launch": launch.id, "csrf_token": csrf_token(launch.id), **fields}


def member(launch, official_id: int) -> dict:
    """The official and ticket fields a roster row's form carries."""
    return {"official": str(official_id), "ticket": member_ticket(launch.id, official_id)}


def mark(client, launch, official_id: int, **fields):
    return client.post("/instructor/roster/mark", data=form(launch, **member(launch, official_id), **fields))


def undo(client, launch, official_id: int, reason: str = "Marked by mistake"):
    return client.post("/instructor/roster/undo", data=form(launch, **member(launch, official_id), reason=reason))


def text_of(response) -> str:
    """The page's text without tags and with collapsed white space, for assertions about what people read."""
    body = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return " ".join(html.unescape(body).split())


def completions_of(session, official_id: int) -> list[Completion]:
    """An official's entries as they are now; the read transaction ends at once (on SQLite it would block the
    requests of other threads)."""
    query = select(Completion).where(Completion.official_id == official_id).order_by(Completion.id)
    rows = list(session.scalars(query.execution_options(populate_existing=True)))
    session.commit()
    return rows


@pytest.fixture(autouse=True)
def _each_request_finds_its_own_launch(request):
    """The test client reuses the test's app context, and with it `g`: forget the previous request's launch
    before anything else runs, as a new request in a server would."""
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")

    def forget_launch() -> None:
        g.pop("_lti_launch", None)

    app.before_request_funcs.setdefault(None, []).insert(0, forget_launch)


@pytest.fixture
def course(app, session) -> Course:
    """An offline course (no NRPS, no AGS): the `ethics` placement, Ivy instructing, Lena and Leo learning."""
    platform = gen_platform(session)
    context = gen_context(session, platform)
    activity = gen_activity(session, "ethics", title="Ethics & Accountability", hours="3")
    link = gen_resource_link(session, context, activity=activity, title="Ethics workshop")
    instructor = gen_official(session, platform=platform, name="Ivy Instructor", sub="3")
    lena = gen_official(session, platform=platform, name="Lena Learner", sub="4", email="learner1@example.com")
    leo = gen_official(session, platform=platform, name="Leo Learner", sub="5", email="learner2@example.com")
    course = Course(platform.id, context.id, link.id, activity.id, instructor.id, [lena.id, leo.id])
    for learner_id in course.learner_ids:
        learner_launch(session, course, learner_id)  # the tool knows them in the course
    session.commit()
    return course


@pytest.fixture
def moodle_course(moodle, session) -> Course:
    """The emulated Moodle's course 2 and placement 1 (`ethics`, line item 2) with instructor1 (user 3); its
    learners (users 4 and 5) become officials when a roster is first opened."""
    platform = session.get(Platform, moodle.platform_id)
    instructor = gen_official(session, platform=platform, name="Ivy Instructor", sub="3",
                              email="instructor1@example.com")
    session.commit()
    return Course(moodle.platform_id, moodle.context_id, moodle.link_id, moodle.activity_id, instructor.id, [])


def official_by_sub(session, platform_id: int, sub: str) -> Official:
    query = select(Official).where(Official.platform_id == platform_id, Official.sub == sub)
    official = session.scalars(query.execution_options(populate_existing=True)).one()
    session.commit()
    return official
