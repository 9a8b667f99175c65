"""The catalogue in the database: loaded from the rule files, then kept by administrators.

`sync_catalogue` adds what the rule files have and the database lacks; an activity already in the database keeps
an administrator's edits. The operations below are those edits: each checks its values against the rule book's
vocabularies, needs a reason, flushes (never commits) and writes an audit entry under the activity
(subject "activity", its id), so an activity's page can show what was done to it and its sessions.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from ..engine.rules import REPEATS, Catalogue, RuleBook, Term
from ..engine.rules import Activity as RuleActivity
from ..engine.schema import SLUG
from ..models import Activity, ActivitySession, AuditEntry, Completion
from ..models.base import MEDIUM, SHORT
from .audit import record_audit

HUNDREDTH = Decimal("0.01")
MOST_CREDIT = Decimal(1000)
# Only an event may leave hours and points out: each edition's event_credits say what it is worth.
EVENT_FORMAT = "event"


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
    unless `update` is set, in which case it is reset to the rule files' values. A session an administrator
    cancelled is not added back, unless `update` is set.
    """
    report = SyncReport()
    cancelled = set() if update else cancelled_sessions(session)
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
            first_day = sitting.dates[0]
            if (first_day, sitting.place) in known_sessions or (rule.id, first_day, sitting.place) in cancelled:
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


# ------------------------------------------------------------------------------------------ administrators' edits

FIELD_LABELS = {
    "id": "Id",
    "title": "Title",
    "kind": "Kind",
    "hours": "Credit hours",
    "points": "Points",
    "format": "Format",
    "provider": "Provider",
    "areas": "Development areas",
    "category": "Point category",
    "passing_fraction": "Passing share of an LMS grade",
    "counts_once_per": "Attending again earns credit again",
    "description": "Description",
    "aliases": "Other names",
    "dates": "Days",
    "place": "Place",
    "time": "Time",
    "reason": "Reason",
}
"""The words the pages use for each field; errors name fields with them."""

EDITABLE = ("title", "kind", "hours", "points", "format", "provider", "areas", "category", "passing_fraction",
            "counts_once_per", "description", "aliases")
"""The fields `update_activity` may change (the id never changes: completions and badges refer to it)."""

SESSION_CANCELLED = "activity_session.cancelled"


class CatalogueError(ValueError):
    """A catalogue change that cannot be made; `problems` maps each field (or "" for the change as a whole)
    to what is wrong with it."""

    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = dict(problems)
        super().__init__("; ".join(self.messages))

    @property
    def messages(self) -> list[str]:
        """Each problem in words, led by the field's label."""
        return [f"{FIELD_LABELS[name]}: {message}" if name else message for name, message in self.problems.items()]


def _text(value: object) -> str:
    return str(value).strip() if value is not None else ""


def _check_reason(reason: str | None, what: str, problems: dict[str, str]) -> str:
    text = _text(reason)
    if not text:
        problems["reason"] = f"{what} needs a reason: say why (it is kept in the audit log)"
    elif len(text) > 500:
        problems["reason"] = "is longer than 500 characters"
    return text


def _check_choice(value: object, name: str, terms: Mapping[str, Term], noun: str,
                  problems: dict[str, str]) -> str:
    text = _text(value)
    if text not in terms:
        known = ", ".join(terms)
        problems[name] = (f"choose a {noun} (one of {known})" if not text
                          else f"{text!r} is not a {noun} of the rule book (known: {known})")
    return text


def _check_number(value: object, name: str, problems: dict[str, str], *, most: Decimal) -> Decimal | None:
    """A number from 0 to `most` exact to the hundredth; None when empty."""
    text = _text(value)
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        problems[name] = f"{text!r} is not a number"
        return None
    if not number.is_finite() or number < 0 or number > most:
        problems[name] = f"{text!r} is not a number from 0 to {most}"
        return None
    if number != number.quantize(HUNDREDTH):
        problems[name] = f"{text!r} has more than two decimals"
        return None
    return number.quantize(HUNDREDTH)


