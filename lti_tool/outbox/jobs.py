"""Putting jobs in the outbox and managing them: enqueue, list the dead, retry one, count, purge.

A job is committed by the caller's transaction together with the change that caused it, so a job exists if
and only if its cause does. Jobs with a `dedupe_key` stand for "the latest state of one thing in the LMS"
(e.g. one official's grade in one column): enqueueing again replaces the payload of the job with that key
instead of adding a second one, so the platform only ever receives the newest state, in order.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import OutboxJob, utcnow
from ..services.audit import record_audit

DEFAULT_MAX_AGE = timedelta(days=7)
KIND_MAX_LENGTH = 64
DEDUPE_KEY_MAX_LENGTH = 255
# Bookkeeping kept in the payload next to the caller's fields (which may not start with "_").
REVISION = "_rev"
MAX_AGE = "_max_age_s"
OUTCOME = "_outcome"


class OutboxError(ValueError):
    """A request about the outbox that cannot be carried out, with the reason in words."""


def enqueue(
    session: Session,
    kind: str,
    payload: dict[str, Any],
    *,
    platform_id: int | None = None,
    dedupe_key: str | None = None,
    max_age: timedelta = DEFAULT_MAX_AGE,
    now: datetime | None = None,
) -> OutboxJob:
    """Add a job (flushed, not committed). With a `dedupe_key` already in the outbox, that job takes the new
    payload instead: sent next if it is waiting, sent again after the current attempt if it is running, and
    revived if it was done or dead."""
    _check(kind, payload, dedupe_key, max_age)
    now = now or utcnow()
    if dedupe_key is not None:
        existing = _locked_by_key(session, dedupe_key)
        if existing is not None:
            return _replace_payload(existing, kind, payload, platform_id, max_age, now)
    job = OutboxJob(
        kind=kind,
        platform_id=platform_id,
        payload={**payload, REVISION: 1, MAX_AGE: int(max_age.total_seconds())},
        dedupe_key=dedupe_key,
        state="pending",
        attempts=0,
        next_attempt_at=now,
        give_up_at=now + max_age,
        created_at=now,
    )
    if dedupe_key is None:
        session.add(job)
        session.flush()
        return job
    try:
        with session.begin_nested():
            session.add(job)
            session.flush()
    except IntegrityError:
        # Another transaction enqueued the same key meanwhile (and committed): take its job instead.
        existing = _locked_by_key(session, dedupe_key)
        if existing is None:
            raise
        return _replace_payload(existing, kind, payload, platform_id, max_age, now)
    return job


def _check(kind: str, payload: Any, dedupe_key: str | None, max_age: timedelta) -> None:
    if not kind or len(kind) > KIND_MAX_LENGTH:
        raise OutboxError(f"a job kind must be 1 to {KIND_MAX_LENGTH} characters, got {kind!r}")
    if not isinstance(payload, dict):
        raise OutboxError(f"a job payload must be a JSON object, got {type(payload).__name__}")
    reserved = sorted(key for key in payload if str(key).startswith("_"))
    if reserved:
        raise OutboxError(f"payload fields starting with '_' are reserved for the outbox: {', '.join(reserved)}")
    try:
        json.dumps(payload)
    except (TypeError, ValueError) as exc:
        raise OutboxError(f"a job payload must be JSON-serialisable: {exc}") from None
    if dedupe_key is not None and not 0 < len(dedupe_key) <= DEDUPE_KEY_MAX_LENGTH:
        raise OutboxError(f"a dedupe key must be 1 to {DEDUPE_KEY_MAX_LENGTH} characters")
    if max_age <= timedelta(0):
        raise OutboxError("a job's maximum age must be positive")


def _locked_by_key(session: Session, dedupe_key: str) -> OutboxJob | None:
    # FOR UPDATE: a worker finishing this job at the same time must see the new payload, or we its outcome.
    return session.scalars(
        select(OutboxJob)
        .where(OutboxJob.dedupe_key == dedupe_key)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()


def _replace_payload(
    job: OutboxJob, kind: str, payload: dict, platform_id: int | None, max_age: timedelta, now: datetime
) -> OutboxJob:
    if job.kind != kind:
        raise OutboxError(f"dedupe key {job.dedupe_key!r} belongs to a {job.kind} job, not {kind}")
    job.payload = {**payload, REVISION: int(job.payload.get(REVISION, 1)) + 1, MAX_AGE: int(max_age.total_seconds())}
    job.platform_id = platform_id
    job.give_up_at = max(job.give_up_at or now, now + max_age)
    if job.state in ("done", "dead"):
        job.state = "pending"
        job.attempts = 0
        job.next_attempt_at = now
        job.finished_at = None
        job.last_error = None
    # A waiting job keeps its backoff (the platform may still be down); a running one is sent again after
    # its current attempt, which the worker sees from the revision.
    session = Session.object_session(job)
    if session is not None:
        session.flush()
    return job


def job_payload(job: OutboxJob) -> dict[str, Any]:
    """The caller's payload of a job, without the outbox's bookkeeping."""
    return {key: value for key, value in job.payload.items() if not key.startswith("_")}


def job_outcome(job: OutboxJob) -> dict[str, Any] | None:
    """What the handler reported when the job's current payload was done (e.g. the timestamp a score landed with)."""
    outcome = job.payload.get(OUTCOME)
    return outcome if isinstance(outcome, dict) else None


