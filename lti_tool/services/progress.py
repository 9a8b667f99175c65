"""Where an official stands: the database's records turned into the engine's inputs, evaluated.

This is the one bridge between stored rows and the pure engine; pages, the gradebook sync and the
certification operation all read progress through it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from .. import engine
from ..models import (
    Activity,
    ActivitySession,
    Certification,
    Enrollment,
    FeePayment,
    Official,
)
from .completions import EffectiveCompletion, effective_completions


@dataclass(frozen=True)
class ProgrammeProgress:
    """One enrollment of an official, evaluated."""

    enrollment: Enrollment
    edition: engine.Edition
    evaluation: engine.Evaluation
    certification: Certification | None
    continuing: engine.ContinuingEducation | None
    plan: engine.Plan | None


def _credit(value) -> float:
    return float(value) if value is not None else 0.0


def to_engine_completion(item: EffectiveCompletion, activity: Activity) -> engine.Completion:
    """The engine's view of a stored completion: the record's values, else the catalogue's."""
    current = item.current
    uses_points = activity.points is not None and activity.hours is None
    credit = _credit(current.hours)
    return engine.Completion(
        id=str(item.id),
        activity_id=activity.id,
        date=current.completed_on,
        hours=0.0 if uses_points else credit,
        points=credit if uses_points else _credit(activity.points),
        areas=frozenset(current.areas if current.areas is not None else activity.areas),
        format=current.format or activity.format,
        provider=current.provider or activity.provider,
        kind=activity.kind,
        title=activity.title,
        category=activity.category,
        counts_once_per=activity.counts_once_per,
        reversed=item.reversed,
    )


def engine_completions(
    session: Session, official_id: int, effective: list[EffectiveCompletion] | None = None
) -> tuple[list[EffectiveCompletion], list[engine.Completion]]:
    """An official's records as they stand (read unless given), and their engine inputs (awaiting approval
    left out)."""
    if effective is None:
        effective = effective_completions(session, official_id)
    ids = {item.activity_id for item in effective}
    activities = {a.id: a for a in session.scalars(select(Activity).where(Activity.id.in_(ids)))} if ids else {}
    inputs = [
        to_engine_completion(item, activities[item.activity_id])
        for item in effective
        if not item.pending_approval
    ]
    return effective, inputs


def certification_lapsed_on(certification: Certification) -> dt.date | None:
    """The day a certification stopped being held, from its status changes (None: still held)."""
    lapsed = None
    for change in certification.status_changes:
        if change.status == "active":
            lapsed = None
        elif lapsed is None:
            lapsed = change.effective_on
    return lapsed


def _certification_rows(session: Session, official_id: int) -> list[Certification]:
    return list(
        session.scalars(
            select(Certification)
            .where(Certification.official_id == official_id)
            .options(selectinload(Certification.status_changes))
            .order_by(Certification.certified_on)
        )
    )


def _held(row: Certification, *, with_lapse: bool = True) -> engine.HeldCertification:
    return engine.HeldCertification(
        program=row.program,
        edition_id=row.edition_id,
        certified_on=row.certified_on,
        used_completion_ids=frozenset(str(i) for i in row.completion_ids),
        lapsed_on=certification_lapsed_on(row) if with_lapse else None,
    )


def held_certifications(session: Session, official_id: int) -> list[engine.HeldCertification]:
    """Every certification the official earned, with the day it stopped being held if it did."""
    return [_held(row) for row in _certification_rows(session, official_id)]


def fee_payments(session: Session, official_id: int, program: str) -> list[engine.FeePayment]:
    """Continuing-education fees an official paid for a programme (refunds subtract)."""
    rows = session.scalars(
        select(FeePayment).where(
            FeePayment.official_id == official_id,
            FeePayment.program == program,
            FeePayment.purpose == "continuing_education",
        )
    )
    return [engine.FeePayment(paid_on=row.paid_on, amount=row.amount_cents / 100) for row in rows]