def _plain(value: object) -> object:
    """A value as the audit log's JSON can hold it."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def _check_activity(session: Session, vocabulary: Catalogue, values: Mapping[str, object], activity_id: str,
                    problems: dict[str, str]) -> dict:
    """The activity's values checked against the rule book's vocabularies, in their stored form."""
    checked: dict = {}
    title = _text(values.get("title"))
    if not title:
        problems["title"] = "is missing"
    elif len(title) > MEDIUM:
        problems["title"] = f"is longer than {MEDIUM} characters"
    checked["title"] = title
    checked["kind"] = _check_choice(values.get("kind"), "kind", vocabulary.kinds, "kind", problems)
    checked["format"] = _check_choice(values.get("format"), "format", vocabulary.formats, "format", problems)
    checked["provider"] = _check_choice(values.get("provider"), "provider", vocabulary.providers, "provider",
                                        problems)

    chosen_areas = [_text(area) for area in values.get("areas") or ()]
    area_ids = [area.id for area in vocabulary.areas]
    unknown = [area for area in chosen_areas if area not in area_ids]
    if unknown:
        verb = "is not an area" if len(unknown) == 1 else "are not areas"
        problems["areas"] = f"{', '.join(map(repr, unknown))} {verb} of the rule book (known: {', '.join(area_ids)})"
    checked["areas"] = [area for area in area_ids if area in chosen_areas]

    category = _text(values.get("category"))
    if category and category not in vocabulary.categories:
        problems["category"] = (f"{category!r} is not a point category of the rule book "
                                f"(known: {', '.join(vocabulary.categories)})")
    checked["category"] = category or None

    checked["hours"] = _check_number(values.get("hours"), "hours", problems, most=MOST_CREDIT)
    checked["points"] = _check_number(values.get("points"), "points", problems, most=MOST_CREDIT)
    if (checked["hours"] is None and checked["points"] is None and checked["format"] != EVENT_FORMAT
            and not {"hours", "points"} & problems.keys()):
        problems["hours"] = ("give credit hours or points (only an activity of the event format may leave both "
                             "empty: each edition says what an event is worth)")
    if checked["points"] is not None and checked["category"] is None and "category" not in problems:
        problems["category"] = "is required when the activity earns points"

    fraction = _check_number(values.get("passing_fraction"), "passing_fraction", problems, most=Decimal(1))
    if fraction is not None:  # left out, a new activity gets the model's default
        checked["passing_fraction"] = fraction
    repeat = _text(values.get("counts_once_per")) or "programme"
    if repeat not in REPEATS:
        problems["counts_once_per"] = f"{repeat!r} is not one of {', '.join(REPEATS)}"
    checked["counts_once_per"] = repeat
    checked["description"] = _text(values.get("description")) or None

    aliases: list[str] = []
    for alias in values.get("aliases") or ():
        alias = _text(alias)
        if alias and alias.casefold() != title.casefold() and alias.casefold() not in map(str.casefold, aliases):
            aliases.append(alias)
    if any(len(alias) > MEDIUM for alias in aliases):
        problems["aliases"] = f"each name must be at most {MEDIUM} characters"
    checked["aliases"] = aliases
    _check_names_free(session, activity_id, title, aliases, problems)
    return checked


def _check_names_free(session: Session, activity_id: str, title: str, aliases: list[str],
                      problems: dict[str, str]) -> None:
    """Titles and other names find an activity in imports, so no two activities may share one."""
    wanted = {name.casefold(): name for name in (title, *aliases) if name}
    for other in session.scalars(select(Activity).where(Activity.id != activity_id)):
        for name in (other.title, *(other.aliases or ())):
            clash = wanted.get(name.casefold())
            if clash is None:
                continue
            field_name = "title" if clash.casefold() == title.casefold() else "aliases"
            problems.setdefault(field_name, f"{clash!r} already names the activity {other.title!r} ({other.id})")


def _raise_if(problems: dict[str, str]) -> None:
    if problems:
        raise CatalogueError(problems)


def add_activity(
    session: Session,
    *,
    vocabulary: Catalogue,
    id: str,
    title: str,
    kind: str,
    format: str,
    provider: str,
    areas: Iterable[str] = (),
    hours: Decimal | float | str | None = None,
    points: Decimal | float | str | None = None,
    category: str | None = None,
    passing_fraction: Decimal | float | str | None = None,
    counts_once_per: str = "programme",
    description: str | None = None,
    aliases: Iterable[str] = (),
    actor: str,
    reason: str,
    origin: str | None = None,
) -> Activity:
    """Add an activity to the catalogue, checked against the rule book's vocabularies (`vocabulary`)."""
    problems: dict[str, str] = {}
    activity_id = _text(id)
    if not re.fullmatch(SLUG.pattern, activity_id) or len(activity_id) > SHORT:
        problems["id"] = (f"{activity_id!r} is not an id: use lower-case letters, digits, '-' or '_' "
                          f"(at most {SHORT} characters, e.g. 'budget-basics')" if activity_id else "is missing")
    elif session.get(Activity, activity_id) is not None:
        problems["id"] = f"{activity_id!r} is already the id of an activity"
    values = _check_activity(session, vocabulary, {
        "title": title, "kind": kind, "format": format, "provider": provider, "areas": list(areas), "hours": hours,
        "points": points, "category": category, "passing_fraction": passing_fraction,
        "counts_once_per": counts_once_per, "description": description, "aliases": list(aliases),
    }, activity_id, problems)
    why = _check_reason(reason, "adding an activity", problems)
    _raise_if(problems)
    activity = Activity(id=activity_id, active=True, **values)
    try:
        with session.begin_nested():
            session.add(activity)
            session.flush()
    except IntegrityError:
        raise CatalogueError({"id": f"{activity_id!r} is already the id of an activity"}) from None
    record_audit(session, actor=actor, action="activity.added", subject_type="activity", subject_id=activity_id,
                 origin=origin, details={"reason": why, **{name: _plain(value) for name, value in values.items()}})
    return activity


