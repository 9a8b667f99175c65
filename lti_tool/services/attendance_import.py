"""Importing an event-registration attendance export (how CCM tracks the Annual Convention) as completions.

The file: UTF-8 text (a byte-order mark is fine), comma-separated, one header line, then one line per
registration and day. Column names are matched without case and in any order:

    registration_id,first_name,last_name,email,municipality,attended,date,hours
    R-1001,Lena,Learner,lena@town.example,Hartford,yes,2025-11-18,
    R-1002,Leo,Learner,leo@town.example,Stamford,no,2025-11-18,

- `registration_id` (required): the registration system's own id of the attendee's registration.
- `email` (required): how the attendee is matched to an official of the platform (case ignored).
- `attended` (required): yes/no (also y/n, true/false, 1/0); "no" rows are skipped.
- `date` (required): the day attended, YYYY-MM-DD, not in the future. A registration may appear once per day.
- `hours` (optional): the hours credited; empty means the activity's catalogue hours (required when the
  activity has none, as the Annual Convention: its programme credit comes from the edition, see PROGRAMS.md).
- `first_name`, `last_name`, `municipality` (optional): shown in messages only; the tool's records of the
  official come from the LMS.

Any other column refuses the whole file, as does a missing required one. Every other problem refuses only its
row, reported as `line N: what is wrong`; the good rows are imported.

Officials are never created from a file: an official is an LMS identity (platform and LMS user id) that an
export cannot supply. An email that matches no official of the platform is reported; the attendee appears once
they open the tool from the LMS or an instructor opens a roster of a course they are in.

Each row's source key is `import:attendance:p<platform>:<activity>:<date>:<registration_id>`, so importing
the same file again, or twice at once, records nothing new.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import engine
from ..engine.dates import parse_day
from ..models import Activity, Completion, Official
from .audit import record_audit
from .certification import refresh_certifications
from .completions import CompletionError, record_completion
from .gradebook import enqueue_completion_score
from .roster import RosterError, check_completion_day, default_credit, parse_credit

REQUIRED_COLUMNS = ("registration_id", "email", "attended", "date")
OPTIONAL_COLUMNS = ("first_name", "last_name", "municipality", "hours")
COLUMNS = ("registration_id", "first_name", "last_name", "email", "municipality", "attended", "date", "hours")
YES = {"yes", "y", "true", "1"}
NO = {"no", "n", "false", "0"}
MAX_REGISTRATION_ID = 100
EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")
IMPORT_SOURCE = "import"


class AttendanceFileError(ValueError):
    """An attendance file that cannot be read at all (not text, no usable header); the message says why."""


@dataclass(frozen=True)
class AttendanceRow:
    """One well-formed line of an attendance export."""

    line: int
    registration_id: str
    email: str
    attended: bool
    date: dt.date
    hours: Decimal | None
    first_name: str = ""
    last_name: str = ""
    municipality: str = ""

    @property
    def who(self) -> str:
        name = " ".join(part for part in (self.first_name, self.last_name) if part)
        return f"{name} <{self.email}>" if name else self.email


@dataclass(frozen=True)
class RowProblem:
    """A line that was not imported, and why."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


