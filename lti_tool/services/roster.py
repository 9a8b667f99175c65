"""The roster of a course placement: who is in the course, who was marked attended through the placement,
and the instructor's marks and undos.

A mark is a completion (source `instructor`) recorded through the placement (`resource_link_id`). Its source key
is deterministic for the state it is made in:

    instructor:rl<placement id>:o<official id>:after<id of the last reversal of this official's marks of this
    activity through this placement, or 0>

so two instructors marking the same person at once record one completion, and marking again after an undo
records a new one. An undo is a reversal entry, never a delete. After every change the LMS score is queued and
the official's certifications are refreshed, in the caller's transaction.

Course members come from the platform's Names and Role Provisioning service (`fetch_members`); officials the
tool already knows in the course (`known_course_officials`) stand in when the platform cannot be reached.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import engine
from ..lms import Member, ServiceClient, list_members
from ..lti import claims as c
from ..lti.roles import LEARNER_ROLES, RoleSet, parse_role
from ..models import Activity, Completion, Context, CourseMembership, Launch, Official, Platform, ResourceLink
from .audit import record_audit
from .certification import refresh_certifications
from .completions import CompletionError, EffectiveCompletion, build_effective, record_completion, reverse_completion
from .gradebook import enqueue_completion_score
from .officials import OfficialError, parse_credit as parse_hours
from .progress import official_progress

MARK_SOURCE = "instructor"
# Members asked for per page; the platform's Link rel="next" leads to the rest.
MEMBERS_PAGE_SIZE = 200

MARKED, NOT_MARKED, REVERSED = "marked", "not_marked", "reversed"


class RosterError(ValueError):
    """A roster request that cannot be carried out, with the reason in words."""


# ------------------------------------------------------------------------------------------- course members


def memberships_url(context: Context, claims: dict[str, Any] | None = None) -> str | None:
    """The course's NRPS memberships URL: the one stored for the course, else the launch's NRPS claim."""
    if context.memberships_url:
        return context.memberships_url
    nrps = (claims or {}).get(c.NRPS)
    url = nrps.get("context_memberships_url") if isinstance(nrps, dict) else None
    return url if isinstance(url, str) and url else None


def membership_client(session: Session, platform_id: int, *, keys_dir: Path, timeout_seconds: float) -> ServiceClient:
    """The service client that reads a platform's member lists (every call has `timeout_seconds`)."""
    platform = session.get(Platform, platform_id)
    if platform is None:
        raise RosterError(f"platform {platform_id} is not registered")
    return ServiceClient.for_platform(session, platform, keys_dir=keys_dir, timeout_seconds=timeout_seconds)


def fetch_members(client: ServiceClient, url: str) -> list[Member]:
    """Every member of a course, across all pages of the platform's answer (raises LmsError).
    Makes network calls: call it with no database transaction open."""
    return list_members(client, url, page_size=MEMBERS_PAGE_SIZE)


def is_learner(member: Member) -> bool:
    """Whether a course member holds a learner role (only learners are marked and graded)."""
    return member.active and any((role.scope, role.name) in LEARNER_ROLES for role in map(parse_role, member.roles))


def known_course_officials(session: Session, context: Context) -> list[Official]:
    """The learners the tool knows in a course without asking the platform: those recorded as its learners
    (by a launch there or the platform's member list, even after the launch expired), those with a launch there
    as learners that is still kept, and those credited through one of the course's placements."""
    recorded = dict(
        session.execute(
            select(CourseMembership.official_id, CourseMembership.roles).where(CourseMembership.context_id == context.id)
        ).all()
    )
    members = {official_id for official_id, roles in recorded.items() if isinstance(roles, list) and "learner" in roles}
    # A launch kept from before memberships were recorded still names its learner; a recorded membership is
    # newer than any launch, so it alone decides for those it covers.
    for official_id, roles in session.execute(
        select(Launch.official_id, Launch.roles).where(Launch.context_id == context.id, Launch.official_id.is_not(None))
    ):
        if official_id not in recorded and RoleSet.from_claim(roles).is_learner:
            members.add(official_id)
    credited = set(
        session.scalars(
            select(Completion.official_id)
            .join(ResourceLink, ResourceLink.id == Completion.resource_link_id)
            .where(ResourceLink.context_id == context.id)
        )
    )
    ids = members | credited
    if not ids:
        return []
    return list(
        session.scalars(
            select(Official)
            .where(Official.id.in_(ids), Official.platform_id == context.platform_id)
            .order_by(Official.family_name, Official.name, Official.id)
        )
    )


