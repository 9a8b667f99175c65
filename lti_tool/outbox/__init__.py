"""The durable outbox: every LMS call is a job committed with the change that caused it and sent by a worker,
with retries, backoff, a maximum age and a dead-letter state that an administrator can retry."""

from .jobs import (
    DEFAULT_MAX_AGE,
    OutboxError,
    dead_jobs,
    enqueue,
    find_job,
    job_counts,
    job_outcome,
    job_payload,
    purge_finished,
    retry_dead,
)
from .registry import handler_for, job_handler, load_handlers, register_handler, registered_kinds
from .worker import JobContext, PermanentJobError, RetryLater, Worker, WorkerReport, WorkerSettings

__all__ = [
    "DEFAULT_MAX_AGE",
    "JobContext",
    "OutboxError",
    "PermanentJobError",
    "RetryLater",
    "Worker",
    "WorkerReport",
    "WorkerSettings",
    "dead_jobs",
    "enqueue",
    "find_job",
    "handler_for",
    "job_counts",
    "job_handler",
    "job_outcome",
    "job_payload",
    "load_handlers",
    "purge_finished",
    "register_handler",
    "registered_kinds",
    "retry_dead",
]
