"""Officials' records as people and administrators change them: the municipality chosen on first use, and
administrator adjustments (each asks why, goes to the audit log, and is followed by a certification refresh
and the LMS scores it changes).

Corrections never edit a completion: they add an amendment, a reversal or an approval (see completions.py).
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from typing import Iterator
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from .. import engine
from ..engine.dates import long_date
from ..models import (
    Activity,
    AuditEntry,
    Certification,
    Completion,
    Enrollment,
    FeePayment,
    Municipality,
    Official,
)
from . import completions, gradebook
from .audit import record_audit
from .certification import CertificationChanges, refresh_certifications


class OfficialError(ValueError):
    """A change to an official's record that cannot be made, with the reason in words."""


def require_reason(reason: str | None, what: str) -> str:
    """The stripped reason for a change; OfficialError naming the change when there is none."""
    text = (reason or "").strip()
    if not text:
        raise OfficialError(f"{what} needs a reason: say why in the reason field")
    return text


# --------------------------------------------------------------------------------------------- municipalities


def list_municipalities(session: Session) -> list[Municipality]:
    """Every municipality, by name."""
    return list(session.scalars(select(Municipality).order_by(Municipality.name)))


def find_municipality(session: Session, municipality_id: int | str | None) -> Municipality | None:
    """The municipality with this id (given as a number or a form value), or None."""
    try:
        number = int(municipality_id) if municipality_id not in (None, "") else None
    except (TypeError, ValueError):
        return None
    return session.get(Municipality, number) if number is not None else None


def add_municipality(session: Session, name: str, *, ccm_member: bool, actor: str,
                     origin: str | None = None) -> Municipality:
    """Add a municipality officials can choose (names are unique, compared without case)."""
    name = " ".join((name or "").split())
    if not name:
        raise OfficialError("a municipality needs a name")
    existing = session.scalars(select(Municipality).where(func.lower(Municipality.name) == name.lower())).first()
    if existing is not None:
        raise OfficialError(f"{existing.name} is already recorded")
    municipality = Municipality(name=name[:255], ccm_member=ccm_member)
    session.add(municipality)
    session.flush()
    record_audit(session, actor=actor, action="municipality.added", subject_type="municipality",
                 subject_id=municipality.id, origin=origin, details={"name": name, "ccm_member": ccm_member})
    return municipality


def choose_municipality(session: Session, official: Official, municipality: Municipality, *, actor: str,
                        origin: str | None = None) -> Official:
    """Let an official say which municipality they serve, once (the LMS did not send it); later changes go
    through an administrator."""
    if official.municipality_id is not None and official.municipality_id != municipality.id:
        raise OfficialError("your municipality is already recorded; ask an administrator to change it")
    official.municipality_id = municipality.id
    official.municipality = municipality
    session.flush()
    record_audit(session, actor=actor, action="official.municipality_chosen", subject_type="official",
                 subject_id=official.id, origin=origin,
                 details={"municipality_id": municipality.id, "municipality": municipality.name})
    return official


def set_municipality(session: Session, official: Official, municipality: Municipality | None, *, actor: str,
                     reason: str, rulebook: engine.RuleBook, as_of: dt.date,
                     origin: str | None = None) -> CertificationChanges:
    """An administrator records the municipality an official serves (None: unknown), with the reason."""
    reason = require_reason(reason, "changing the municipality")
    before = official.municipality.name if official.municipality else None
    official.municipality_id = municipality.id if municipality else None
    official.municipality = municipality
    session.flush()
    record_audit(session, actor=actor, action="official.municipality_set", subject_type="official",
                 subject_id=official.id, origin=origin,
                 details={"from": before, "to": municipality.name if municipality else None, "reason": reason})
    return refresh_certifications(session, official, rulebook, as_of=as_of, actor=actor)


# ------------------------------------------------------------------------------------------------ look-ups


def find_officials(session: Session, *, platform_id: int | None, query: str = "", limit: int = 200) -> list[Official]:
    """Officials whose name, email or LMS id contains `query`, by name; only `platform_id`'s unless None."""
    statement = select(Official)
    if platform_id is not None:
        statement = statement.where(Official.platform_id == platform_id)
    text = query.strip()
    if text:
        pattern = f"%{text.lower()}%"
        statement = statement.where(or_(
            func.lower(Official.name).like(pattern),
            func.lower(Official.email).like(pattern),
            func.lower(Official.family_name).like(pattern),
            Official.sub == text,
        ))
    return list(session.scalars(statement.order_by(Official.name, Official.id).limit(limit)))


def official_in_scope(session: Session, official_id: int | str, platform_id: int | None) -> Official | None:
    """The official with this id if `platform_id` may see them (None: any platform), else None."""
    try:
        official = session.get(Official, int(official_id))
    except (TypeError, ValueError):
        return None
    if official is None or (platform_id is not None and official.platform_id != platform_id):
        return None
    return official


def completion_of(session: Session, official: Official, completion_id: int | str) -> Completion:
    """One of the official's completion records; OfficialError when it is someone else's or unknown."""
    try:
        row = session.get(Completion, int(completion_id))
    except (TypeError, ValueError):
        row = None
    if row is None or row.official_id != official.id:
        raise OfficialError(f"completion {completion_id} is not on this official's record")
    return row


