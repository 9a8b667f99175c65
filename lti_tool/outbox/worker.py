"""The outbox worker: claims due jobs, runs each in its own transaction, retries with backoff, gives up at last.

Claims are leases: a job is `running` until `claimed_until`, after which any worker may claim it again (the
worker that held it crashed or hung). On PostgreSQL a claim is `SELECT ... FOR UPDATE SKIP LOCKED`; on SQLite
every transaction begins IMMEDIATE, which serialises claims. Either way two workers never hold one job.

A handler receives a `JobContext`. It must not keep a database transaction open while it waits on the
network (`ctx.checkpoint()` ends one): on SQLite an open transaction holds the write lock for every process.
Its last writes commit together with the job's outcome.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
import traceback
import uuid
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable, Mapping

from flask import Flask, has_app_context
from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ..models import OutboxJob, Platform, utcnow
from ..services.audit import record_audit
from .jobs import OUTCOME, REVISION, job_payload, purge_finished
from .registry import handler_for, load_handlers

log = logging.getLogger(__name__)

WORKER_ACTOR = "outbox-worker"
ERROR_MAX_CHARS = 2000


class PermanentJobError(Exception):
    """A job that cannot succeed as it is: it goes dead at once (an administrator may retry it)."""

    transient = False


class RetryLater(Exception):
    """A job that is not ready yet (e.g. waiting for another job): retried after `retry_after` seconds."""

    transient = True

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class WorkerSettings:
    """How long a claim lasts and how retries are spaced."""

    lease: timedelta = timedelta(minutes=5)
    backoff_base: timedelta = timedelta(seconds=30)
    backoff_cap: timedelta = timedelta(hours=1)
    purge_after: timedelta = timedelta(days=30)

    def backoff(self, attempts: int) -> timedelta:
        """The wait before attempt `attempts + 1`: doubling from the base up to the cap, with jitter so
        that jobs failing together do not come back together."""
        exponent = min(max(attempts - 1, 0), 30)
        ceiling = min(self.backoff_cap.total_seconds(), self.backoff_base.total_seconds() * 2**exponent)
        return timedelta(seconds=ceiling * random.uniform(0.5, 1.0))


@dataclass(frozen=True)
class ClaimedJob:
    """A job this worker holds, as it was when claimed (`payload` without the outbox's bookkeeping)."""

    id: int
    kind: str
    payload: dict[str, Any]
    platform_id: int | None
    attempts: int
    claim: str
    revision: int


@dataclass
class WorkerReport:
    """What one pass of the worker did."""

    done: int = 0
    retried: int = 0
    dead: int = 0
    lost: int = 0

    @property
    def processed(self) -> int:
        return self.done + self.retried + self.dead + self.lost


@dataclass
class JobContext:
    """What a handler gets: the job's payload, a database session, the app's settings and LMS clients."""

    job_id: int
    kind: str
    payload: dict[str, Any]
    platform_id: int | None
    attempt: int
    session: Session
    config: Mapping[str, Any]
    worker: "Worker"
    claim: str
    # Set by the handler: kept with the job when it is done (e.g. the timestamp a score was accepted with).
    outcome: dict[str, Any] | None = None
    _client: Any = field(default=None, repr=False)

    def checkpoint(self) -> None:
        """Commit what the handler wrote so far and end the transaction (before waiting on the network)."""
        self.session.commit()

    def service_client(self):
        """The LMS client of the job's platform (built once per job); ends the transaction it read in."""
        from ..lms import ServiceClient

        if self._client is None:
            if self.platform_id is None:
                raise PermanentJobError(f"job {self.job_id} ({self.kind}) names no platform")
            platform = self.session.get(Platform, self.platform_id)
            if platform is None:
                raise PermanentJobError(f"platform {self.platform_id} of job {self.job_id} no longer exists")
            self._client = ServiceClient.for_platform(
                self.session,
                platform,
                keys_dir=self.config["KEYS_DIR"],
                timeout_seconds=float(self.config["HTTP_TIMEOUT_SECONDS"]),
                engine=self.worker.engine,
            )
            self.checkpoint()
        return self._client

    def extend_lease(self) -> None:
        """Keep the claim for another lease period (long jobs call this between steps)."""
        self.worker.extend_lease(self.job_id, self.claim)


class Worker:
    """Runs outbox jobs for one app; several workers (threads, processes, machines) may run at once."""

    def __init__(self, app: Flask, *, name: str | None = None, settings: WorkerSettings | None = None) -> None:
        load_handlers()
        self.app = app
        self.engine: Engine = app.extensions["database"].engine
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"
        self.settings = settings or WorkerSettings()
        self.is_postgresql = self.engine.dialect.name == "postgresql"

    def _session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    # -- passes --------------------------------------------------------------------------------------------

    def run_once(self, *, max_jobs: int | None = None) -> WorkerReport:
        """Run due jobs until none is due (or `max_jobs` ran)."""
        report = WorkerReport()
        # Handlers may use the app's context; the caller's, if it has one, is left alone (popping a context
        # of our own would end the caller's database session).
        with nullcontext() if has_app_context() else self.app.app_context():
            while max_jobs is None or report.processed < max_jobs:
                claimed = self.claim()
                if claimed is None:
                    break
                outcome = self.process(claimed)
                setattr(report, outcome, getattr(report, outcome) + 1)
        return report

    def run_forever(self, stop: threading.Event, *, interval: float = 5.0,
                    before_each_pass: Callable[[], object] | None = None) -> None:
        """Run due jobs (after `before_each_pass`, e.g. queueing scheduled jobs), then wait `interval` seconds,
        until `stop` is set; errors are logged, never fatal."""
        last_purge = 0.0
        while not stop.is_set():
            try:
                if before_each_pass is not None:
                    before_each_pass()
                self.run_once()
                if time.monotonic() - last_purge > 3600:
                    self.purge()
                    last_purge = time.monotonic()
            except Exception:
                log.exception("outbox worker %s: pass failed; trying again in %s s", self.name, interval)
            stop.wait(interval)

    def purge(self) -> int:
        """Delete old finished jobs that no longer matter (see `purge_finished`)."""
        with self._session() as session, session.begin():
            return purge_finished(session, older_than=self.settings.purge_after)

    # -- one job -------------------------------------------------------------------------------------------

    def claim(self, now: datetime | None = None) -> ClaimedJob | None:
        """Take the most overdue job (pending and due, or running with an expired lease), if any."""
        now = now or utcnow()
        # Two index-friendly queries rather than one with OR: waiting jobs first, then expired leases.
        waiting = select(OutboxJob).where(OutboxJob.state == "pending", OutboxJob.next_attempt_at <= now)
        abandoned = select(OutboxJob).where(OutboxJob.state == "running", OutboxJob.claimed_until < now)
        queries = [query.order_by(OutboxJob.next_attempt_at, OutboxJob.id).limit(1) for query in (waiting, abandoned)]
        if self.is_postgresql:
            queries = [query.with_for_update(skip_locked=True) for query in queries]
        with self._session() as session, session.begin():
            job = session.scalars(queries[0]).first() or session.scalars(queries[1]).first()
            if job is None:
                return None
            claim = f"{self.name}:{uuid.uuid4().hex[:12]}"
            job.state = "running"
            job.claimed_by = claim
            job.claimed_until = now + self.settings.lease
            job.attempts += 1
            return ClaimedJob(
                id=job.id,
                kind=job.kind,
                payload=job_payload(job),
                platform_id=job.platform_id,
                attempts=job.attempts,
                claim=claim,
                revision=int(job.payload.get(REVISION, 1)),
            )

    def process(self, claimed: ClaimedJob) -> str:
        """Run a claimed job's handler and record the outcome: "done", "retried", "dead" or "lost" (the lease
        ran out and another worker took the job over)."""
        session = self._session()
        context = JobContext(
            job_id=claimed.id,
            kind=claimed.kind,
            payload=claimed.payload,
            platform_id=claimed.platform_id,
            attempt=claimed.attempts,
            session=session,
            config=self.app.config,
            worker=self,
            claim=claimed.claim,
        )
        try:
            handler = handler_for(claimed.kind)
            if handler is None:
                raise PermanentJobError(f"no handler is registered for job kind {claimed.kind!r}")
            handler(context)
            return self._record_success(session, claimed, context.outcome)
        except Exception as exc:
            session.rollback()
            return self._record_failure(claimed, exc)
        finally:
            session.close()

    def _locked(self, session: Session, claimed: ClaimedJob) -> OutboxJob | None:
        job = session.get(OutboxJob, claimed.id, with_for_update=True, populate_existing=True)
        if job is None or job.claimed_by != claimed.claim:
            log.warning("outbox job %s: the lease of %s ran out; another worker has it", claimed.id, claimed.claim)
            return None
        return job

    def _record_success(self, session: Session, claimed: ClaimedJob, outcome: dict | None) -> str:
        """Mark the job done in the handler's transaction, so its last writes and the outcome commit together."""
        now = utcnow()
        job = self._locked(session, claimed)
        if job is None:
            session.commit()
            return "lost"
        job.claimed_by = None
        job.claimed_until = None
        if int(job.payload.get(REVISION, 1)) != claimed.revision:
            # New data arrived while this attempt ran: send it next.
            job.state = "pending"
            job.next_attempt_at = now
            result = "retried"
        else:
            job.state = "done"
            job.finished_at = now
            job.last_error = None
            if outcome is not None:
                job.payload = {**job.payload, OUTCOME: outcome}
            result = "done"
        session.commit()
        return result

    def _record_failure(self, claimed: ClaimedJob, exc: Exception) -> str:
        now = utcnow()
        message = _describe(exc)
        transient = bool(getattr(exc, "transient", True))
        retry_after = getattr(exc, "retry_after", None)
        with self._session() as session, session.begin():
            job = self._locked(session, claimed)
            if job is None:
                return "lost"
            job.claimed_by = None
            job.claimed_until = None
            job.last_error = message
            if int(job.payload.get(REVISION, 1)) != claimed.revision:
                job.state = "pending"
                job.next_attempt_at = now
                return "retried"
            if not transient or (job.give_up_at is not None and now >= job.give_up_at):
                job.state = "dead"
                job.finished_at = now
                reason = "refused" if not transient else "too old"
                log.warning("outbox job %s (%s) is dead (%s): %s", job.id, job.kind, reason, message)
                record_audit(
                    session,
                    actor=WORKER_ACTOR,
                    action="outbox.dead",
                    subject_type="outbox_job",
                    subject_id=job.id,
                    origin=self.name,
                    details={"kind": job.kind, "attempts": job.attempts, "reason": reason, "error": message},
                )
                return "dead"
            delay = timedelta(seconds=retry_after) if retry_after else self.settings.backoff(job.attempts)
            job.state = "pending"
            job.next_attempt_at = now + delay
            if job.give_up_at is not None:
                job.next_attempt_at = min(job.next_attempt_at, job.give_up_at)
            log.info("outbox job %s (%s) attempt %s failed, next at %s: %s",
                     job.id, job.kind, job.attempts, job.next_attempt_at.isoformat(), message)
            return "retried"

    def extend_lease(self, job_id: int, claim: str) -> None:
        """Push back the end of a claim this worker holds."""
        with self._session() as session, session.begin():
            session.execute(
                update(OutboxJob)
                .where(OutboxJob.id == job_id, OutboxJob.claimed_by == claim)
                .values(claimed_until=utcnow() + self.settings.lease)
            )


def _describe(exc: Exception) -> str:
    # LMS errors, PermanentJobError and RetryLater all say whether they are transient: expected failures.
    if getattr(exc, "transient", None) is not None:
        text = str(exc) or type(exc).__name__
    else:
        # An unexpected error is a bug: keep where it happened for whoever reads the dead job.
        text = f"{type(exc).__name__}: {exc}\n" + "".join(traceback.format_tb(exc.__traceback__)[-3:])
    return text[:ERROR_MAX_CHARS]