def _has_completions(session: Session, activity: Activity) -> bool:
    return session.scalar(select(Completion.id).where(Completion.activity_id == activity.id).limit(1)) is not None


def _earns_points_only(values: Mapping[str, object]) -> bool:
    return values["points"] is not None and values["hours"] is None


def update_activity(
    session: Session,
    activity: Activity,
    *,
    vocabulary: Catalogue,
    actor: str,
    reason: str,
    origin: str | None = None,
    **changes: object,
) -> dict[str, tuple[object, object]]:
    """Change some of an activity's fields (names in EDITABLE); returns each changed field's (old, new) values.

    Completions already recorded keep the credit, areas, format and provider they were recorded with.
    Switching an activity between hours and points once it has completions is refused: their
    stored credit would be read in the other unit.
    """
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise TypeError(f"update_activity cannot change {', '.join(sorted(unknown))}")
    current = {name: getattr(activity, name) for name in EDITABLE}
    problems: dict[str, str] = {}
    values = _check_activity(session, vocabulary, {**current, **changes}, activity.id, problems)
    why = _check_reason(reason, "changing an activity", problems)
    _raise_if(problems)
    changed = {name: (current[name], values.get(name, current[name])) for name in EDITABLE
               if values.get(name, current[name]) != current[name]}
    if not changed:
        raise CatalogueError({"": "nothing to change: the form holds the activity's current values"})
    if _earns_points_only(current) != _earns_points_only({**current, **values}) and _has_completions(session, activity):
        raise CatalogueError({"points": "the activity has recorded completions, whose stored credit would be read "
                                        "as points instead of hours (or the reverse): add a new activity instead"})
    for name, (_, new) in changed.items():
        setattr(activity, name, new)
    session.flush()
    record_audit(session, actor=actor, action="activity.updated", subject_type="activity", subject_id=activity.id,
                 origin=origin, details={"reason": why, "changes": {
                     name: [_plain(old), _plain(new)] for name, (old, new) in changed.items()}})
    return changed


def _set_active(session: Session, activity: Activity, active: bool, *, actor: str, reason: str,
                origin: str | None) -> None:
    verb = "restoring" if active else "retiring"
    problems: dict[str, str] = {}
    why = _check_reason(reason, f"{verb} an activity", problems)
    if activity.active == active:
        problems[""] = f"{activity.title} is already {'offered' if active else 'retired'}"
    _raise_if(problems)
    activity.active = active
    session.flush()
    record_audit(session, actor=actor, action="activity.restored" if active else "activity.retired",
                 subject_type="activity", subject_id=activity.id, origin=origin, details={"reason": why})


def retire_activity(session: Session, activity: Activity, *, actor: str, reason: str,
                    origin: str | None = None) -> None:
    """Stop offering an activity: the planner and deep linking leave it out; its completions still count."""
    _set_active(session, activity, False, actor=actor, reason=reason, origin=origin)


def restore_activity(session: Session, activity: Activity, *, actor: str, reason: str,
                     origin: str | None = None) -> None:
    """Offer a retired activity again."""
    _set_active(session, activity, True, actor=actor, reason=reason, origin=origin)


def _check_days(dates: Iterable[dt.date | str], problems: dict[str, str]) -> list[dt.date]:
    days: list[dt.date] = []
    for value in dates:
        if isinstance(value, dt.date):
            days.append(value)
            continue
        text = _text(value)
        try:
            days.append(dt.date.fromisoformat(text))
        except ValueError:
            problems["dates"] = f"{text!r} is not a day YYYY-MM-DD"
            return []
    if not days:
        problems["dates"] = "give the first day"
    for earlier, later in zip(days, days[1:]):
        if later == earlier:
            problems["dates"] = f"{later.isoformat()} is given twice"
            break
        if later < earlier:
            problems["dates"] = f"the days must be in order: {later.isoformat()} comes after {earlier.isoformat()}"
            break
    return days