def placement_officials(session: Session, link: ResourceLink) -> list[Official]:
    """Officials with a record through a placement (so a mark stays visible, and can be undone, after they left
    the course)."""
    ids = set(session.scalars(select(Completion.official_id).where(Completion.resource_link_id == link.id)))
    return list(session.scalars(select(Official).where(Official.id.in_(ids)))) if ids else []


def sort_officials(officials: Iterable[Official]) -> list[Official]:
    """Officials in roster order: by family name, then the name shown."""
    return sorted(officials, key=lambda o: ((o.family_name or o.display_name).casefold(), o.display_name.casefold(), o.id))


# ------------------------------------------------------------------------------------------- roster state


@dataclass(frozen=True)
class RosterEntry:
    """One official on a placement's roster and what the placement recorded for them."""

    official: Official
    state: str  # MARKED, NOT_MARKED or REVERSED
    marks: tuple[EffectiveCompletion, ...]  # counting records through this placement
    reversed_marks: tuple[EffectiveCompletion, ...]  # reversed records through this placement
    elsewhere: tuple[EffectiveCompletion, ...]  # counting records of the activity not through this placement

    @property
    def marked_on(self) -> dt.date | None:
        return self.marks[-1].completed_on if self.marks else None

    @property
    def last_reversal(self) -> Completion | None:
        reversals = [item.reversal for item in self.reversed_marks if item.reversal is not None]
        return max(reversals, key=lambda row: row.id) if reversals else None


def activity_records(session: Session, activity_id: str, official_ids: Sequence[int]) -> dict[int, list[EffectiveCompletion]]:
    """Each official's records of one activity as they stand (corrections folded in), by official id."""
    if not official_ids:
        return {}
    rows = session.scalars(
        select(Completion).where(Completion.activity_id == activity_id, Completion.official_id.in_(list(official_ids)))
    ).all()
    by_official: dict[int, list[Completion]] = {}
    for row in rows:
        by_official.setdefault(row.official_id, []).append(row)
    return {official_id: build_effective(items) for official_id, items in by_official.items()}


def _entry(official: Official, link: ResourceLink, records: list[EffectiveCompletion]) -> RosterEntry:
    through = [item for item in records if item.root.resource_link_id == link.id]
    marks = tuple(item for item in through if item.counts)
    reversed_marks = tuple(item for item in through if item.reversed)
    state = MARKED if marks else REVERSED if reversed_marks else NOT_MARKED
    elsewhere = tuple(item for item in records if item.root.resource_link_id != link.id and item.counts)
    return RosterEntry(official, state, marks, reversed_marks, elsewhere)


def roster_entries(session: Session, link: ResourceLink, officials: Iterable[Official]) -> list[RosterEntry]:
    """The roster of an activity placement: each official with their state for its activity."""
    officials = list(officials)
    activity_id = _activity_id(link)
    records = activity_records(session, activity_id, [official.id for official in officials])
    return [_entry(official, link, records.get(official.id, [])) for official in officials]


def roster_entry(session: Session, link: ResourceLink, official: Official) -> RosterEntry:
    """One official's roster entry for an activity placement."""
    return roster_entries(session, link, [official])[0]


def _activity_id(link: ResourceLink) -> str:
    if link.kind != "activity" or not link.activity_id:
        raise RosterError("this placement does not mark a catalogue activity")
    return link.activity_id