def find_job(session: Session, dedupe_key: str) -> OutboxJob | None:
    """The job that carries `dedupe_key`, whatever its state, as the database has it now."""
    return session.scalars(
        select(OutboxJob).where(OutboxJob.dedupe_key == dedupe_key).execution_options(populate_existing=True)
    ).first()


def dead_jobs(session: Session, *, platform_id: int | None = None, limit: int = 200) -> list[OutboxJob]:
    """Jobs that gave up (a permanent refusal, or too old), most recent first, for an administrator."""
    query = select(OutboxJob).where(OutboxJob.state == "dead")
    if platform_id is not None:
        query = query.where(OutboxJob.platform_id == platform_id)
    return list(session.scalars(query.order_by(OutboxJob.finished_at.desc(), OutboxJob.id.desc()).limit(limit)))


def job_counts(session: Session) -> dict[str, int]:
    """How many jobs are in each state (every state is present, zero when empty)."""
    counts = dict.fromkeys(("pending", "running", "done", "dead"), 0)
    for state, count in session.execute(select(OutboxJob.state, func.count()).group_by(OutboxJob.state)):
        counts[state] = count
    return counts


def retry_dead(
    session: Session, job_id: int, actor: str, *, origin: str | None = None, now: datetime | None = None
) -> OutboxJob:
    """Send a dead job again from scratch: attempts reset, a fresh maximum age (flushed, audited)."""
    now = now or utcnow()
    job = session.get(OutboxJob, job_id, with_for_update=True, populate_existing=True)
    if job is None:
        raise OutboxError(f"there is no outbox job {job_id}")
    if job.state != "dead":
        raise OutboxError(f"outbox job {job_id} is {job.state}, not dead: only dead jobs can be retried")
    max_age = timedelta(seconds=int(job.payload.get(MAX_AGE) or DEFAULT_MAX_AGE.total_seconds()))
    job.state = "pending"
    job.attempts = 0
    job.next_attempt_at = now
    job.give_up_at = now + max_age
    job.finished_at = None
    session.flush()
    record_audit(
        session,
        actor=actor,
        action="outbox.retried",
        subject_type="outbox_job",
        subject_id=job.id,
        origin=origin,
        details={"kind": job.kind, "last_error": job.last_error},
    )
    return job


def purge_finished(session: Session, *, older_than: timedelta = timedelta(days=30), now: datetime | None = None) -> int:
    """Delete done jobs without a dedupe key finished more than `older_than` ago; returns how many.
    (Jobs with a key are the record of what the LMS last received and stay.)"""
    cutoff = (now or utcnow()) - older_than
    result = session.execute(
        delete(OutboxJob).where(
            OutboxJob.state == "done", OutboxJob.dedupe_key.is_(None), OutboxJob.finished_at < cutoff
        )
    )
    return result.rowcount or 0
