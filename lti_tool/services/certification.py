"""Evaluate and certify: turn what the engine concludes into certifications, badges and LMS scores.

Called after anything that can change an official's standing (a completion recorded or reversed,
a grade synced, a fee paid, the daily check of continuing-education cycles). It is idempotent:
calling it twice records nothing new the second time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import engine
from ..models import (
    Certification,
    CertificationStatusChange,
    ContinuingEducationCycle,
    Official,
)
from . import credentials, gradebook
from .audit import record_audit
from .progress import ProgrammeProgress, official_progress


@dataclass
class CertificationChanges:
    """What one refresh changed, for messages and tests."""

    certified: list[Certification] = field(default_factory=list)
    revoked: list[Certification] = field(default_factory=list)
    lapsed: list[Certification] = field(default_factory=list)
    renewed: list[ContinuingEducationCycle] = field(default_factory=list)

    @property
    def any(self) -> bool:
        return bool(self.certified or self.revoked or self.lapsed or self.renewed)


def _change_status(session: Session, certification: Certification, status: str, effective_on: dt.date,
                   reason: str, actor: str) -> None:
    change = CertificationStatusChange(
        certification_id=certification.id, status=status, effective_on=effective_on, reason=reason, recorded_by=actor
    )
    session.add(change)
    session.flush()
    session.refresh(certification, ["status_changes"])
    record_audit(session, actor=actor, action=f"certification.{status}", subject_type="certification",
                 subject_id=certification.id, details={"effective_on": effective_on.isoformat(), "reason": reason})
    credentials.follow_certification_status(session, certification, actor=actor)


def _post_standing(session: Session, certification: Certification, progress: ProgrammeProgress, actor: str,
                   settings: credentials.BadgeSettings | None) -> None:
    issued = credentials.credentials_for_certification(session, certification.id)
    url = credentials.verification_url(issued[-1], settings) if issued else None
    gradebook.enqueue_certification_score(
        session, certification, url, label=f"{progress.edition.program_abbreviation} certification", actor=actor
    )


def _certify(session: Session, official: Official, progress: ProgrammeProgress, actor: str,
             settings: credentials.BadgeSettings | None) -> Certification:
    evaluation = progress.evaluation
    certification = Certification(
        official_id=official.id,
        enrollment_id=progress.enrollment.id,
        program=progress.edition.program,
        edition_id=progress.edition.id,
        certified_on=evaluation.completed_on,
        completion_ids=sorted(int(i) for i in evaluation.counted_completion_ids),
        recorded_by=actor,
    )
    try:
        with session.begin_nested():
            session.add(certification)
            session.flush()
    except IntegrityError:
        # Another request certified the same enrollment on the same day a moment ago.
        return session.scalars(
            select(Certification).where(
                Certification.enrollment_id == progress.enrollment.id,
                Certification.certified_on == evaluation.completed_on,
            )
        ).one()
    record_audit(
        session, actor=actor, action="certification.recorded", subject_type="certification",
        subject_id=certification.id,
        details={"official_id": official.id, "edition_id": progress.edition.id,
                 "certified_on": evaluation.completed_on.isoformat()},
    )
    credentials.issue_credential(session, certification, actor=actor, settings=settings)
    _post_standing(session, certification, progress, actor, settings)
    return certification


def _record_cycles(session: Session, certification: Certification, progress: ProgrammeProgress, actor: str,
                   settings: credentials.BadgeSettings | None, changes: CertificationChanges) -> None:
    recorded = {
        row.starts_on
        for row in session.scalars(
            select(ContinuingEducationCycle).where(ContinuingEducationCycle.certification_id == certification.id)
        )
    }
    for cycle in progress.continuing.cycles:
        if cycle.state not in ("met", "lapsed") or cycle.starts_on in recorded:
            continue
        decided_on = cycle.met_on if cycle.state == "met" else cycle.ends_on
        row = ContinuingEducationCycle(
            certification_id=certification.id,
            starts_on=cycle.starts_on,
            ends_on=cycle.last_day,
            outcome=cycle.state,
            decided_on=decided_on or cycle.ends_on,
            completion_ids=[int(i) for i in cycle.counted_completion_ids],
        )
        session.add(row)
        session.flush()
        record_audit(session, actor=actor, action=f"cycle.{cycle.state}", subject_type="certification",
                     subject_id=certification.id,
                     details={"starts_on": cycle.starts_on.isoformat(), "ends_on": cycle.last_day.isoformat()})
        if cycle.state == "lapsed":
            if certification.standing == "active":
                reasons = "; ".join(cycle.unmet) or "continuing education not completed"
                _change_status(session, certification, "lapsed", cycle.ends_on, f"cycle ended unmet: {reasons}", actor)
                changes.lapsed.append(certification)
            _post_standing(session, certification, progress, actor, settings)
            return
        credentials.renew_credential(session, certification, row, actor=actor, settings=settings)
        changes.renewed.append(row)
        _post_standing(session, certification, progress, actor, settings)


def refresh_certifications(
    session: Session,
    official: Official,
    rulebook: engine.RuleBook,
    *,
    as_of: dt.date,
    actor: str,
    settings: credentials.BadgeSettings | None = None,
) -> CertificationChanges:
    """Bring an official's certifications in line with the engine: certify what became complete, revoke
    what a reversal broke, record continuing-education cycles that ended (renewing or suspending badges),
    and queue the matching LMS scores."""
    changes = CertificationChanges()
    _refresh(session, official, rulebook, as_of, actor, settings, changes)
    if changes.certified:
        # A certification recorded today may already have continuing-education cycles behind it
        # (records entered late): a second pass records them.
        _refresh(session, official, rulebook, as_of, actor, settings, changes)
    return changes


def _refresh(session: Session, official: Official, rulebook: engine.RuleBook, as_of: dt.date, actor: str,
             settings: credentials.BadgeSettings | None, changes: CertificationChanges) -> None:
    for progress in official_progress(session, official, rulebook, as_of, with_plan=False):
        certification = progress.certification
        complete = progress.evaluation.status == engine.COMPLETE
        if certification is not None and certification.standing != "revoked":
            if not complete:
                unmet = "; ".join(progress.evaluation.unmet) or "its requirements are no longer met"
                _change_status(session, certification, "revoked", as_of,
                               f"a completion it relied on no longer counts: {unmet}", actor)
                changes.revoked.append(certification)
                _post_standing(session, certification, progress, actor, settings)
            elif progress.continuing is not None and certification.standing == "active":
                _record_cycles(session, certification, progress, actor, settings, changes)
        elif complete and certification is not None and certification.certified_on == progress.evaluation.completed_on:
            # The completion whose reversal revoked it counts again (an undo undone): reinstate, with a new badge.
            _change_status(session, certification, "active", as_of, "its requirements are met again", actor)
            credentials.issue_credential(session, certification, actor=actor, settings=settings,
                                         occasion=f"reinstated:{certification.status_changes[-1].id}")
            _post_standing(session, certification, progress, actor, settings)
            changes.certified.append(certification)
        elif complete:
            changes.certified.append(_certify(session, official, progress, actor, settings))
