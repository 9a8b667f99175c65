"""The LMS gradebook: scores for completions and certifications, and grade passback from the LMS.

The `enqueue_*` operations flush, never commit, and write the audit log; the jobs they add are sent by the
outbox worker, so an LMS outage never rolls back the change that caused them. Each (line item, user) has one
job (its dedupe key), which always carries the newest score: the LMS receives states in order, never an old
one after a new one.

Reversals clear the grade instead of posting a zero. Moodle then treats the activity as not graded: activity
completion (with "receive a grade" as well as "passing grade"), the course total ("aggregate only non-empty
grades") and the grader report all drop it, while a zero would count as a failed attempt, keep "receive a
grade" completion and pull the course total down. The comment explaining the reversal stays as feedback.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Iterable

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..lms import (
    PermanentLmsError,
    RemoteLineItem,
    Result,
    Score,
    find_or_create_line_item,
    list_line_items,
    list_members,
    post_score,
    read_results,
)
from ..lms.ags import format_timestamp, parse_timestamp
from ..models import (
    Activity,
    Certification,
    CertificationStatusChange,
    Completion,
    Context,
    ContinuingEducationCycle,
    Enrollment,
    Launch,
    LineItem,
    Official,
    OutboxJob,
    Platform,
    ResourceLink,
    utcnow,
)
from ..outbox import JobContext, PermanentJobError, RetryLater, enqueue, find_job, job_handler, job_outcome
from .audit import record_audit
from .members import remember_members
from .completions import (
    EffectiveCompletion,
    build_effective,
    effective_completions,
    record_completion,
    reverse_completion,
)

SCORE_JOB = "lms.score"
LINE_ITEM_JOB = "lms.line_item"
GRADE_SYNC_JOB = "lms.grade_sync"
ROSTER_SYNC_JOB = "lms.roster_sync"

CERTIFICATION_SCORE_MAXIMUM = Decimal(100)
GRADE_SYNC_ACTOR = "lms-grade-sync"
ROSTER_SYNC_ACTOR = "lms-roster-sync"
# How long a certification score waits for its line item job before trying again.
LINE_ITEM_WAIT_SECONDS = 5.0


class GradebookError(ValueError):
    """A gradebook request that cannot be carried out, with the reason in words."""


# -- scores -----------------------------------------------------------------------------------------------


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def score_key(platform_id: int, lineitem_url: str, user_id: str) -> str:
    """The dedupe key of the score job of one user in one line item."""
    return f"{SCORE_JOB}:{platform_id}:{_digest(lineitem_url)}:{_digest(user_id)}"


def _tagged_score_prefix(platform_id: int, context_id: int, tag: str) -> str:
    return f"{SCORE_JOB}:{platform_id}:{context_id}:{_digest(tag)}:"


def _tagged_score_key(platform_id: int, context_id: int, tag: str, user_id: str) -> str:
    return _tagged_score_prefix(platform_id, context_id, tag) + _digest(user_id)


def _score_payload(score: Score, **target: object) -> dict:
    return {
        **target,
        "user_id": score.user_id,
        "score_given": None if score.score_given is None else str(score.score_given),
        "score_maximum": None if score.score_maximum is None else str(score.score_maximum),
        "activity_progress": score.activity_progress,
        "grading_progress": score.grading_progress,
        "comment": score.comment,
        "timestamp": format_timestamp(score.timestamp),
    }


def _score_from_payload(payload: dict) -> Score:
    timestamp = parse_timestamp(payload.get("timestamp"))
    if timestamp is None or not payload.get("user_id"):
        raise PermanentJobError("the score job has no user or no readable timestamp")
    return Score(
        user_id=str(payload["user_id"]),
        timestamp=timestamp,
        activity_progress=payload.get("activity_progress") or "Completed",
        grading_progress=payload.get("grading_progress") or "FullyGraded",
        score_given=None if payload.get("score_given") is None else Decimal(payload["score_given"]),
        score_maximum=None if payload.get("score_maximum") is None else Decimal(payload["score_maximum"]),
        comment=payload.get("comment"),
    )


def _cleared(user_id: str, comment: str, now: datetime) -> Score:
    """A score that removes the user's grade, with the reason as feedback."""
    return Score(user_id=user_id, timestamp=now, activity_progress="Initialized", grading_progress="NotReady",
                 comment=comment)


