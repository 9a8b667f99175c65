"""Reports read from the records: an official's transcript, the officials newly certified in a period (for CCM's
press release and magazine story) and the continuing-education lapse report."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal
from typing import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from .. import engine
from ..models import (
    Activity,
    Certification,
    CertificationStatusChange,
    Municipality,
    Official,
)
from .completions import EffectiveCompletion, effective_completions
from .progress import official_progress
from .roster import credit_unit

SOURCE_WORDS = {
    "instructor": "Marked by the instructor",
    "lms_grade": "Grade in the LMS",
    "import": "Imported",
    "admin": "Recorded by an administrator",
    "self_report": "Self-reported",
}


def csv_text(rows: Iterable[Sequence[object]]) -> str:
    """Rows as CSV text (header first), with cells that a spreadsheet would run as formulas neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([_safe_cell("" if cell is None else str(cell)) for cell in row])
    return buffer.getvalue()


def _safe_cell(text: str) -> str:
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_number(text) else text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


# -------------------------------------------------------------------------------------------------- transcript


@dataclass(frozen=True)
class TranscriptRow:
    """One completion as the transcript lists it."""

    completion_id: int
    completed_on: dt.date
    activity_id: str
    title: str
    credit: Decimal
    unit: str
    source: str
    areas: tuple[str, ...]
    format: str
    provider: str
    status: str
    note: str

    @property
    def counts(self) -> bool:
        return self.status == "Counts"


def _term(terms, term_id: str | None) -> str:
    term = terms.get(term_id) if term_id else None
    return term.title if term is not None else (term_id or "")


def transcript_rows(session: Session, official_id: int, rulebook: engine.RuleBook,
                    effective: list[EffectiveCompletion] | None = None) -> list[TranscriptRow]:
    """Every completion on the official's record, oldest first, with what it stands for and whether it counts."""
    items = effective if effective is not None else effective_completions(session, official_id)
    ids = {item.activity_id for item in items}
    activities = ({row.id: row for row in session.scalars(select(Activity).where(Activity.id.in_(ids)))}
                  if ids else {})
    vocabulary = rulebook.catalogue
    area_titles = {area.id: area.title for area in vocabulary.areas}
    rows = []
    for item in items:
        activity = activities.get(item.activity_id)
        current = item.current
        areas = current.areas if current.areas is not None else (activity.areas if activity else [])
        if item.reversed:
            status, note = "Reversed", (item.reversal.reason or "") if item.reversal else ""
        elif item.pending_approval:
            status, note = "Awaiting approval", ""
        else:
            status, note = "Counts", (current.reason or "") if current is not item.root else ""
        rows.append(TranscriptRow(
            completion_id=item.id, completed_on=item.completed_on, activity_id=item.activity_id,
            title=activity.title if activity else item.activity_id, credit=current.hours,
            unit=credit_unit(activity) if activity else "hours", source=SOURCE_WORDS.get(item.root.source, item.root.source),
            areas=tuple(area_titles.get(area, area) for area in areas),
            format=_term(vocabulary.formats, current.format or (activity.format if activity else None)),
            provider=_term(vocabulary.providers, current.provider or (activity.provider if activity else None)),
            status=status, note=note,
        ))
    return rows


def transcript_csv(rows: list[TranscriptRow]) -> str:
    """The transcript as CSV: one line per completion."""
    header = ["date", "activity", "credit", "unit", "source", "areas", "format", "provider", "status", "note"]
    return csv_text([header, *[
        [row.completed_on.isoformat(), row.title, format(row.credit.normalize(), "f"), row.unit, row.source,
         "; ".join(row.areas), row.format, row.provider, row.status, row.note]
        for row in rows
    ]])


# --------------------------------------------------------------------------------------------- newly certified


@dataclass(frozen=True)
class CertifiedRow:
    """An official certified in the period."""

    official_id: int
    name: str
    email: str | None
    municipality: str | None
    program: str
    edition_title: str
    certified_on: dt.date
    standing: str


def _scoped(statement, platform_id: int | None):
    return statement.where(Official.platform_id == platform_id) if platform_id is not None else statement