def audit_trail(session: Session, official: Official, limit: int = 100) -> list[AuditEntry]:
    """Audit entries about the official and their completions, enrollments, certifications and fees, newest first."""
    subjects = {
        "completion": session.scalars(select(Completion.id).where(Completion.official_id == official.id)).all(),
        "enrollment": session.scalars(select(Enrollment.id).where(Enrollment.official_id == official.id)).all(),
        "certification": session.scalars(
            select(Certification.id).where(Certification.official_id == official.id)).all(),
        "fee_payment": session.scalars(select(FeePayment.id).where(FeePayment.official_id == official.id)).all(),
        "official": [official.id],
    }
    conditions = [
        (AuditEntry.subject_type == kind) & AuditEntry.subject_id.in_([str(i) for i in ids])
        for kind, ids in subjects.items() if ids
    ]
    return list(session.scalars(
        select(AuditEntry).where(or_(*conditions)).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
    ))


# ------------------------------------------------------------------------------------ completion adjustments


def parse_credit(text: str | None) -> Decimal | None:
    """Hours or points typed in a form ('' means the catalogue's); OfficialError when not a number >= 0."""
    if text is None or not str(text).strip():
        return None
    try:
        value = Decimal(str(text).strip())
    except InvalidOperation:
        raise OfficialError(f"{text!r} is not a number of hours") from None
    if not value.is_finite() or value < 0 or value > 1000:
        raise OfficialError(f"{text!r} is not a number of hours between 0 and 1000")
    return value


@contextmanager
def _in_words() -> Iterator[None]:
    """Turn a refused completion operation into an OfficialError with the same words."""
    try:
        yield
    except completions.CompletionError as exc:
        raise OfficialError(str(exc)) from None


def _after_change(session: Session, official: Official, completion, rulebook: engine.RuleBook, as_of: dt.date,
                  actor: str, origin: str | None) -> CertificationChanges:
    gradebook.enqueue_completion_score(session, completion, actor=actor, origin=origin)
    return refresh_certifications(session, official, rulebook, as_of=as_of, actor=actor)


def add_completion(session: Session, official: Official, activity: Activity, *, completed_on: dt.date,
                   reason: str, actor: str, rulebook: engine.RuleBook, as_of: dt.date,
                   hours: Decimal | None = None, evidence: str | None = None,
                   origin: str | None = None) -> Completion:
    """An administrator records a completion the official earned (e.g. attendance not marked), with the reason."""
    reason = require_reason(reason, "recording a completion")
    if completed_on > as_of:
        raise OfficialError(f"{long_date(completed_on)} is in the future: record completions once they happen")
    with _in_words():
        row, _ = completions.record_completion(
            session, official=official, activity=activity, completed_on=completed_on, source="admin",
            source_key=f"admin:{official.id}:{activity.id}:{completed_on.isoformat()}:{reason[:40]}",
            recorded_by=actor, hours=hours, evidence=evidence or None, reason=reason, recorded_from=origin,
        )
    _after_change(session, official, row, rulebook, as_of, actor, origin)
    return row


def amend_completion(session: Session, official: Official, completion: Completion, *, reason: str, actor: str,
                     rulebook: engine.RuleBook, as_of: dt.date, completed_on: dt.date | None = None,
                     hours: Decimal | None = None, areas: list[str] | None = None,
                     origin: str | None = None) -> Completion:
    """Correct a completion's date, hours or areas with an amendment entry, with the reason."""
    reason = require_reason(reason, "correcting a completion")
    with _in_words():
        row = completions.amend_completion(session, completion, recorded_by=actor, reason=reason,
                                           recorded_from=origin, completed_on=completed_on, hours=hours, areas=areas)
    _after_change(session, official, row, rulebook, as_of, actor, origin)
    return row


def reverse_completion(session: Session, official: Official, completion: Completion, *, reason: str, actor: str,
                       rulebook: engine.RuleBook, as_of: dt.date, origin: str | None = None) -> Completion:
    """Withdraw a completion with a reversal entry, with the reason; certifications and grades follow."""
    reason = require_reason(reason, "reversing a completion")
    with _in_words():
        row, _ = completions.reverse_completion(session, completion, recorded_by=actor, reason=reason,
                                                source="admin", recorded_from=origin)
    _after_change(session, official, row, rulebook, as_of, actor, origin)
    return row


def approve_completion(session: Session, official: Official, completion: Completion, *, reason: str, actor: str,
                       rulebook: engine.RuleBook, as_of: dt.date, origin: str | None = None) -> Completion:
    """Accept a self-reported completion so that it counts, with the reason (e.g. the evidence checked)."""
    reason = require_reason(reason, "approving a self-reported completion")
    with _in_words():
        row = completions.approve_completion(session, completion, recorded_by=actor, reason=reason)
    _after_change(session, official, row, rulebook, as_of, actor, origin)
    return row


def set_tool_admin(session: Session, official: Official, granted: bool, *, actor: str, reason: str) -> Official:
    """Grant or withdraw the tool-level administrator flag (installation-wide rights, every platform)."""
    require_reason(reason, "granting or withdrawing administrator rights")
    if official.is_tool_admin != granted:
        official.is_tool_admin = granted
        session.flush()
        record_audit(session, actor=actor, action="official.tool_admin_granted" if granted else "official.tool_admin_withdrawn",
                     subject_type="official", subject_id=official.id, details={"reason": reason})
    return official


def tool_admins(session: Session) -> list[Official]:
    """Every official holding the tool-level administrator flag."""
    return list(session.scalars(select(Official).where(Official.is_tool_admin.is_(True)).order_by(Official.id)))