def decode_file(data: bytes) -> str:
    """The text of an uploaded file; AttendanceFileError when it is not UTF-8."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise AttendanceFileError(
            "the file is not UTF-8 text: save the export as \"CSV UTF-8 (comma delimited)\" and try again"
        ) from None


def _header(cells: list[str]) -> list[str]:
    names = [cell.strip().lower() for cell in cells]
    if names:
        names[0] = names[0].lstrip("\ufeff")
    problems = []
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    unknown = [name or "(empty)" for name in names if name not in COLUMNS]
    repeated = sorted({name for name in names if name and names.count(name) > 1})
    if missing:
        problems.append(f"missing column {', '.join(missing)}")
    if unknown:
        problems.append(f"unknown column {', '.join(unknown)}")
    if repeated:
        problems.append(f"column {', '.join(repeated)} appears twice")
    if problems:
        hint = " (the file seems to use semicolons; save it comma-separated)" if len(names) == 1 and ";" in names[0] else ""
        raise AttendanceFileError(
            f"line 1: the header must name the columns {','.join(COLUMNS)} "
            f"({'; '.join(problems)}){hint}"
        )
    return names


def _row(line: int, record: dict[str, str], today: dt.date) -> AttendanceRow | str:
    problems = []
    registration_id = record["registration_id"]
    if not registration_id:
        problems.append("registration_id is empty")
    elif len(registration_id) > MAX_REGISTRATION_ID:
        problems.append(f"registration_id is longer than {MAX_REGISTRATION_ID} characters")
    email = record["email"]
    if not email:
        problems.append("email is empty")
    elif not EMAIL.match(email):
        problems.append(f"{email!r} is not an email address")
    attended_text = record["attended"].lower()
    if attended_text not in YES | NO:
        problems.append(f"attended must be yes or no, got {record['attended']!r}")
    day = None
    if not record["date"]:
        problems.append("date is empty")
    else:
        try:
            day = check_completion_day(parse_day(record["date"]), today)
        except ValueError as exc:  # RosterError is one too
            problems.append(f"date {exc}")
    hours = None
    try:
        hours = parse_credit(record.get("hours"))
    except RosterError as exc:
        problems.append(str(exc))
    if problems:
        return "; ".join(problems)
    return AttendanceRow(
        line=line,
        registration_id=registration_id,
        email=email,
        attended=attended_text in YES,
        date=day,
        hours=hours,
        first_name=record.get("first_name", ""),
        last_name=record.get("last_name", ""),
        municipality=record.get("municipality", ""),
    )


def read_attendance(text: str, *, today: dt.date) -> tuple[list[AttendanceRow], list[RowProblem]]:
    """The well-formed rows of an attendance export and a problem for each other row (by line number).
    Raises AttendanceFileError when the file is empty or its header is wrong."""
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[AttendanceRow] = []
    problems: list[RowProblem] = []
    seen: dict[tuple[str, dt.date], int] = {}
    previous_end = 0
    names: list[str] | None = None
    try:
        for cells in reader:
            line, previous_end = previous_end + 1, reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if names is None:
                names = _header(cells)
                continue
            if len(cells) != len(names):
                problems.append(RowProblem(line, f"expected {len(names)} fields as in the header, got {len(cells)}"))
                continue
            parsed = _row(line, dict(zip(names, (cell.strip() for cell in cells))), today)
            if isinstance(parsed, str):
                problems.append(RowProblem(line, parsed))
                continue
            first = seen.setdefault((parsed.registration_id, parsed.date), line)
            if first != line:
                problems.append(RowProblem(
                    line, f"registration {parsed.registration_id} on {parsed.date.isoformat()} is already on line {first}"
                ))
                continue
            rows.append(parsed)
    except csv.Error as exc:
        raise AttendanceFileError(f"line {reader.line_num}: the file is not valid CSV ({exc})") from None
    if names is None:
        raise AttendanceFileError(f"the file is empty: expected the header {','.join(COLUMNS)}")
    return rows, problems


@dataclass
class AttendanceReport:
    """What an import did, line by line."""

    activity_id: str
    imported: list[tuple[AttendanceRow, Completion]] = field(default_factory=list)
    unchanged: list[tuple[AttendanceRow, Completion]] = field(default_factory=list)
    not_attended: list[AttendanceRow] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)

    def summary(self) -> str:
        """One line: how many rows were imported, already there, skipped and refused."""
        return (f"{len(self.imported)} imported, {len(self.unchanged)} already imported, "
                f"{len(self.not_attended)} not attended, {len(self.problems)} refused")


def source_key(platform_id: int, activity: Activity, row: AttendanceRow) -> str:
    """The source key of one row: stable across re-imports of the same export."""
    return f"import:attendance:p{platform_id}:{activity.id}:{row.date.isoformat()}:{row.registration_id}"


def _officials_by_email(session: Session, platform_id: int, emails: set[str]) -> dict[str, list[Official]]:
    if not emails:
        return {}
    found: dict[str, list[Official]] = {}
    for official in session.scalars(
        select(Official)
        .where(Official.platform_id == platform_id, func.lower(Official.email).in_(sorted(emails)))
        .order_by(Official.id)
    ):
        found.setdefault(official.email.lower(), []).append(official)
    return found


def import_attendance(
    session: Session,
    text: str,
    *,
    platform_id: int,
    activity: Activity,
    actor: str,
    rulebook: engine.RuleBook,
    as_of: dt.date,
    origin: str | None = None,
    file_name: str | None = None,
) -> AttendanceReport:
    """Record a completion of `activity` for each attended row whose email names one official of the platform;
    report every other row. Re-importing records nothing new. Scores are queued and certifications refreshed
    for the officials who gained a completion. Raises AttendanceFileError for an unreadable file."""
    rows, problems = read_attendance(text, today=as_of)
    report = AttendanceReport(activity_id=activity.id, problems=problems)
    officials = _officials_by_email(session, platform_id, {row.email.lower() for row in rows if row.attended})
    credited: dict[int, Official] = {}
    for row in rows:
        if not row.attended:
            report.not_attended.append(row)
            continue
        matches = officials.get(row.email.lower(), [])
        if not matches:
            report.problems.append(RowProblem(row.line, f"no official with the email {row.email} on this platform "
                                                        "(they appear once they open the tool from the LMS)"))
            continue
        if len(matches) > 1:
            report.problems.append(RowProblem(row.line, f"{len(matches)} officials on this platform share the email "
                                                        f"{row.email}; record this attendance by hand"))
            continue
        if row.hours is None and default_credit(activity) is None:
            report.problems.append(RowProblem(row.line, f"hours is empty and {activity.title} has no catalogue hours: "
                                                        "give the hours attended"))
            continue
        official = matches[0]
        try:
            completion, created = record_completion(
                session,
                official=official,
                activity=activity,
                completed_on=row.date,
                source=IMPORT_SOURCE,
                source_key=source_key(platform_id, activity, row),
                recorded_by=actor,
                hours=row.hours,
                recorded_from=origin,
                evidence=f"registration {row.registration_id} ({row.who}) in the attendance export"
                         + (f" {file_name}" if file_name else ""),
            )
        except CompletionError as exc:
            report.problems.append(RowProblem(row.line, str(exc)))
            continue
        if created:
            report.imported.append((row, completion))
            enqueue_completion_score(session, completion, actor=actor, origin=origin)
            credited[official.id] = official
        else:
            report.unchanged.append((row, completion))
    for official in credited.values():
        refresh_certifications(session, official, rulebook, as_of=as_of, actor=actor)
    report.problems.sort(key=lambda problem: problem.line)
    record_audit(
        session,
        actor=actor,
        action="attendance.imported",
        subject_type="activity",
        subject_id=activity.id,
        origin=origin,
        details={
            "platform_id": platform_id,
            "file_name": file_name,
            "imported": len(report.imported),
            "unchanged": len(report.unchanged),
            "not_attended": len(report.not_attended),
            "refused": [str(problem) for problem in report.problems][:200],
        },
    )
    return report