def engine_catalogue(session: Session, rulebook: engine.RuleBook) -> engine.Catalogue:
    """The rule files' vocabularies with the database's activities and dated sessions (what the planner picks from)."""
    sessions: dict[str, list[ActivitySession]] = {}
    for sitting in session.scalars(select(ActivitySession).order_by(ActivitySession.starts_on)):
        sessions.setdefault(sitting.activity_id, []).append(sitting)
    activities = {}
    for row in session.scalars(select(Activity).where(Activity.active.is_(True))):
        activities[row.id] = engine.Activity(
            id=row.id,
            title=row.title,
            kind=row.kind,
            format=row.format,
            provider=row.provider,
            areas=tuple(row.areas),
            hours=None if row.hours is None else float(row.hours),
            points=None if row.points is None else float(row.points),
            category=row.category,
            passing_score_fraction=float(row.passing_fraction),
            counts_once_per=row.counts_once_per,
            aliases=tuple(row.aliases or ()),
            description=row.description,
            sessions=tuple(
                engine.rules.Session(
                    dates=tuple(dt.date.fromisoformat(day) for day in (s.dates or [s.starts_on.isoformat()])),
                    place=s.place,
                    format=s.format,
                    provider=s.provider,
                    time=s.time,
                )
                for s in sessions.get(row.id, ())
            ),
        )
    by_title = {}
    for activity in activities.values():
        for name in (activity.title, *activity.aliases):
            by_title.setdefault(name.casefold(), activity)
    return replace(rulebook.catalogue, activities=activities, by_title=by_title)


def engine_enrollment(enrollment: Enrollment, official: Official) -> engine.Enrollment:
    """The engine's view of an enrollment (membership and municipality facts included)."""
    municipality = official.municipality
    return engine.Enrollment(
        edition_id=enrollment.edition_id,
        enrolled_on=enrollment.enrolled_on,
        member_since=enrollment.membership_since,
        member_municipality=None if municipality is None else municipality.ccm_member,
    )


def official_progress(
    session: Session,
    official: Official,
    rulebook: engine.RuleBook,
    as_of: dt.date,
    *,
    with_plan: bool = True,
    effective: list[EffectiveCompletion] | None = None,
) -> list[ProgrammeProgress]:
    """Every current enrollment of an official, evaluated on `as_of` (with continuing education once certified);
    pass `effective` when the caller already read the official's completions."""
    enrollments = list(
        session.scalars(
            select(Enrollment)
            .where(Enrollment.official_id == official.id, Enrollment.ended_on.is_(None))
            .order_by(Enrollment.enrolled_on, Enrollment.id)
        )
    )
    if not enrollments:
        return []
    _, completions = engine_completions(session, official.id, effective)
    rows = _certification_rows(session, official.id)
    held = [_held(row) for row in rows]
    certifications = {row.enrollment_id: row for row in rows}  # the latest certification of each enrollment
    catalogue = engine_catalogue(session, rulebook) if with_plan else None
    result = []
    for enrollment in enrollments:
        edition = rulebook.edition(enrollment.edition_id)
        inputs = engine_enrollment(enrollment, official)
        evaluation = engine.evaluate(edition, inputs, completions, as_of, held)
        certification = certifications.get(enrollment.id)
        continuing = None
        if certification is not None and edition.continuing_education is not None:
            # Cycles run from the certification date whatever its standing: the engine decides when it lapses.
            continuing = engine.evaluate_cycles(
                edition, _held(certification, with_lapse=False), completions, fee_payments(session, official.id, edition.program), as_of
            )
        plan = None
        if with_plan and evaluation.status == engine.IN_PROGRESS:
            plan = engine.plan(edition, inputs, completions, as_of, catalogue, held)
        result.append(ProgrammeProgress(enrollment, edition, evaluation, certification, continuing, plan))
    return result