def _effective(session: Session, completion: Completion | EffectiveCompletion) -> EffectiveCompletion:
    if isinstance(completion, EffectiveCompletion):
        return completion
    root_id = completion.id if completion.kind == "record" else completion.corrects_id
    rows = session.scalars(
        select(Completion).where((Completion.id == root_id) | (Completion.corrects_id == root_id))
    ).all()
    found = build_effective(rows)
    if not found:
        raise GradebookError(f"completion {completion.id} has no original record")
    return found[0]


def _official_context_ids(session: Session, official: Official) -> set[int]:
    """Courses where the official is known to be: where they launched the tool or earned credit through it."""
    launched = session.scalars(
        select(Launch.context_id).where(Launch.official_id == official.id, Launch.context_id.is_not(None))
    ).all()
    through_links = session.scalars(
        select(ResourceLink.context_id)
        .join(Completion, Completion.resource_link_id == ResourceLink.id)
        .where(Completion.official_id == official.id)
    ).all()
    return set(launched) | set(through_links)


def _placements(session: Session, official: Official, effective: EffectiveCompletion) -> list[ResourceLink]:
    """The placements whose line item shows this completion: the one it was earned through, else the
    activity's placements in the official's courses."""
    root = effective.root
    if root.resource_link_id is not None:
        link = session.get(ResourceLink, root.resource_link_id)
        return [link] if link is not None and link.lineitem_url else []
    context_ids = _official_context_ids(session, official)
    if not context_ids:
        return []
    return list(
        session.scalars(
            select(ResourceLink)
            .join(Context, Context.id == ResourceLink.context_id)
            .where(
                ResourceLink.activity_id == effective.activity_id,
                ResourceLink.lineitem_url.is_not(None),
                Context.platform_id == official.platform_id,
                ResourceLink.context_id.in_(context_ids),
            )
            .order_by(ResourceLink.id)
        )
    )


def _programmes(session: Session, official: Official) -> list[str]:
    programmes = session.scalars(
        select(Enrollment.program).where(Enrollment.official_id == official.id, Enrollment.ended_on.is_(None))
    ).all()
    return sorted({programme.upper() for programme in programmes})


def _credit_words(amount: Decimal, activity: Activity) -> str:
    unit = "points" if activity.hours is None and activity.points is not None else "credit hours"
    number = format(amount.normalize(), "f") if amount == amount.to_integral_value() else str(amount)
    return f"{number} {unit}"


def completion_score(
    session: Session, effective: EffectiveCompletion, official: Official, activity: Activity, now: datetime
) -> Score | None:
    """The score that shows a completion in the LMS (None while it awaits approval)."""
    if effective.pending_approval:
        return None
    credit = _credit_words(effective.hours, activity)
    if effective.reversed:
        reason = (effective.reversal.reason or "").strip() if effective.reversal else ""
        comment = f"Reversed: {activity.title} ({credit}) no longer counts" + (f". Reason: {reason}" if reason else "")
        return _cleared(official.sub, comment, now)
    maximum_credit = activity.hours if activity.hours is not None else activity.points
    maximum = max(maximum_credit or effective.hours, effective.hours)
    programmes = _programmes(session, official)
    toward = f" toward {', '.join(programmes)}" if programmes else " of programme credit"
    comment = f"{activity.title}, completed {effective.completed_on.isoformat()}: {credit}{toward}"
    return Score(
        user_id=official.sub,
        timestamp=now,
        score_given=effective.hours,
        score_maximum=maximum if maximum > 0 else Decimal(1),
        comment=comment,
    )


