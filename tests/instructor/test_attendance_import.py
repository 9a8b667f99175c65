"""Importing an event-registration attendance export: header checked, each bad row reported with its line
number and reason, good rows imported, and importing the same file again changes nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from lti_tool.models import AuditEntry, Completion, Platform
from lti_tool.services.attendance_import import AttendanceFileError, read_attendance
from tests.factories import gen_activity, gen_official, gen_platform

from .conftest import completions_of, form, instructor_launch, text_of

TODAY = dt.date(2025, 12, 1)
HEADER = "registration_id,first_name,last_name,email,municipality,attended,date,hours"
EXPORT = f"""{HEADER}
R-1,Lena,Learner,LEARNER1@example.com,Hartford,yes,2025-11-18,
R-2,Leo,Learner,learner2@example.com,Stamford,yes,2025-11-18,2.5
R-3,Nobody,Known,stranger@example.com,Bristol,yes,2025-11-18,
R-4,Leo,Learner,learner2@example.com,Stamford,no,2025-11-19,
R-5,Bad,Date,learner2@example.com,Stamford,yes,18/11/2025,
R-2,Leo,Learner,learner2@example.com,Stamford,yes,2025-11-18,
R-6,Bad,Row,learner2@example.com,Stamford,maybe,2025-11-18,x
"""


def upload(client, launch, text: str, name: str = "convention.csv"):
    from io import BytesIO

    return client.post("/instructor/roster/import",
                       data=form(launch, attendance_file=(BytesIO(text.encode("utf-8")), name)),
                       content_type="multipart/form-data")


def count_completions(session) -> int:
    count = session.scalar(select(func.count()).select_from(Completion))
    session.commit()
    return count


# -- reading the file ---------------------------------------------------------------------------------------


def test_each_bad_row_is_named_by_its_line_with_every_problem():
    rows, problems = read_attendance(EXPORT, today=TODAY)
    assert [row.registration_id for row in rows] == ["R-1", "R-2", "R-3", "R-4"]
    assert rows[1].hours == Decimal("2.5") and rows[0].hours is None and rows[3].attended is False
    assert [str(problem) for problem in problems] == [
        "line 6: date '18/11/2025' is not a date YYYY-MM-DD",
        "line 7: registration R-2 on 2025-11-18 is already on line 3",
        "line 8: attended must be yes or no, got 'maybe'; 'x' is not a number of hours",
    ]


def test_line_numbers_count_physical_lines_and_skip_blank_ones():
    text = f'{HEADER}\n\nR-1,"Lena\nMarie",Learner,a@example.com,Hartford,yes,2025-11-18,\nR-2,,,b@example.com,,yes,2099-01-01,\n'
    rows, problems = read_attendance(text, today=TODAY)
    assert rows[0].line == 3 and rows[0].first_name == "Lena\nMarie"
    assert [str(p) for p in problems] == ["line 5: date 2099-01-01 is in the future: mark attendance on or after the "
                                          "day it happens"]


def test_rows_with_a_wrong_number_of_fields_and_empty_required_cells_are_refused():
    text = f"{HEADER}\nR-1,Lena\n,,,,,yes,2025-11-18,\nR-3,,,not-an-email,,,2025-11-18,\n"
    _, problems = read_attendance(text, today=TODAY)
    assert [str(p) for p in problems] == [
        "line 2: expected 8 fields as in the header, got 2",
        "line 3: registration_id is empty; email is empty",
        "line 4: 'not-an-email' is not an email address; attended must be yes or no, got ''",
    ]


@pytest.mark.parametrize("text, message", [
    ("", "the file is empty"),
    ("registration_id,email,attended\n", "missing column date"),
    ("registration_id,email,attended,date,ticket_type\n", "unknown column ticket_type"),
    ("registration_id,email,email,attended,date\n", "column email appears twice"),
    ("registration_id;email;attended;date\n", "seems to use semicolons"),
])
def test_a_wrong_header_refuses_the_whole_file(text, message):
    with pytest.raises(AttendanceFileError, match=message):
        read_attendance(text, today=TODAY)


def test_the_columns_may_come_in_any_order_with_a_byte_order_mark():
    rows, problems = read_attendance("\ufeffDate,Email,Attended,Registration_ID\n2025-11-18,a@example.com,Y,R-9\n",
                                     today=TODAY)
    assert problems == [] and rows[0].registration_id == "R-9" and rows[0].attended


# -- importing from the roster page -------------------------------------------------------------------------


def test_good_rows_are_imported_bad_rows_reported_and_a_reimport_changes_nothing(course, client, session):
    launch = instructor_launch(session, course)
    page = upload(client, launch, EXPORT)
    assert page.status_code == 200
    text = text_of(page)
    assert "2 imported, 0 already imported, 1 not attended, 4 refused" in text
    assert "Line Problem 4 no official with the email stranger@example.com on this platform" in text
    assert "6 date '18/11/2025' is not a date YYYY-MM-DD" in text

    lena_id, leo_id = course.learner_ids
    [lena_row] = completions_of(session, lena_id)
    [leo_row] = completions_of(session, leo_id)
    assert (lena_row.source, lena_row.completed_on, lena_row.hours) == ("import", dt.date(2025, 11, 18), Decimal("3.00"))
    assert leo_row.hours == Decimal("2.50")
    assert lena_row.source_key == f"import:attendance:p{course.platform_id}:ethics:2025-11-18:R-1"
    assert lena_row.recorded_by == f"official:{course.instructor_id}" and lena_row.recorded_from == "127.0.0.1"
    assert "registration R-1 (Lena Learner <LEARNER1@example.com>)" in lena_row.evidence

    again = text_of(upload(client, launch, EXPORT))
    assert "0 imported, 2 already imported, 1 not attended, 4 refused" in again
    assert count_completions(session) == 2
    audits = session.scalars(select(AuditEntry).where(AuditEntry.action == "attendance.imported")).all()
    assert len(audits) == 2 and audits[0].details["imported"] == 2 and audits[1].details["imported"] == 0


def test_the_roster_shows_an_imported_attendance_and_mark_all_skips_it(course, client, session):
    launch = instructor_launch(session, course)
    upload(client, launch, f"{HEADER}\nR-1,,,learner1@example.com,,yes,{dt.date.today().isoformat()},\n")
    page = text_of(client.get(f"/instructor/roster?launch={launch.id}"))
    assert f"Also credited with this activity: {dt.date.today().isoformat()} (imported)" in page


def test_an_email_shared_by_two_officials_is_not_guessed(course, client, session):
    platform = session.get(Platform, course.platform_id)
    gen_official(session, platform=platform, name="Lena Twin", email="learner1@example.com")
    session.commit()
    launch = instructor_launch(session, course)
    text = text_of(upload(client, launch, f"{HEADER}\nR-1,,,learner1@example.com,,yes,2025-11-18,\n"))
    assert "2 officials on this platform share the email learner1@example.com" in text
    assert count_completions(session) == 0


def test_officials_of_another_platform_are_never_matched(course, client, session):
    gen_official(session, platform=gen_platform(session), name="Elsewhere", email="elsewhere@example.com")
    session.commit()
    launch = instructor_launch(session, course)
    text = text_of(upload(client, launch, f"{HEADER}\nR-1,,,elsewhere@example.com,,yes,2025-11-18,\n"))
    assert "no official with the email elsewhere@example.com on this platform" in text
    assert count_completions(session) == 0


def test_an_activity_without_catalogue_hours_needs_them_in_the_file(course, client, session):
    from lti_tool.models import ResourceLink

    convention = gen_activity(session, "annual-convention", title="Annual Convention", kind="event", format="event")
    convention.hours = None
    session.get(ResourceLink, course.link_id).activity_id = convention.id
    session.commit()
    launch = instructor_launch(session, course)
    text = text_of(upload(client, launch, f"{HEADER}\nR-1,,,learner1@example.com,,yes,2025-11-18,\n"
                                          "R-2,,,learner2@example.com,,yes,2025-11-18,6\n"))
    assert "hours is empty and Annual Convention has no catalogue hours" in text
    assert [row.hours for row in completions_of(session, course.learner_ids[1])] == [Decimal("6.00")]


def test_an_unreadable_file_is_refused_with_the_reason(course, client, session):
    launch = instructor_launch(session, course)
    from io import BytesIO

    latin = client.post("/instructor/roster/import", content_type="multipart/form-data",
                        data=form(launch, attendance_file=(BytesIO("nom,é\n".encode("latin-1")), "x.csv")))
    assert latin.status_code == 400 and "not UTF-8 text" in text_of(latin)
    header = upload(client, launch, "name,email\n")
    assert header.status_code == 400 and "missing column registration_id, attended, date" in text_of(header)
    nothing = client.post("/instructor/roster/import", data=form(launch))
    assert nothing.status_code == 400 and "Choose the attendance export" in text_of(nothing)


# -- the command ----------------------------------------------------------------------------------------------


def test_the_command_imports_reports_bad_lines_and_exits_1(course, runner, tmp_path, session):
    export = tmp_path / "convention.csv"
    export.write_text(f"{HEADER}\nR-1,,,learner1@example.com,,yes,2025-11-18,\nR-2,,,x@example.com,,yes,2025-11-18,\n")
    first = runner.invoke("attendance", "import", str(export), "--activity", "ethics")
    assert first.exit_code == 1
    assert "1 imported, 0 already imported, 0 not attended, 1 refused" in first.stdout
    assert "convention.csv: line 3: no official with the email x@example.com" in first.stderr
    assert "error: 1 row was not imported" in first.stderr
    assert len(completions_of(session, course.learner_ids[0])) == 1  # the good row stays

    export.write_text(f"{HEADER}\nR-1,,,learner1@example.com,,yes,2025-11-18,\n")
    second = runner.invoke("attendance", "import", str(export), "--activity", "ethics", "--platform",
                           str(course.platform_id))
    assert second.exit_code == 0 and "0 imported, 1 already imported" in second.stdout
    assert len(completions_of(session, course.learner_ids[0])) == 1
    row = completions_of(session, course.learner_ids[0])[0]
    assert row.recorded_by.startswith("cli:") and row.recorded_from == "cli"


def test_the_command_names_what_is_wrong(course, runner, tmp_path, session):
    export = tmp_path / "export.csv"
    export.write_text(f"{HEADER}\n")
    assert "unknown activity 'nope'" in runner.invoke("attendance", "import", str(export), "--activity", "nope").stderr
    assert "no platform 999" in runner.invoke("attendance", "import", str(export), "--activity", "ethics",
                                              "--platform", "999").stderr
    assert "cannot read" in runner.invoke("attendance", "import", str(tmp_path / "missing.csv"),
                                          "--activity", "ethics").stderr
    gen_platform(session)
    session.commit()
    several = runner.invoke("attendance", "import", str(export), "--activity", "ethics")
    assert several.exit_code == 1 and "say which with --platform" in several.stderr