# ------------------------------------------------------------------------------------------- marking


def parse_credit(text: str | None) -> Decimal | None:
    """Hours (or points) typed in a form or a file; None when empty; RosterError when not a number 0..1000."""
    try:
        return parse_hours(text)
    except OfficialError as exc:
        raise RosterError(str(exc)) from None


def default_credit(activity: Activity) -> Decimal | None:
    """The credit a mark gets unless the instructor says otherwise: the activity's hours, else its points."""
    return activity.hours if activity.hours is not None else activity.points


def credit_unit(activity: Activity) -> str:
    """What an activity's credit is counted in: "points" when it has points and no hours, else "hours"."""
    return "points" if activity.hours is None and activity.points is not None else "hours"


def check_credit(activity: Activity, hours: Decimal | None) -> Decimal:
    """The credit of a new record: `hours` if given, else the activity's; RosterError when neither exists."""
    credit = hours if hours is not None else default_credit(activity)
    if credit is None:
        raise RosterError(f"{activity.title} has no catalogue hours: give the hours attended")
    return credit


def check_completion_day(day: dt.date, today: dt.date) -> dt.date:
    """A completion date must not be in the future."""
    if day > today:
        raise RosterError(f"{day.isoformat()} is in the future: mark attendance on or after the day it happens")
    return day


def mark_source_key(session: Session, link: ResourceLink, official: Official) -> str:
    """The source key a mark of `official` through `link` gets in the current state (see the module docstring)."""
    last_reversal = session.scalar(
        select(func.max(Completion.id)).where(
            Completion.kind == "reversal",
            Completion.official_id == official.id,
            Completion.activity_id == _activity_id(link),
            Completion.resource_link_id == link.id,
        )
    )
    return f"instructor:rl{link.id}:o{official.id}:after{last_reversal or 0}"


@dataclass
class MarkResult:
    """What a mark did: the counting record through the placement, and whether this call recorded it."""

    completion: Completion
    created: bool


def _check_tenancy(session: Session, link: ResourceLink, official: Official) -> None:
    context = session.get(Context, link.context_id)
    if context is None or context.platform_id != official.platform_id:
        raise RosterError("this official belongs to another platform than the course")


def _after_change(session: Session, official: Official, completion: Completion, *, rulebook: engine.RuleBook,
                  as_of: dt.date, actor: str, origin: str | None) -> None:
    enqueue_completion_score(session, completion, actor=actor, origin=origin)
    refresh_certifications(session, official, rulebook, as_of=as_of, actor=actor)


def mark_attended(
    session: Session,
    *,
    link: ResourceLink,
    official: Official,
    completed_on: dt.date,
    actor: str,
    rulebook: engine.RuleBook,
    as_of: dt.date,
    hours: Decimal | None = None,
    origin: str | None = None,
) -> MarkResult:
    """Mark `official` attended/completed the placement's activity on `completed_on` (hours default to the
    activity's). An official already marked through the placement keeps that mark (created False)."""
    _check_tenancy(session, link, official)
    activity = session.get(Activity, _activity_id(link))
    check_completion_day(completed_on, as_of)
    credit = check_credit(activity, hours)
    entry = roster_entry(session, link, official)
    if entry.marks:
        return MarkResult(entry.marks[-1].root, False)
    try:
        row, created = record_completion(
            session,
            official=official,
            activity=activity,
            completed_on=completed_on,
            source=MARK_SOURCE,
            source_key=mark_source_key(session, link, official),
            recorded_by=actor,
            hours=credit,
            recorded_from=origin,
            evidence=f"marked attended by an instructor through placement {link.title or link.lti_resource_link_id!r}",
            resource_link_id=link.id,
        )
    except CompletionError as exc:
        raise RosterError(str(exc)) from None
    if created:
        _after_change(session, official, row, rulebook=rulebook, as_of=as_of, actor=actor, origin=origin)
    return MarkResult(row, created)