def enqueue_completion_score(
    session: Session,
    completion: Completion | EffectiveCompletion,
    *,
    actor: str = "system",
    origin: str | None = None,
    now: datetime | None = None,
) -> list[OutboxJob]:
    """Queue the score that shows a new, amended or reversed completion on its placements' line items
    (hours given of the activity's hours; a reversal clears the grade). Returns the jobs (none when the
    activity has no graded placement in the official's courses)."""
    now = now or utcnow()
    effective = _effective(session, completion)
    official = session.get(Official, effective.root.official_id)
    activity = session.get(Activity, effective.activity_id)
    placements = _placements(session, official, effective)
    if effective.reversed:
        # The column shows the activity: another completion of it that still counts keeps it graded.
        standing = [item for item in effective_completions(session, official.id)
                    if item.counts and item.activity_id == effective.activity_id]
        if standing:
            effective = standing[-1]
    score = completion_score(session, effective, official, activity, now)
    if score is None:
        return []
    jobs = []
    for link in placements:
        payload = _score_payload(
            score, lineitem_url=link.lineitem_url, official_id=official.id, completion_id=effective.id
        )
        job = enqueue(
            session, SCORE_JOB, payload, platform_id=official.platform_id,
            dedupe_key=score_key(official.platform_id, link.lineitem_url, official.sub), now=now,
        )
        jobs.append(job)
        record_audit(
            session,
            actor=actor,
            action="lms.score_queued",
            subject_type="completion",
            subject_id=effective.id,
            origin=origin,
            details={
                "job_id": job.id,
                "lineitem_url": link.lineitem_url,
                "score_given": payload["score_given"],
                "score_maximum": payload["score_maximum"],
                "reversed": effective.reversed,
            },
        )
    return jobs


# -- certifications ---------------------------------------------------------------------------------------


def certification_tag(edition_id: str) -> str:
    """The tag of a programme edition's certification column, e.g. "certification:ccmo-academy"."""
    return f"certification:{edition_id}"


def _latest_status_change(session: Session, certification: Certification) -> CertificationStatusChange | None:
    return session.scalars(
        select(CertificationStatusChange)
        .where(CertificationStatusChange.certification_id == certification.id)
        .order_by(CertificationStatusChange.id.desc())
        .limit(1)
    ).first()


def _latest_cycle(session: Session, certification: Certification) -> ContinuingEducationCycle | None:
    return session.scalars(
        select(ContinuingEducationCycle)
        .where(ContinuingEducationCycle.certification_id == certification.id)
        .order_by(ContinuingEducationCycle.starts_on.desc())
        .limit(1)
    ).first()


def certification_score(
    session: Session, certification: Certification, official: Official, label: str,
    verification_url: str | None, now: datetime,
) -> Score:
    """The score that shows a certification's standing: full marks while it stands, cleared once it lapsed or
    was revoked; the comment says why and holds the credential's verification URL when there is one."""
    change = _latest_status_change(session, certification)
    cycle = _latest_cycle(session, certification)
    if change is not None and change.status in ("lapsed", "revoked"):
        return _cleared(official.sub, f"{label}: the certification {change.status} on "
                                      f"{change.effective_on.isoformat()} ({change.reason})", now)
    reinstated_since = change is not None and cycle is not None and change.effective_on > cycle.ends_on
    if cycle is not None and cycle.outcome == "lapsed" and not reinstated_since:
        return _cleared(official.sub, f"{label}: the certification lapsed: continuing education was not met "
                                      f"for {cycle.starts_on.isoformat()} to {cycle.ends_on.isoformat()}", now)
    comment = f"{label}: certified on {certification.certified_on.isoformat()}"
    if cycle is not None and cycle.outcome == "met":
        comment += (f"; continuing education met for {cycle.starts_on.isoformat()} to "
                    f"{cycle.ends_on.isoformat()}")
    if verification_url:
        comment += f". Verify the credential at {verification_url}"
    return Score(
        user_id=official.sub,
        timestamp=now,
        score_given=CERTIFICATION_SCORE_MAXIMUM,
        score_maximum=CERTIFICATION_SCORE_MAXIMUM,
        comment=comment,
    )


