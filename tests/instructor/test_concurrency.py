"""Two instructors (or two uploads) at the same moment record each completion once: the source key of a mark
or an imported row is the same for the same state, and the database keeps it unique (SQLite file and
PostgreSQL with --db=postgresql)."""

from __future__ import annotations

import threading
from io import BytesIO

from sqlalchemy import func, select

from lti_tool.models import Completion, Platform
from tests.factories import gen_official

from .conftest import completions_of, form, instructor_launch, member

ROUNDS = 3


def at_once(app, path: str, forms: list[dict], **options) -> list:
    """POST each form from its own thread and test client, released together; returns the answers."""
    barrier = threading.Barrier(len(forms))
    answers: list = [None] * len(forms)
    errors: list[BaseException] = []

    def send(index: int, data: dict) -> None:
        client = app.test_client()
        try:
            barrier.wait(timeout=10)
            answers[index] = client.post(path, data=data, **options)
        except BaseException as exc:  # reported by the test thread
            errors.append(exc)

    threads = [threading.Thread(target=send, args=(index, data)) for index, data in enumerate(forms)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    return answers


def test_two_instructors_marking_the_same_learner_at_once_record_one_completion(app, course, session):
    platform = session.get(Platform, course.platform_id)
    second = gen_official(session, platform=platform, name="Ian Instructor")
    session.commit()
    first_launch = instructor_launch(session, course)
    second_launch = instructor_launch(session, course, official_id=second.id)
    for learner_id in course.learner_ids[:1]:
        for _ in range(ROUNDS):
            answers = at_once(app, "/instructor/roster/mark", [
                form(launch, **member(launch, learner_id)) for launch in (first_launch, second_launch)
            ])
            assert [answer.status_code for answer in answers] == [303, 303]
            notices = sorted(answer.headers["Location"].split("notice=")[1].split("&")[0] for answer in answers)
            assert notices == ["already_marked", "marked"]
            rows = completions_of(session, learner_id)
            assert sum(1 for row in rows if row.kind == "record" and not _reversed(rows, row)) == 1
            # Both undo at once: one reversal; then the next round marks anew.
            at_once(app, "/instructor/roster/undo", [
                form(launch, **member(launch, learner_id), reason="test") for launch in (first_launch, second_launch)
            ])
        rows = completions_of(session, learner_id)
        assert [row.kind for row in rows] == ["record", "reversal"] * ROUNDS


def _reversed(rows: list[Completion], record: Completion) -> bool:
    return any(row.kind == "reversal" and row.corrects_id == record.id for row in rows)


def test_the_same_export_uploaded_twice_at_once_records_each_row_once(app, course, session):
    header = "registration_id,first_name,last_name,email,municipality,attended,date,hours"
    export = f"{header}\nR-1,,,learner1@example.com,,yes,2025-11-18,\nR-2,,,learner2@example.com,,yes,2025-11-18,\n" \
             "R-3,,,learner2@example.com,,yes,2025-11-19,\n"
    launch = instructor_launch(session, course)

    answers = at_once(app, "/instructor/roster/import", [
        form(launch, attendance_file=(BytesIO(export.encode()), "convention.csv")) for _ in range(2)
    ], content_type="multipart/form-data")
    assert [answer.status_code for answer in answers] == [200, 200]
    imported = [int(answer.get_data(as_text=True).split(" imported,")[0].rsplit(" ", 1)[1]) for answer in answers]
    assert sum(imported) == 3  # each row recorded by exactly one of the two uploads
    keys = session.scalars(select(Completion.source_key)).all()
    session.commit()
    assert len(keys) == 3 == len(set(keys))
    assert session.scalar(select(func.count()).select_from(Completion)) == 3