def newly_certified(session: Session, rulebook: engine.RuleBook, start: dt.date, end: dt.date, *,
                    platform_id: int | None = None) -> list[CertifiedRow]:
    """Officials certified from `start` to `end` (inclusive), by date then name; one platform's unless None."""
    statement = _scoped(
        select(Certification, Official, Municipality)
        .join(Official, Official.id == Certification.official_id)
        .outerjoin(Municipality, Municipality.id == Official.municipality_id)
        .where(Certification.certified_on >= start, Certification.certified_on <= end)
        .options(selectinload(Certification.status_changes)),
        platform_id,
    )
    rows = []
    for certification, official, municipality in session.execute(statement):
        edition = rulebook.editions.get(certification.edition_id)
        program = rulebook.programs.get(certification.program)
        rows.append(CertifiedRow(
            official_id=official.id, name=official.display_name, email=official.email,
            municipality=municipality.name if municipality else None,
            program=program.abbreviation if program else certification.program,
            edition_title=edition.title if edition else certification.edition_id,
            certified_on=certification.certified_on, standing=certification.standing,
        ))
    rows.sort(key=lambda row: (row.certified_on, row.name.casefold()))
    return rows


def newly_certified_csv(rows: list[CertifiedRow]) -> str:
    """The newly certified list as CSV."""
    header = ["certified_on", "name", "municipality", "programme", "edition", "email", "standing"]
    return csv_text([header, *[[row.certified_on.isoformat(), row.name, row.municipality or "", row.program,
                                row.edition_title, row.email or "", row.standing] for row in rows]])


# ------------------------------------------------------------------------------------------------- lapses


@dataclass(frozen=True)
class LapseRow:
    """A certification that lapsed in the period, or whose current cycle ends in it unmet."""

    official_id: int
    name: str
    municipality: str | None
    program: str
    kind: str  # "lapsed" or "at_risk"
    day: dt.date
    detail: str


def lapse_report(session: Session, rulebook: engine.RuleBook, start: dt.date, end: dt.date, as_of: dt.date, *,
                 platform_id: int | None = None) -> list[LapseRow]:
    """Certifications whose continuing education lapsed from `start` to `end`, and those still held whose
    current cycle ends by `end` with work or fee outstanding (at risk), by date then name."""
    rows: list[LapseRow] = []
    lapsed = _scoped(
        select(CertificationStatusChange, Certification, Official, Municipality)
        .join(Certification, Certification.id == CertificationStatusChange.certification_id)
        .join(Official, Official.id == Certification.official_id)
        .outerjoin(Municipality, Municipality.id == Official.municipality_id)
        .where(CertificationStatusChange.status == "lapsed", CertificationStatusChange.effective_on >= start,
               CertificationStatusChange.effective_on <= end),
        platform_id,
    )
    for change, certification, official, municipality in session.execute(lapsed):
        rows.append(LapseRow(official.id, official.display_name, municipality.name if municipality else None,
                             _abbreviation(rulebook, certification.program), "lapsed", change.effective_on,
                             change.reason))
    held = _scoped(
        select(Official).join(Certification, Certification.official_id == Official.id).distinct(), platform_id)
    for official in session.scalars(held):
        for progress in official_progress(session, official, rulebook, as_of, with_plan=False):
            continuing = progress.continuing
            if continuing is None or continuing.standing == "lapsed" or not continuing.cycles:
                continue
            if progress.certification is None or progress.certification.standing != "active":
                continue
            cycle = continuing.cycles[-1]
            if cycle.state in ("current", "due") and cycle.last_day <= end and cycle.last_day >= start:
                rows.append(LapseRow(official.id, official.display_name,
                                     official.municipality.name if official.municipality else None,
                                     progress.edition.program_abbreviation, "at_risk", cycle.last_day,
                                     "; ".join(cycle.unmet)))
    rows.sort(key=lambda row: (row.day, row.name.casefold()))
    return rows


def lapse_report_csv(rows: list[LapseRow]) -> str:
    """The lapse report as CSV."""
    header = ["kind", "date", "name", "municipality", "programme", "detail"]
    return csv_text([header, *[[row.kind, row.day.isoformat(), row.name, row.municipality or "", row.program,
                                row.detail] for row in rows]])


def _abbreviation(rulebook: engine.RuleBook, program: str) -> str:
    found = rulebook.programs.get(program)
    return found.abbreviation if found else program