def enqueue_certification_score(
    session: Session,
    certification: Certification,
    verification_url: str | None = None,
    *,
    label: str | None = None,
    contexts: Iterable[Context] | None = None,
    actor: str = "system",
    origin: str | None = None,
    now: datetime | None = None,
) -> list[OutboxJob]:
    """Queue the official's certification score in each course (default: every course where the official is
    known and the tool may manage line items), in the programme edition's column (tag
    `certification:<edition>`, created when missing). Call again when the standing changes (a cycle met or
    lapsed, a revocation) or once the credential exists, with its `verification_url`."""
    now = now or utcnow()
    official = session.get(Official, certification.official_id)
    label = label or f"{certification.edition_id} certification"
    tag = certification_tag(certification.edition_id)
    if contexts is None:
        ids = _official_context_ids(session, official)
        contexts = session.scalars(select(Context).where(Context.id.in_(ids)).order_by(Context.id)).all() if ids else []
    score = certification_score(session, certification, official, label, verification_url, now)
    jobs = []
    for context in contexts:
        if context.platform_id != official.platform_id:
            raise GradebookError(f"course {context.id} is on another platform than official {official.id}")
        if not context.lineitems_url:
            continue
        _ensure_line_item_job(session, context, tag=tag, label=label, edition_id=certification.edition_id, now=now)
        payload = _score_payload(
            score, context_id=context.id, tag=tag, official_id=official.id, certification_id=certification.id
        )
        job = enqueue(
            session, SCORE_JOB, payload, platform_id=official.platform_id,
            dedupe_key=_tagged_score_key(official.platform_id, context.id, tag, official.sub), now=now,
        )
        jobs.append(job)
        record_audit(
            session,
            actor=actor,
            action="lms.certification_score_queued",
            subject_type="certification",
            subject_id=certification.id,
            origin=origin,
            details={"job_id": job.id, "context_id": context.id, "tag": tag,
                     "score_given": payload["score_given"], "verification_url": verification_url},
        )
    return jobs


def _line_item_by_tag(session: Session, context_id: int, tag: str) -> LineItem | None:
    return session.scalars(
        select(LineItem).where(LineItem.context_id == context_id, LineItem.tag == tag).order_by(LineItem.id)
    ).first()


def _ensure_line_item_job(session: Session, context: Context, *, tag: str, label: str, edition_id: str,
                          now: datetime) -> None:
    if _line_item_by_tag(session, context.id, tag) is not None:
        return
    # One job per (course, tag): two officials certified at once must not make two columns.
    enqueue(
        session,
        LINE_ITEM_JOB,
        {"context_id": context.id, "tag": tag, "label": label, "edition_id": edition_id,
         "score_maximum": str(CERTIFICATION_SCORE_MAXIMUM)},
        platform_id=context.platform_id,
        dedupe_key=f"{LINE_ITEM_JOB}:{context.id}:{_digest(tag)}",
        now=now,
    )


# -- job handlers -----------------------------------------------------------------------------------------


@job_handler(SCORE_JOB)
def send_score(ctx: JobContext) -> None:
    """Post one score; a certification score first finds its column by tag (and has it made again if a
    teacher deleted it)."""
    payload = ctx.payload
    score = _score_from_payload(payload)
    line_item = None
    lineitem_url = payload.get("lineitem_url")
    if not lineitem_url:
        line_item = _line_item_by_tag(ctx.session, int(payload["context_id"]), str(payload["tag"]))
        if line_item is None:
            raise RetryLater(f"the line item tagged {payload['tag']!r} does not exist yet", LINE_ITEM_WAIT_SECONDS)
        lineitem_url = line_item.url
    client = ctx.service_client()
    try:
        accepted = post_score(client, lineitem_url, score)
    except PermanentLmsError as refusal:
        if line_item is None or refusal.status != 404:
            raise
        _forget_line_item(ctx.session, line_item.id)
        ctx.checkpoint()
        raise RetryLater(f"the column tagged {payload['tag']!r} was deleted in the LMS; it is being made again",
                         LINE_ITEM_WAIT_SECONDS) from None
    ctx.outcome = {"timestamp": format_timestamp(accepted), "lineitem_url": lineitem_url}