@dataclass
class BulkMarkResult:
    """What "mark all present" did."""

    marked: list[Official] = field(default_factory=list)
    already_marked: list[Official] = field(default_factory=list)
    credited_that_day: list[Official] = field(default_factory=list)


def mark_all_present(
    session: Session,
    *,
    link: ResourceLink,
    officials: Iterable[Official],
    completed_on: dt.date,
    actor: str,
    rulebook: engine.RuleBook,
    as_of: dt.date,
    hours: Decimal | None = None,
    origin: str | None = None,
) -> BulkMarkResult:
    """Mark every listed official attended on `completed_on`, except those already marked through the placement
    or already credited with the activity on that day by another source (e.g. an import)."""
    activity = session.get(Activity, _activity_id(link))
    check_completion_day(completed_on, as_of)
    check_credit(activity, hours)
    result = BulkMarkResult()
    for entry in roster_entries(session, link, officials):
        if entry.marks:
            result.already_marked.append(entry.official)
        elif any(item.completed_on == completed_on for item in entry.elsewhere):
            result.credited_that_day.append(entry.official)
        else:
            outcome = mark_attended(session, link=link, official=entry.official, completed_on=completed_on,
                                    actor=actor, rulebook=rulebook, as_of=as_of, hours=hours, origin=origin)
            (result.marked if outcome.created else result.already_marked).append(entry.official)
    record_audit(session, actor=actor, action="roster.marked_all_present", subject_type="resource_link",
                 subject_id=link.id, origin=origin,
                 details={"activity_id": activity.id, "completed_on": completed_on.isoformat(),
                          "marked": [o.id for o in result.marked],
                          "already_marked": [o.id for o in result.already_marked],
                          "credited_that_day": [o.id for o in result.credited_that_day]})
    return result


def undo_mark(
    session: Session,
    *,
    link: ResourceLink,
    official: Official,
    reason: str,
    actor: str,
    rulebook: engine.RuleBook,
    as_of: dt.date,
    origin: str | None = None,
) -> list[Completion]:
    """Reverse the official's current mark(s) through the placement, with `reason`; returns the reversals this
    call recorded (none when there was nothing to undo or another instructor undid it first)."""
    _check_tenancy(session, link, official)
    if not reason or not reason.strip():
        raise RosterError("an undo needs a reason: say why the mark was wrong")
    entry = roster_entry(session, link, official)
    reversals = []
    for item in entry.marks:
        try:
            reversal, created = reverse_completion(session, item.root, recorded_by=actor, reason=reason.strip(),
                                                   source=MARK_SOURCE, recorded_from=origin)
        except CompletionError as exc:
            raise RosterError(str(exc)) from None
        if created:
            reversals.append(reversal)
    if reversals:
        for reversal in reversals:
            enqueue_completion_score(session, reversal, actor=actor, origin=origin)
        refresh_certifications(session, official, rulebook, as_of=as_of, actor=actor)
    return reversals


# ------------------------------------------------------------------------------------------- history


@dataclass(frozen=True)
class RecordHistory:
    """One original record of an official with every entry that corrected it, oldest first."""

    record: EffectiveCompletion
    entries: tuple[Completion, ...]
    placement: ResourceLink | None


def record_history(session: Session, official: Official, activity_id: str | None = None) -> list[RecordHistory]:
    """An official's records (of one activity, or all), each with its amendments, approvals and reversal."""
    query = select(Completion).where(Completion.official_id == official.id)
    if activity_id is not None:
        query = query.where(Completion.activity_id == activity_id)
    rows = list(session.scalars(query.order_by(Completion.id)))
    by_root: dict[int, list[Completion]] = {}
    for row in rows:
        by_root.setdefault(row.id if row.kind == "record" else row.corrects_id, []).append(row)
    link_ids = {row.resource_link_id for row in rows if row.resource_link_id is not None}
    links = {link.id: link for link in session.scalars(select(ResourceLink).where(ResourceLink.id.in_(link_ids)))} \
        if link_ids else {}
    return [
        RecordHistory(item, tuple(by_root.get(item.id, [item.root])), links.get(item.root.resource_link_id))
        for item in build_effective(rows)
    ]


