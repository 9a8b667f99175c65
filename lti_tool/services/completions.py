"""Recording completions: append-only, idempotent per source event, audited.

Every correction names the original record (`corrects_id` is always the root of its chain):
an amendment restates the values, an approval accepts a self-reported record, a reversal cancels
the whole chain. What counts is derived from the rows, never stored: see `effective_completions`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Iterable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import Activity, Completion, Official
from .audit import record_audit


class CompletionError(ValueError):
    """A completion request that cannot be accepted, with the reason in words."""


@dataclass(frozen=True)
class EffectiveCompletion:
    """An original record as it stands after its corrections."""

    root: Completion
    current: Completion
    reversed: bool
    reversal: Completion | None
    pending_approval: bool

    @property
    def id(self) -> int:
        return self.root.id

    @property
    def activity_id(self) -> str:
        return self.current.activity_id

    @property
    def completed_on(self) -> date:
        return self.current.completed_on

    @property
    def hours(self) -> Decimal:
        return self.current.hours

    @property
    def counts(self) -> bool:
        """Whether the record can count toward a programme (not reversed, not awaiting approval)."""
        return not self.reversed and not self.pending_approval


def _existing(session: Session, source_key: str) -> Completion | None:
    return session.scalars(select(Completion).where(Completion.source_key == source_key)).first()


def _insert_once(session: Session, row: Completion) -> tuple[Completion, bool]:
    """Insert `row` unless its source key is already recorded; safe when two requests race."""
    found = _existing(session, row.source_key)
    if found is not None:
        return found, False
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        found = _existing(session, row.source_key)
        if found is None:
            raise
        return found, False
    return row, True


def record_completion(
    session: Session,
    *,
    official: Official,
    activity: Activity,
    completed_on: date,
    source: str,
    source_key: str,
    recorded_by: str,
    hours: Decimal | float | str | None = None,
    areas: Iterable[str] | None = None,
    format: str | None = None,
    provider: str | None = None,
    recorded_from: str | None = None,
    evidence: str | None = None,
    reason: str | None = None,
    resource_link_id: int | None = None,
) -> tuple[Completion, bool]:
    """Record that `official` completed `activity`; returns (row, created). Areas, format and provider
    default to the catalogue's as they are now. A repeated source key returns the row recorded the first
    time and changes nothing."""
    credit = Decimal(str(hours)) if hours is not None else activity.hours if activity.hours is not None else activity.points
    if credit is None:
        raise CompletionError(f"activity {activity.id} has no hours or points: give the credit explicitly")
    if credit < 0:
        raise CompletionError("hours cannot be negative")
    row = Completion(
        official_id=official.id,
        activity_id=activity.id,
        kind="record",
        completed_on=completed_on,
        hours=credit,
        # The catalogue's values are copied in: a later catalogue edit must not rewrite what past
        # completions counted toward.
        areas=list(areas if areas is not None else activity.areas),
        format=format or activity.format,
        provider=provider or activity.provider,
        source=source,
        source_key=source_key,
        recorded_by=recorded_by,
        recorded_from=recorded_from,
        evidence=evidence,
        reason=reason,
        resource_link_id=resource_link_id,
    )
    row, created = _insert_once(session, row)
    if created:
        record_audit(
            session,
            actor=recorded_by,
            action="completion.recorded",
            subject_type="completion",
            subject_id=row.id,
            origin=recorded_from,
            details={
                "official_id": official.id,
                "activity_id": activity.id,
                "completed_on": completed_on.isoformat(),
                "hours": str(credit),
                "source": source,
                "source_key": source_key,
            },
        )
    return row, created


def _root_of(session: Session, completion: Completion) -> Completion:
    if completion.kind == "record":
        return completion
    return session.get(Completion, completion.corrects_id)


def _chain(session: Session, root: Completion) -> list[Completion]:
    return list(
        session.scalars(select(Completion).where(Completion.corrects_id == root.id).order_by(Completion.id))
    )


def _correction(root: Completion, current: Completion, *, kind: str, source: str, source_key: str,
                recorded_by: str, reason: str, recorded_from: str | None = None, **changes) -> Completion:
    """A new entry of `kind` correcting `root`, carrying the values that apply now unless `changes` say otherwise."""
    values = {name: getattr(current, name) for name in ("activity_id", "completed_on", "hours", "areas", "format",
                                                         "provider", "evidence")}
    values.update({name: value for name, value in changes.items() if value is not None})
    return Completion(
        official_id=root.official_id,
        kind=kind,
        corrects_id=root.id,
        source=source,
        source_key=source_key,
        recorded_by=recorded_by,
        recorded_from=recorded_from,
        reason=reason,
        resource_link_id=root.resource_link_id,
        **values,
    )


def reverse_completion(
    session: Session,
    completion: Completion,
    *,
    recorded_by: str,
    reason: str,
    source: str,
    source_key: str | None = None,
    recorded_from: str | None = None,
) -> tuple[Completion, bool]:
    """Cancel a completion (and its amendments) with a reversal entry; returns (reversal, created).
    Reversing an already reversed completion returns the existing reversal."""
    if not reason or not reason.strip():
        raise CompletionError("a reversal needs a reason")
    root = _root_of(session, completion)
    chain = _chain(session, root)
    for correction in chain:
        if correction.kind == "reversal":
            return correction, False
    row = _correction(root, _current_values(root, chain), kind="reversal", source=source,
                      source_key=source_key or f"reversal:{root.id}", recorded_by=recorded_by, reason=reason,
                      recorded_from=recorded_from)
    row, created = _insert_once(session, row)
    if created:
        record_audit(
            session,
            actor=recorded_by,
            action="completion.reversed",
            subject_type="completion",
            subject_id=root.id,
            origin=recorded_from,
            details={"reversal_id": row.id, "reason": reason, "source": source},
        )
    return row, created


def amend_completion(
    session: Session,
    completion: Completion,
    *,
    recorded_by: str,
    reason: str,
    recorded_from: str | None = None,
    completed_on: date | None = None,
    hours: Decimal | float | str | None = None,
    areas: Iterable[str] | None = None,
    format: str | None = None,
    provider: str | None = None,
    evidence: str | None = None,
) -> Completion:
    """Correct a completion's values with an amendment entry (the original stays as it was)."""
    if not reason or not reason.strip():
        raise CompletionError("an amendment needs a reason")
    root = _root_of(session, completion)
    chain = _chain(session, root)
    if any(row.kind == "reversal" for row in chain):
        raise CompletionError("this completion was reversed; record a new completion instead")
    row = _correction(
        root, _current_values(root, chain), kind="amendment", source="admin",
        source_key=f"amendment:{root.id}:{len(chain) + 1}", recorded_by=recorded_by, reason=reason,
        recorded_from=recorded_from, completed_on=completed_on,
        hours=Decimal(str(hours)) if hours is not None else None,
        areas=sorted(areas) if areas is not None else None, format=format, provider=provider, evidence=evidence,
    )
    row, created = _insert_once(session, row)
    if not created:
        raise CompletionError("this completion was corrected by someone else at the same moment; reload and try again")
    record_audit(
        session,
        actor=recorded_by,
        action="completion.amended",
        subject_type="completion",
        subject_id=root.id,
        origin=recorded_from,
        details={"amendment_id": row.id, "reason": reason},
    )
    return row