def _forget_line_item(session: Session, line_item_id: int) -> None:
    """Drop a tagged column the LMS no longer has and queue making it again."""
    line_item = session.get(LineItem, line_item_id)
    context = session.get(Context, line_item.context_id)
    tag, label, edition_id = line_item.tag, line_item.label, line_item.edition_id
    session.delete(line_item)
    session.flush()
    _ensure_line_item_job(session, context, tag=tag, label=label, edition_id=edition_id, now=utcnow())


@job_handler(LINE_ITEM_JOB)
def ensure_line_item(ctx: JobContext) -> None:
    """Find the course's line item with the job's tag, or create it, and remember it."""
    payload = ctx.payload
    context = ctx.session.get(Context, int(payload["context_id"]))
    if context is None or not context.lineitems_url:
        raise PermanentJobError(f"course {payload['context_id']} is gone or has no line items service")
    if _line_item_by_tag(ctx.session, context.id, payload["tag"]) is not None:
        return
    lineitems_url = context.lineitems_url
    client = ctx.service_client()
    remote = find_or_create_line_item(
        client, lineitems_url, tag=payload["tag"], label=payload["label"],
        score_maximum=Decimal(payload["score_maximum"]),
    )
    _remember_line_item(ctx.session, context.id, remote, edition_id=payload.get("edition_id"))
    # The scores waiting for this column need not wait out their retry delay.
    ctx.session.execute(
        update(OutboxJob)
        .where(
            OutboxJob.state == "pending",
            OutboxJob.dedupe_key.startswith(_tagged_score_prefix(ctx.platform_id, context.id, payload["tag"])),
        )
        .values(next_attempt_at=utcnow())
    )


def _remember_line_item(session: Session, context_id: int, remote: RemoteLineItem, *, activity_id: str | None = None,
                        resource_link_id: int | None = None, edition_id: str | None = None) -> LineItem:
    row = session.scalars(select(LineItem).where(LineItem.context_id == context_id, LineItem.url == remote.url)).first()
    if row is None:
        row = LineItem(context_id=context_id, url=remote.url)
        session.add(row)
    row.label = remote.label or row.label or remote.url
    row.score_maximum = remote.score_maximum
    row.tag = remote.tag or None
    row.resource_id = remote.resource_id or None
    if resource_link_id is not None:
        row.resource_link_id = resource_link_id
    if activity_id is not None:
        row.activity_id = activity_id
    if edition_id is not None:
        row.edition_id = edition_id
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        # Another job recorded the same column meanwhile.
        row = session.scalars(
            select(LineItem).where(LineItem.context_id == context_id, LineItem.url == remote.url)
        ).one()
    return row


# -- grade passback ---------------------------------------------------------------------------------------


def _course_job_key(kind: str, context_id: int) -> str:
    """The dedupe key of a course's grade or roster sync: one such job per course."""
    return f"{kind}:{context_id}"


def _queue_course_job(session: Session, kind: str, context: Context, now: datetime | None) -> OutboxJob:
    return enqueue(session, kind, {"context_id": context.id}, platform_id=context.platform_id,
                   dedupe_key=_course_job_key(kind, context.id), now=now)


def _enqueue_course_job(session: Session, kind: str, context: Context, *, actor: str, origin: str | None,
                        now: datetime | None) -> OutboxJob:
    job = _queue_course_job(session, kind, context, now)
    record_audit(session, actor=actor, action=f"{kind}_queued", subject_type="context", subject_id=context.id,
                 origin=origin, details={"job_id": job.id})
    return job