def activities_by_id(session: Session, activity_ids: Iterable[str]) -> dict[str, Activity]:
    """Catalogue activities by id."""
    ids = sorted(set(activity_ids))
    return {row.id: row for row in session.scalars(select(Activity).where(Activity.id.in_(ids)))} if ids else {}


def actor_names(session: Session, platform_id: int, actors: Iterable[str]) -> dict[str, str]:
    """How to show who recorded an entry: `official:<id>` as the official's name (same platform only)."""
    ids = {}
    for actor in set(actors):
        kind, _, value = actor.partition(":")
        if kind == "official" and value.isdigit():
            ids[int(value)] = actor
    names = {
        ids[official.id]: official.display_name
        for official in session.scalars(
            select(Official).where(Official.id.in_(list(ids)), Official.platform_id == platform_id)
        )
    } if ids else {}
    return names


# ------------------------------------------------------------------------------------------- course overview

# The order of the "status" sort: certified first, then by how far the official got.
STATUS_ORDER = ("certified", engine.COMPLETE, engine.IN_PROGRESS, engine.EXPIRED, engine.NOT_ELIGIBLE)


@dataclass(frozen=True)
class ProgressRow:
    """One official in one programme they are enrolled in (or in none), as the course overview lists it."""

    official: Official
    programme: str | None  # e.g. "CCMO"
    edition_id: str | None
    edition_title: str | None
    status: str | None  # the engine's status code
    earned: float | None
    required: float | None
    unit: str | None
    deadline: dt.date | None  # the last day of the window
    certified_on: dt.date | None

    @property
    def standing(self) -> str | None:
        """"certified" once the programme was certified, else the engine's status (None: not enrolled)."""
        return "certified" if self.certified_on is not None else self.status


def course_progress(session: Session, officials: Iterable[Official], rulebook: engine.RuleBook,
                    as_of: dt.date) -> list[ProgressRow]:
    """Each official's progress in every programme they are enrolled in, evaluated on `as_of`."""
    rows = []
    for official in officials:
        progress = official_progress(session, official, rulebook, as_of, with_plan=False)
        if not progress:
            rows.append(ProgressRow(official, None, None, None, None, None, None, None, None, None))
        for item in progress:
            evaluation = item.evaluation
            rows.append(ProgressRow(
                official=official,
                programme=item.edition.program_abbreviation,
                edition_id=item.edition.id,
                edition_title=item.edition.title,
                status=evaluation.status,
                earned=evaluation.earned,
                required=evaluation.required,
                unit=evaluation.unit,
                deadline=evaluation.last_day,
                certified_on=item.certification.certified_on if item.certification is not None else None,
            ))
    return rows


SORT_KEYS = ("name", "email", "programme", "status", "earned", "deadline")


def sort_progress(rows: Iterable[ProgressRow], key: str, descending: bool = False) -> list[ProgressRow]:
    """Overview rows sorted by one of SORT_KEYS (rows without a value last, whatever the direction), ties by name."""
    if key not in SORT_KEYS:
        raise RosterError(f"cannot sort by {key!r}; use one of {', '.join(SORT_KEYS)}")

    def value(row: ProgressRow):
        return {
            "name": row.official.display_name.casefold(),
            "email": (row.official.email or "").casefold() or None,
            "programme": row.programme,
            "status": STATUS_ORDER.index(row.standing) if row.standing in STATUS_ORDER else None,
            "earned": row.earned,
            "deadline": row.deadline,
        }[key]

    by_name = sorted(rows, key=lambda row: (row.official.display_name.casefold(), row.official.id, row.edition_id or ""))
    present = [row for row in by_name if value(row) is not None]
    missing = [row for row in by_name if value(row) is None]
    return sorted(present, key=value, reverse=descending) + missing