def approve_completion(session: Session, completion: Completion, *, recorded_by: str, reason: str = "approved") -> Completion:
    """Accept a self-reported completion so that it counts."""
    root = _root_of(session, completion)
    if root.source != "self_report":
        raise CompletionError("only self-reported completions need approval")
    chain = _chain(session, root)
    for row in chain:
        if row.kind == "approval":
            return row
    row = _correction(root, _current_values(root, chain), kind="approval", source="admin",
                      source_key=f"approval:{root.id}", recorded_by=recorded_by, reason=reason)
    row, created = _insert_once(session, row)
    if created:
        record_audit(
            session, actor=recorded_by, action="completion.approved", subject_type="completion", subject_id=root.id
        )
    return row


def _current_values(root: Completion, chain: list[Completion]) -> Completion:
    """The entry whose values apply: the latest amendment, else the original."""
    amendments = [row for row in chain if row.kind == "amendment"]
    return amendments[-1] if amendments else root


def effective_completions(session: Session, official_id: int) -> list[EffectiveCompletion]:
    """Every original record of an official as it stands now, oldest completion first."""
    rows = list(
        session.scalars(select(Completion).where(Completion.official_id == official_id).order_by(Completion.id))
    )
    return build_effective(rows)


def build_effective(rows: Iterable[Completion]) -> list[EffectiveCompletion]:
    """Fold raw entries (any order) into one `EffectiveCompletion` per original record."""
    roots: dict[int, Completion] = {}
    corrections: dict[int, list[Completion]] = {}
    for row in sorted(rows, key=lambda r: r.id):
        if row.kind == "record":
            roots[row.id] = row
        else:
            corrections.setdefault(row.corrects_id, []).append(row)
    result = []
    for root_id, root in roots.items():
        chain = corrections.get(root_id, [])
        reversal = next((row for row in chain if row.kind == "reversal"), None)
        approved = any(row.kind == "approval" for row in chain)
        result.append(
            EffectiveCompletion(
                root=root,
                current=_current_values(root, chain),
                reversed=reversal is not None,
                reversal=reversal,
                pending_approval=root.source == "self_report" and not approved,
            )
        )
    result.sort(key=lambda item: (item.completed_on, item.id))
    return result