def enqueue_grade_sync(session: Session, context: Context, *, actor: str = "system",
                       origin: str | None = None, now: datetime | None = None) -> OutboxJob:
    """Queue reading the LMS grades of a course's line items that stand for catalogue activities."""
    if not context.lineitems_url:
        raise GradebookError(f"course {context.id} offers no line items service: nothing to read")
    return _enqueue_course_job(session, GRADE_SYNC_JOB, context, actor=actor, origin=origin, now=now)


def enqueue_due_grade_syncs(session: Session, *, every: timedelta, now: datetime | None = None) -> list[OutboxJob]:
    """Queue a grade sync for each course with activity placements whose last sync finished more than
    `every` ago (shared by every process through the jobs themselves). The schedule is not audited; what
    the syncs change is."""
    now = now or utcnow()
    contexts = session.scalars(
        select(Context)
        .where(
            Context.lineitems_url.is_not(None),
            Context.id.in_(select(ResourceLink.context_id).where(ResourceLink.activity_id.is_not(None))),
        )
        .order_by(Context.id)
    ).all()
    jobs = []
    for context in contexts:
        previous = find_job(session, _course_job_key(GRADE_SYNC_JOB, context.id))
        if previous is not None and (
            previous.state in ("pending", "running") or (previous.finished_at and previous.finished_at > now - every)
        ):
            continue
        jobs.append(_queue_course_job(session, GRADE_SYNC_JOB, context, now))
    return jobs


@dataclass
class GradeSyncReport:
    """What one course's grade sync did."""

    line_items: int = 0
    recorded: int = 0
    reversed: int = 0
    unchanged: int = 0
    unknown_users: int = 0
    skipped_own_scores: int = 0


@job_handler(GRADE_SYNC_JOB)
def sync_grades(ctx: JobContext) -> None:
    """Read the results of the course's activity line items and turn them into completions or reversals."""
    session = ctx.session
    context = session.get(Context, int(ctx.payload["context_id"]))
    if context is None or not context.lineitems_url:
        raise PermanentJobError(f"course {ctx.payload['context_id']} is gone or has no line items service")
    context_id, lineitems_url = context.id, context.lineitems_url
    client = ctx.service_client()
    remote_items = list_line_items(client, lineitems_url)
    mapped = _map_line_items(session, context_id, remote_items)
    ctx.checkpoint()
    report = GradeSyncReport(line_items=len(mapped))
    for line_item_id in mapped:
        ctx.extend_lease()
        line_item = session.get(LineItem, line_item_id)
        ctx.checkpoint()
        results = read_results(client, line_item.url)
        apply_results(session, line_item, results, report=report)
        ctx.checkpoint()
    ctx.outcome = report.__dict__


def _map_line_items(session: Session, context_id: int, remote_items: list[RemoteLineItem]) -> list[int]:
    """Record the course's line items that stand for catalogue activities and return their ids: through the
    placement they belong to, through a `resourceId` naming an activity (what deep linking puts there), or
    because they are already known as such. Moodle lists only the tool's own columns."""
    links = {
        link.lti_resource_link_id: link
        for link in session.scalars(
            select(ResourceLink).where(ResourceLink.context_id == context_id, ResourceLink.activity_id.is_not(None))
        )
    }
    by_lineitem = {link.lineitem_url: link for link in links.values() if link.lineitem_url}
    known = {
        row.url: row
        for row in session.scalars(
            select(LineItem).where(LineItem.context_id == context_id, LineItem.activity_id.is_not(None))
        )
    }
    named = {item.resource_id for item in remote_items if item.resource_id}
    activities = set(session.scalars(select(Activity.id).where(Activity.id.in_(named)))) if named else set()
    mapped = []
    for remote in remote_items:
        link = links.get(remote.resource_link_id) or by_lineitem.get(remote.url)
        if link is not None:
            row = _remember_line_item(session, context_id, remote, activity_id=link.activity_id,
                                      resource_link_id=link.id)
        elif remote.resource_id in activities:
            row = _remember_line_item(session, context_id, remote, activity_id=remote.resource_id)
        elif remote.url in known:
            row = _remember_line_item(session, context_id, remote)
        else:
            continue
        mapped.append(row.id)
    return mapped