def add_session(
    session: Session,
    activity: Activity,
    *,
    vocabulary: Catalogue,
    dates: Iterable[dt.date | str],
    place: str,
    format: str | None = None,
    provider: str | None = None,
    time: str | None = None,
    actor: str,
    reason: str,
    as_of: dt.date | None = None,
    origin: str | None = None,
) -> ActivitySession:
    """Offer a dated session of an activity (the planner proposes it); one or more days in order.

    `format` and `provider` override the activity's for this session; with `as_of`, the first day may not be
    before it (a session is an offering, not a record of the past).
    """
    problems: dict[str, str] = {}
    days = _check_days(dates, problems)
    if days and as_of is not None and days[0] < as_of and "dates" not in problems:
        problems["dates"] = f"the first day {days[0].isoformat()} has passed: a session is an upcoming offering"
    where = _text(place)
    if not where:
        problems["place"] = "is missing (a town and address, or 'Online' for a webinar)"
    elif len(where) > MEDIUM:
        problems["place"] = f"is longer than {MEDIUM} characters"
    session_format = _check_choice(format, "format", vocabulary.formats, "format", problems) if _text(format) else None
    session_provider = (_check_choice(provider, "provider", vocabulary.providers, "provider", problems)
                        if _text(provider) else None)
    time_of_day = _text(time) or None
    if time_of_day is not None and len(time_of_day) > SHORT:
        problems["time"] = f"is longer than {SHORT} characters"
    why = _check_reason(reason, "adding a session", problems)
    taken = "a session of this activity already starts on {day} at {place}"
    if days and where and "dates" not in problems and session.scalar(
            select(ActivitySession.id).where(ActivitySession.activity_id == activity.id,
                                             ActivitySession.starts_on == days[0], ActivitySession.place == where)):
        problems["dates"] = taken.format(day=days[0].isoformat(), place=where)
    _raise_if(problems)
    sitting = ActivitySession(activity_id=activity.id, starts_on=days[0], dates=[day.isoformat() for day in days],
                              place=where, format=session_format, provider=session_provider, time=time_of_day)
    try:
        with session.begin_nested():
            session.add(sitting)
            session.flush()
    except IntegrityError:
        raise CatalogueError({"dates": taken.format(day=days[0].isoformat(), place=where)}) from None
    record_audit(session, actor=actor, action="activity_session.added", subject_type="activity",
                 subject_id=activity.id, origin=origin, details={"reason": why, **_session_facts(sitting)})
    return sitting


def _session_facts(sitting: ActivitySession) -> dict:
    return {"session_id": sitting.id, "starts_on": sitting.starts_on.isoformat(), "dates": list(sitting.dates),
            "place": sitting.place, "format": sitting.format, "provider": sitting.provider, "time": sitting.time}


def cancel_session(session: Session, sitting: ActivitySession, *, actor: str, reason: str,
                   origin: str | None = None) -> None:
    """Remove a session that will not take place (sessions are offerings; the audit log keeps what it was).

    A cancelled session of the rule files is not added back by the next catalogue load.
    """
    problems: dict[str, str] = {}
    why = _check_reason(reason, "cancelling a session", problems)
    _raise_if(problems)
    facts = _session_facts(sitting)
    session.delete(sitting)
    session.flush()
    record_audit(session, actor=actor, action=SESSION_CANCELLED, subject_type="activity",
                 subject_id=sitting.activity_id, origin=origin, details={"reason": why, **facts})


def cancelled_sessions(session: Session) -> set[tuple[str, dt.date, str]]:
    """(activity id, first day, place) of every session an administrator cancelled."""
    return {
        (entry.subject_id, dt.date.fromisoformat(entry.details["starts_on"]), entry.details["place"])
        for entry in session.scalars(select(AuditEntry).where(AuditEntry.action == SESSION_CANCELLED))
        if entry.details and "starts_on" in entry.details
    }


def catalogue_trail(session: Session, activity: Activity) -> list[AuditEntry]:
    """The changes made to an activity and its sessions, newest first."""
    return list(session.scalars(select(AuditEntry).where(AuditEntry.subject_type == "activity",
                                                         AuditEntry.subject_id == activity.id)
                                .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())))
