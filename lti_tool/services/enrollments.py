"""Enrolling officials in programmes: which edition, who is eligible, moving between editions."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import engine
from ..models import Enrollment, Official, Setting, utcnow
from .audit import record_audit
from .progress import engine_enrollment, held_certifications


class EnrollmentError(ValueError):
    """An enrollment that cannot be made, with the reasons in plain words."""

    def __init__(self, message: str, reasons: list[str] | None = None) -> None:
        super().__init__(message)
        self.reasons = reasons or []


def _setting_key(program: str) -> str:
    return f"default_edition:{program}"


def default_edition(session: Session, rulebook: engine.RuleBook, program: str, on: dt.date) -> engine.Edition:
    """The edition a new enrollment in `program` on `on` gets: the administrator's choice, else by date."""
    chosen = session.get(Setting, _setting_key(program))
    if chosen is not None and chosen.value in rulebook.editions:
        return rulebook.editions[chosen.value]
    edition = rulebook.edition_for(program, on)
    if edition is None:
        raise EnrollmentError(f"no edition of {program} takes new enrollments on {on.isoformat()}")
    return edition


def set_default_edition(session: Session, rulebook: engine.RuleBook, program: str, edition_id: str, *, actor: str) -> Setting:
    """Choose the edition new enrollments in `program` get (existing enrollments keep theirs)."""
    edition = rulebook.edition(edition_id)
    if edition.program != program:
        raise EnrollmentError(f"{edition_id} is an edition of {edition.program}, not of {program}")
    setting = session.get(Setting, _setting_key(program))
    if setting is None:
        setting = Setting(key=_setting_key(program), value=edition_id, updated_by=actor)
        session.add(setting)
    else:
        setting.value = edition_id
        setting.updated_by = actor
        setting.updated_at = utcnow()
    session.flush()
    record_audit(session, actor=actor, action="edition.default_set", subject_type="program", subject_id=program,
                 details={"edition_id": edition_id})
    return setting


def active_enrollment(session: Session, official: Official, program: str) -> Enrollment | None:
    """The official's current enrollment in a programme, if any."""
    return session.scalars(
        select(Enrollment).where(
            Enrollment.official_id == official.id, Enrollment.program == program, Enrollment.ended_on.is_(None)
        )
    ).first()


def eligibility_problems(
    session: Session, official: Official, edition: engine.Edition, enrolled_on: dt.date,
    membership_since: dt.date | None = None,
) -> list[str]:
    """Why the official may not enroll in `edition` on `enrolled_on`, in plain words (empty: eligible)."""
    candidate = Enrollment(
        official_id=official.id, program=edition.program, edition_id=edition.id,
        enrolled_on=enrolled_on, membership_since=membership_since,
    )
    inputs = engine_enrollment(candidate, official)
    problems = []
    if edition.member_municipality_only and inputs.member_municipality is None:
        problems.append(
            f"{edition.program_abbreviation} is open only to officials of CCM member municipalities: "
            "choose your municipality first"
        )
    problems.extend(engine.eligibility_problems(edition, inputs, held_certifications(session, official.id)))
    return problems


def enroll(
    session: Session,
    official: Official,
    program: str,
    rulebook: engine.RuleBook,
    *,
    actor: str,
    enrolled_on: dt.date,
    membership_since: dt.date | None = None,
    edition_id: str | None = None,
    origin: str | None = None,
) -> Enrollment:
    """Enroll an official in a programme on `enrolled_on` after checking eligibility; raises EnrollmentError
    with the reasons."""
    if program not in rulebook.programs:
        raise EnrollmentError(f"unknown programme {program!r}")
    if active_enrollment(session, official, program) is not None:
        raise EnrollmentError(f"already enrolled in {rulebook.programs[program].abbreviation}")
    edition = rulebook.edition(edition_id) if edition_id else default_edition(session, rulebook, program, enrolled_on)
    problems = eligibility_problems(session, official, edition, enrolled_on, membership_since)
    if problems:
        raise EnrollmentError(f"cannot enroll in {edition.title}", problems)
    enrollment = Enrollment(
        official_id=official.id,
        program=program,
        edition_id=edition.id,
        enrolled_on=enrolled_on,
        membership_since=membership_since,
        recorded_by=actor,
    )
    session.add(enrollment)
    session.flush()
    record_audit(
        session, actor=actor, action="enrollment.created", subject_type="enrollment", subject_id=enrollment.id,
        origin=origin,
        details={"official_id": official.id, "edition_id": edition.id, "enrolled_on": enrolled_on.isoformat()},
    )
    return enrollment


def migrate_enrollment(
    session: Session, enrollment: Enrollment, rulebook: engine.RuleBook, edition_id: str, *, actor: str, reason: str,
    on: dt.date,
) -> Enrollment:
    """Move an enrollment to another edition of the same programme: the old one ends, a new one keeps its date."""
    if not reason.strip():
        raise EnrollmentError("moving an enrollment to another edition needs a reason")
    edition = rulebook.edition(edition_id)
    if edition.program != enrollment.program:
        raise EnrollmentError(f"{edition_id} is not an edition of {enrollment.program}")
    if enrollment.ended_on is not None:
        raise EnrollmentError("this enrollment has ended")
    enrollment.ended_on = on
    enrollment.ended_reason = f"moved to {edition_id}: {reason}"
    moved = Enrollment(
        official_id=enrollment.official_id,
        program=enrollment.program,
        edition_id=edition_id,
        enrolled_on=enrollment.enrolled_on,
        membership_since=enrollment.membership_since,
        migrated_from_id=enrollment.id,
        recorded_by=actor,
    )
    session.add(moved)
    session.flush()
    record_audit(session, actor=actor, action="enrollment.migrated", subject_type="enrollment", subject_id=moved.id,
                 details={"from_enrollment_id": enrollment.id, "edition_id": edition_id, "reason": reason})
    return moved