def _stamp(result: Result) -> str:
    """What identifies one grade event: when it was given (to the second) and what it was. An administrator's
    reversal of a grade's completion therefore holds until the grade itself changes."""
    when = result.timestamp.replace(microsecond=0).isoformat() if result.timestamp is not None else "undated"
    return f"{when}:{result.score}/{result.maximum}"


def _is_own_score(session: Session, platform_id: int, line_item: LineItem, result: Result) -> bool:
    """Whether the result is the tool's own score (or one is on its way): passback must not echo it."""
    job = find_job(session, score_key(platform_id, line_item.url, result.user_id))
    if job is None:
        return False
    if job.state in ("pending", "running"):
        return True
    outcome = job_outcome(job) if job.state == "done" else None
    sent = parse_timestamp(outcome.get("timestamp")) if outcome else None
    return sent is not None and result.timestamp is not None and (
        sent.replace(microsecond=0) == result.timestamp.replace(microsecond=0)
    )


def apply_results(session: Session, line_item: LineItem, results: list[Result],
                  *, report: GradeSyncReport | None = None) -> GradeSyncReport:
    """Turn a line item's LMS results into completions (at or above the activity's passing share of the
    maximum, source `lms_grade`) and reversals (failing or removed grades). Idempotent per result."""
    report = report or GradeSyncReport()
    context = session.get(Context, line_item.context_id)
    platform = session.get(Platform, context.platform_id)
    activity = session.get(Activity, line_item.activity_id)
    if activity is None:
        return report
    officials = _officials_by_sub(session, platform.id, {result.user_id for result in results})
    prefix = f"lms_grade:{line_item.id}:"
    standing = _lms_grade_completions(session, prefix)
    seen: set[int] = set()
    changed: set[int] = set()
    for result in results:
        official = officials.get(result.user_id)
        if official is None:
            report.unknown_users += 1
            continue
        seen.add(official.id)
        if _is_own_score(session, platform.id, line_item, result):
            report.skipped_own_scores += 1
            continue
        fraction = result.fraction
        if fraction is None:
            report.unchanged += 1
            continue
        counting = [item for item in standing.get(official.id, []) if item.counts]
        if fraction >= activity.passing_fraction:
            if counting or _credited_through_placement(session, official, activity, line_item):
                report.unchanged += 1
                continue
            _, created = record_completion(
                session,
                official=official,
                activity=activity,
                completed_on=(result.timestamp or utcnow()).date(),
                source="lms_grade",
                source_key=f"{prefix}{result.user_id}:{_stamp(result)}",
                recorded_by=GRADE_SYNC_ACTOR,
                recorded_from=platform.issuer,
                evidence=f"LMS grade {result.score} of {result.maximum} in {line_item.label!r} ({line_item.url})",
                resource_link_id=line_item.resource_link_id,
            )
            report.recorded += int(created)
            report.unchanged += int(not created)
            if created:
                changed.add(official.id)
        elif counting:
            reason = (f"the LMS grade {result.score if result.score is not None else 0} of {result.maximum} "
                      f"is below the passing share {activity.passing_fraction}")
            report.reversed += _reverse_all(session, counting, reason, platform.issuer)
            changed.add(official.id)
        else:
            report.unchanged += 1
    for official_id, items in standing.items():
        counting = [item for item in items if item.counts]
        if official_id not in seen and counting:
            report.reversed += _reverse_all(session, counting, "the LMS grade was removed", platform.issuer)
            changed.add(official_id)
    _refresh_certifications(session, changed)
    return report


def _refresh_certifications(session: Session, official_ids: set[int]) -> None:
    """Certificates, badges and certification scores follow the completions a grade sync changed."""
    from ..rulebook import current_rulebook, today
    from .certification import refresh_certifications  # certification queues scores through this module

    for official_id in sorted(official_ids):
        refresh_certifications(session, session.get(Official, official_id), current_rulebook(), as_of=today(),
                               actor=GRADE_SYNC_ACTOR)


