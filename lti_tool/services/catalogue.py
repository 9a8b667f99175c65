"""The catalogue in the database: loaded from the rule files, then kept by administrators."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ..engine.rules import Activity as RuleActivity
from ..engine.rules import RuleBook
from ..models import Activity, ActivitySession
from .audit import record_audit


@dataclass
class SyncReport:
    """What a catalogue load did."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    sessions_added: int = 0
    differing: list[str] = field(default_factory=list)

    def summary(self) -> str:
        parts = [f"{len(self.added)} activities added", f"{len(self.updated)} updated", f"{self.sessions_added} sessions added"]
        if self.differing:
            parts.append(f"{len(self.differing)} differ from the rule files (kept as edited; use --update to reset)")
        return ", ".join(parts)


def _decimal(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.01"))


def _rule_values(rule: RuleActivity) -> dict:
    return {
        "title": rule.title,
        "kind": rule.kind,
        "hours": _decimal(rule.hours),
        "points": _decimal(rule.points),
        "format": rule.format,
        "provider": rule.provider,
        "areas": list(rule.areas),
        "category": rule.category,
        "passing_fraction": _decimal(rule.passing_score_fraction),
        "counts_once_per": rule.counts_once_per,
        "description": rule.description,
        "aliases": list(rule.aliases),
    }


def sync_catalogue(session: Session, rulebook: RuleBook, *, actor: str, update: bool = False) -> SyncReport:
    """Add the rule files' activities and sessions missing from the database.

    An activity already in the database keeps its values (an administrator may have edited it)
    unless `update` is set, in which case it is reset to the rule files' values.
    """
    report = SyncReport()
    existing = {
        activity.id: activity
        for activity in session.scalars(select(Activity).options(selectinload(Activity.sessions)))
    }
    for rule in rulebook.catalogue.activities.values():
        values = _rule_values(rule)
        activity = existing.get(rule.id)
        if activity is None:
            activity = Activity(id=rule.id, **values)
            session.add(activity)
            session.flush()
            report.added.append(rule.id)
        else:
            changed = {name for name, value in values.items() if getattr(activity, name) != value}
            if changed and update:
                for name in changed:
                    setattr(activity, name, values[name])
                report.updated.append(rule.id)
            elif changed:
                report.differing.append(rule.id)
        known_sessions = {(s.starts_on, s.place) for s in activity.sessions}
        for sitting in rule.sessions:
            if (sitting.dates[0], sitting.place) in known_sessions:
                continue
            session.add(
                ActivitySession(
                    activity_id=rule.id,
                    starts_on=sitting.dates[0],
                    dates=[day.isoformat() for day in sitting.dates],
                    place=sitting.place,
                    format=sitting.format,
                    provider=sitting.provider,
                    time=sitting.time,
                )
            )
            report.sessions_added += 1
    session.flush()
    if report.added or report.updated or report.sessions_added:
        record_audit(
            session,
            actor=actor,
            action="catalogue.loaded",
            subject_type="catalogue",
            subject_id=str(rulebook.root),
            details={"added": report.added, "updated": report.updated, "sessions_added": report.sessions_added},
        )
    return report
