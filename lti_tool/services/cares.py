"""CCM CARES in Action: recording where each municipality stands on its seven action items (append-only:
the latest update of an item is its current state), the monthly progress report across municipalities, and
the recognitions earned (evaluated by the engine, issued as badges)."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import engine
from ..engine.cares import IMPLEMENTED, IN_PROGRESS, NOT_STARTED, STATES
from ..engine.rules import CaresRules
from ..models import Activity, CaresItemUpdate, Completion, Credential, Municipality, Official
from . import credentials
from .audit import record_audit
from .completions import build_effective

STATE_WORDS = {NOT_STARTED: "Not started", IN_PROGRESS: "In progress", IMPLEMENTED: "Implemented"}


class CaresError(ValueError):
    """A CARES update that cannot be recorded, with the reason in words."""


def record_item_update(session: Session, cares: CaresRules, municipality: Municipality, item_id: str, *,
                       state: str, effective_on: dt.date, actor: str, evidence_url: str | None = None,
                       reviewer: str | None = None, note: str | None = None,
                       origin: str | None = None) -> CaresItemUpdate:
    """Record that a municipality's action item moved to `state` on `effective_on` (a new row; the latest one is
    the item's state). Implemented needs the evidence link and the CCM reviewer who confirmed it."""
    known = {item.id for item in cares.items}
    if item_id not in known:
        raise CaresError(f"unknown action item {item_id!r} (known: {', '.join(sorted(known))})")
    if state not in STATES:
        raise CaresError(f"unknown state {state!r} (known: {', '.join(STATES)})")
    evidence_url = (evidence_url or "").strip() or None
    reviewer = (reviewer or "").strip() or None
    if evidence_url is not None:
        parts = urlsplit(evidence_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise CaresError(f"the evidence link must be a web address starting with https://, got {evidence_url!r}")
    if state == IMPLEMENTED and (evidence_url is None or reviewer is None):
        missing = " and ".join(name for name, value in (("an evidence link", evidence_url),
                                                        ("the CCM reviewer", reviewer)) if value is None)
        raise CaresError(f"an implemented item needs {missing}")
    update = CaresItemUpdate(
        municipality_id=municipality.id, item_id=item_id, state=state, effective_on=effective_on,
        evidence_url=evidence_url, reviewer=reviewer, note=(note or "").strip() or None, recorded_by=actor,
    )
    session.add(update)
    session.flush()
    record_audit(session, actor=actor, action="cares.item_updated", subject_type="municipality",
                 subject_id=municipality.id, origin=origin,
                 details={"item_id": item_id, "state": state, "effective_on": effective_on.isoformat(),
                          "evidence_url": evidence_url, "reviewer": reviewer})
    return update


def item_history(session: Session, municipality_id: int) -> list[CaresItemUpdate]:
    """Every update of a municipality's action items, newest first."""
    return list(session.scalars(
        select(CaresItemUpdate).where(CaresItemUpdate.municipality_id == municipality_id)
        .order_by(CaresItemUpdate.recorded_at.desc(), CaresItemUpdate.id.desc())
    ))


def _progress(updates: list[CaresItemUpdate], as_of: dt.date) -> list[engine.ActionItemProgress]:
    """The engine's view of one municipality's updates in force on `as_of` (latest recorded wins per item)."""
    by_item: dict[str, list[CaresItemUpdate]] = {}
    for update in sorted(updates, key=lambda row: row.id):
        if update.effective_on <= as_of:
            by_item.setdefault(update.item_id, []).append(update)
    result = []
    for item_id, rows in by_item.items():
        latest = rows[-1]
        started_on = None
        for row in rows:
            if row.state == NOT_STARTED:
                started_on = None
            elif started_on is None:
                started_on = row.effective_on
        result.append(engine.ActionItemProgress(
            item_id=item_id, state=latest.state, started_on=started_on,
            implemented_on=latest.effective_on if latest.state == IMPLEMENTED else None,
            evidence=latest.evidence_url, reviewed_by=latest.reviewer,
        ))
    return result


def _attendance(session: Session, cares: CaresRules, municipality_ids: list[int],
                platform_id: int | None) -> dict[int, list[engine.TrainingAttendance]]:
    """CARES trainings attended by the officials of each municipality (one platform's officials unless None)."""
    if not municipality_ids or not cares.trainings:
        return {}
    statement = (select(Completion, Official)
                 .join(Official, Official.id == Completion.official_id)
                 .where(Official.municipality_id.in_(municipality_ids)))
    if platform_id is not None:
        statement = statement.where(Official.platform_id == platform_id)
    rows = session.execute(statement).all()
    officials = {official.id: official for _, official in rows}
    result: dict[int, list[engine.TrainingAttendance]] = {}
    for item in build_effective(completion for completion, _ in rows):
        if item.activity_id not in cares.trainings or not item.counts:
            continue
        official = officials[item.root.official_id]
        result.setdefault(official.municipality_id, []).append(engine.TrainingAttendance(
            official_id=str(official.id), official_name=official.display_name, activity_id=item.activity_id,
            date=item.completed_on,
        ))
    return result


def municipality_status(session: Session, cares: CaresRules, municipality: Municipality, as_of: dt.date, *,
                        platform_id: int | None = None) -> engine.CaresStatus:
    """Where a municipality stands on `as_of`: its items, recognitions and CARES-trained officials."""
    attendance = _attendance(session, cares, [municipality.id], platform_id).get(municipality.id, [])
    return engine.evaluate_cares(cares, municipality.name, _progress(item_history(session, municipality.id), as_of),
                                 attendance, as_of)


def all_statuses(session: Session, cares: CaresRules, as_of: dt.date, *,
                 platform_id: int | None = None) -> list[tuple[Municipality, engine.CaresStatus]]:
    """Every municipality's CARES status on `as_of`, by name (two queries however many municipalities)."""
    municipalities = list(session.scalars(select(Municipality).order_by(Municipality.name)))
    updates: dict[int, list[CaresItemUpdate]] = {}
    for row in session.scalars(select(CaresItemUpdate)):
        updates.setdefault(row.municipality_id, []).append(row)
    attendance = _attendance(session, cares, [m.id for m in municipalities], platform_id)
    return [
        (municipality, engine.evaluate_cares(cares, municipality.name,
                                             _progress(updates.get(municipality.id, []), as_of),
                                             attendance.get(municipality.id, []), as_of))
        for municipality in municipalities
    ]


@dataclass(frozen=True)
class MonthlyRow:
    """One municipality in a month's CARES progress report."""

    municipality: str
    municipality_id: int
    states: tuple[str, ...]
    implemented: int
    in_progress: int
    not_started: int
    changed: tuple[str, ...]
    recognitions: tuple[str, ...]


def month_bounds(month: str) -> tuple[dt.date, dt.date]:
    """The first and last day of a month given as YYYY-MM; CaresError otherwise."""
    try:
        year, number = (int(part) for part in month.strip().split("-"))
        first = dt.date(year, number, 1)
    except (ValueError, AttributeError):
        raise CaresError(f"{month!r} is not a month YYYY-MM") from None
    return first, dt.date(year, number, calendar.monthrange(year, number)[1])


def monthly_report(session: Session, cares: CaresRules, month: str, *,
                   platform_id: int | None = None, only_active: bool = True) -> list[MonthlyRow]:
    """Each municipality's action items at the end of `month` (YYYY-MM), what changed during it and the
    recognitions earned in it; municipalities with no update at all are left out unless `only_active` is False."""
    first, last = month_bounds(month)
    before = first - dt.timedelta(days=1)
    now = {municipality.id: status for municipality, status in all_statuses(session, cares, last, platform_id=platform_id)}
    earlier = {municipality.id: status
               for municipality, status in all_statuses(session, cares, before, platform_id=platform_id)}
    names = {municipality.id: municipality.name for municipality in session.scalars(select(Municipality))}
    active = set(session.scalars(select(CaresItemUpdate.municipality_id).distinct()))
    rows = []
    for municipality_id, status in sorted(now.items(), key=lambda pair: names[pair[0]].casefold()):
        states = tuple(item.state for item in status.items)
        if only_active and municipality_id not in active:
            continue
        previous = {item.item_id: item.state for item in earlier[municipality_id].items}
        changed = tuple(f"{item.number}. {STATE_WORDS[previous[item.item_id]]} → {STATE_WORDS[item.state]}"
                        for item in status.items if previous[item.item_id] != item.state)
        recognitions = tuple(recognition.text for recognition in status.recognitions
                             if first <= recognition.awarded_on <= last)
        rows.append(MonthlyRow(
            municipality=names[municipality_id], municipality_id=municipality_id, states=states,
            implemented=states.count(IMPLEMENTED), in_progress=states.count(IN_PROGRESS),
            not_started=states.count(NOT_STARTED), changed=changed, recognitions=recognitions,
        ))
    return rows


def monthly_report_csv_rows(cares: CaresRules, rows: list[MonthlyRow]) -> list[list[str]]:
    """The monthly report as CSV rows: a header, then one row per municipality with each item's state."""
    header = ["municipality", *[f"item {item.number}" for item in cares.items], "implemented", "in progress",
              "not started", "changed this month", "recognitions this month"]
    body = [[row.municipality, *[STATE_WORDS[state] for state in row.states], str(row.implemented),
             str(row.in_progress), str(row.not_started), "; ".join(row.changed), "; ".join(row.recognitions)]
            for row in rows]
    return [header, *body]


def issue_recognitions(session: Session, cares: CaresRules, municipality: Municipality, as_of: dt.date, *,
                       actor: str, settings: credentials.BadgeSettings | None = None) -> list[Credential]:
    """Issue the badge of every recognition the municipality has earned by `as_of` (each only once), listing
    its CARES-trained officials; returns the credentials (already issued ones included)."""
    status = municipality_status(session, cares, municipality, as_of)
    names = [name for _, name in status.trained_officials]
    return [
        credentials.issue_cares_recognition(session, municipality, item_id=recognition.item_id,
                                            implemented_on=recognition.awarded_on, actor=actor,
                                            trained_officials=names, settings=settings)
        for recognition in status.recognitions
    ]


def training_activity_titles(session: Session, cares: CaresRules) -> dict[str, str]:
    """Titles of the catalogue's CARES trainings by id."""
    if not cares.trainings:
        return {}
    return dict(session.execute(select(Activity.id, Activity.title).where(Activity.id.in_(cares.trainings))).all())