def _officials_by_sub(session: Session, platform_id: int, subs: set[str]) -> dict[str, Official]:
    if not subs:
        return {}
    query = select(Official).where(Official.platform_id == platform_id, Official.sub.in_(subs))
    return {official.sub: official for official in session.scalars(query)}


def _lms_grade_completions(session: Session, prefix: str) -> dict[int, list[EffectiveCompletion]]:
    roots = session.scalars(
        select(Completion).where(
            Completion.kind == "record", Completion.source == "lms_grade", Completion.source_key.startswith(prefix)
        )
    ).all()
    if not roots:
        return {}
    corrections = session.scalars(
        select(Completion).where(Completion.corrects_id.in_([root.id for root in roots]))
    ).all()
    by_official: dict[int, list[EffectiveCompletion]] = {}
    for item in build_effective([*roots, *corrections]):
        by_official.setdefault(item.root.official_id, []).append(item)
    return by_official


def _credited_through_placement(session: Session, official: Official, activity: Activity,
                                line_item: LineItem) -> bool:
    """Whether the official already has a counting completion of the activity through this placement (e.g.
    an instructor's mark that the tool itself posted to this column)."""
    if line_item.resource_link_id is None:
        return False
    rows = session.scalars(
        select(Completion).where(Completion.official_id == official.id, Completion.activity_id == activity.id)
    ).all()
    return any(
        item.counts and item.root.resource_link_id == line_item.resource_link_id for item in build_effective(rows)
    )


def _reverse_all(session: Session, items: list[EffectiveCompletion], reason: str, origin: str) -> int:
    count = 0
    for item in items:
        _, created = reverse_completion(
            session, item.root, recorded_by=GRADE_SYNC_ACTOR, reason=reason, source="lms_grade", recorded_from=origin
        )
        count += int(created)
    return count


# -- roster -----------------------------------------------------------------------------------------------


def enqueue_roster_sync(session: Session, context: Context, *, actor: str = "system",
                        origin: str | None = None, now: datetime | None = None) -> OutboxJob:
    """Queue reading a course's members (NRPS) to learn officials' names and e-mail addresses."""
    if not context.memberships_url:
        raise GradebookError(f"course {context.id} offers no membership service")
    return _enqueue_course_job(session, ROSTER_SYNC_JOB, context, actor=actor, origin=origin, now=now)


@job_handler(ROSTER_SYNC_JOB)
def sync_roster(ctx: JobContext) -> None:
    """Create or update the officials of a course's learners from the platform's membership list."""
    session = ctx.session
    context = session.get(Context, int(ctx.payload["context_id"]))
    if context is None or not context.memberships_url:
        raise PermanentJobError(f"course {ctx.payload['context_id']} is gone or has no membership service")
    platform_id, memberships_url, context_id = context.platform_id, context.memberships_url, context.id
    ctx.checkpoint()  # no transaction held while the platform answers
    client = ctx.service_client()
    members = [member for member in list_members(client, memberships_url, role="Learner") if member.active]
    before = len(_officials_by_sub(session, platform_id, {member.user_id for member in members}))
    officials = remember_members(session, platform_id, members, context_id=context_id)
    created = len(officials) - before
    if created:
        record_audit(session, actor=ROSTER_SYNC_ACTOR, action="lms.roster_synced", subject_type="context",
                     subject_id=context_id, details={"created": created})
    ctx.outcome = {"members": len(members), "created": created}


__all__ = [
    "CERTIFICATION_SCORE_MAXIMUM",
    "GRADE_SYNC_JOB",
    "GradebookError",
    "GradeSyncReport",
    "LINE_ITEM_JOB",
    "ROSTER_SYNC_JOB",
    "SCORE_JOB",
    "apply_results",
    "certification_score",
    "certification_tag",
    "completion_score",
    "enqueue_certification_score",
    "enqueue_completion_score",
    "enqueue_due_grade_syncs",
    "enqueue_grade_sync",
    "enqueue_roster_sync",
    "score_key",
]
