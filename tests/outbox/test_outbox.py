"""The outbox itself: jobs commit with their cause, one job per dedupe key carries the newest payload, failures
retry with backoff until a maximum age, dead jobs wait for an administrator, leases expire."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lti_tool.lms import PermanentLmsError, TransientLmsError
from lti_tool.models import AuditEntry, OutboxJob, utcnow
from lti_tool.outbox import (
    OutboxError,
    RetryLater,
    Worker,
    WorkerSettings,
    dead_jobs,
    enqueue,
    job_counts,
    job_outcome,
    job_payload,
    register_handler,
    retry_dead,
)

FAST = WorkerSettings(lease=timedelta(seconds=30), backoff_base=timedelta(milliseconds=10),
                      backoff_cap=timedelta(milliseconds=40))

calls: list[tuple[int, dict, str]] = []
failures: dict[str, list[Exception]] = {}
call_lock = threading.Lock()


def record_call(ctx) -> None:
    """A handler that notes each run and fails as the test scripted for the payload's `script` key."""
    with call_lock:
        calls.append((ctx.job_id, dict(ctx.payload), ctx.worker.name))
        script = failures.get(ctx.payload.get("script", ""), [])
        error = script.pop(0) if script else None
    if error is not None:
        raise error
    ctx.outcome = {"seen": ctx.payload.get("n")}


register_handler("test.record", record_call)


@pytest.fixture(autouse=True)
def _clean_script():
    calls.clear()
    failures.clear()
    yield
    calls.clear()
    failures.clear()


def job(session, job_id: int) -> OutboxJob:
    """The job as it is now; the read transaction ends at once (on SQLite it would block the workers)."""
    row = session.get(OutboxJob, job_id, populate_existing=True)
    session.commit()
    return row


def test_a_job_exists_only_if_its_cause_commits(session):
    enqueue(session, "test.record", {"n": 1})
    session.rollback()
    assert session.scalar(select(func.count()).select_from(OutboxJob)) == 0


def test_a_job_runs_once_and_keeps_its_outcome(app, session):
    queued = enqueue(session, "test.record", {"n": 1})
    session.commit()
    report = Worker(app, settings=FAST).run_once()
    assert report.done == 1 and len(calls) == 1
    done = job(session, queued.id)
    assert done.state == "done" and done.attempts == 1 and done.finished_at is not None
    assert job_payload(done) == {"n": 1} and job_outcome(done) == {"seen": 1}
    assert Worker(app, settings=FAST).run_once().processed == 0


def test_enqueueing_the_same_key_again_replaces_the_waiting_payload(app, session):
    first = enqueue(session, "test.record", {"n": 1}, dedupe_key="grade:4")
    second = enqueue(session, "test.record", {"n": 2}, dedupe_key="grade:4")
    session.commit()
    assert first.id == second.id
    Worker(app, settings=FAST).run_once()
    assert [payload for _, payload, _ in calls] == [{"n": 2}]


def test_a_done_job_is_revived_by_a_new_payload_for_its_key(app, session):
    queued = enqueue(session, "test.record", {"n": 1}, dedupe_key="grade:4")
    session.commit()
    Worker(app, settings=FAST).run_once()
    revived = enqueue(session, "test.record", {"n": 2}, dedupe_key="grade:4")
    session.commit()
    assert revived.id == queued.id and revived.state == "pending" and revived.attempts == 0
    assert job_outcome(revived) is None
    Worker(app, settings=FAST).run_once()
    assert [payload["n"] for _, payload, _ in calls] == [1, 2]


def test_a_payload_replaced_while_running_is_sent_after_the_current_attempt(app, session):
    queued = enqueue(session, "test.record", {"n": 1}, dedupe_key="grade:4")
    session.commit()
    worker = Worker(app, settings=FAST)
    claimed = worker.claim()
    enqueue(session, "test.record", {"n": 2}, dedupe_key="grade:4")
    session.commit()
    assert worker.process(claimed) == "retried"
    assert job(session, queued.id).state == "pending"
    worker.run_once()
    assert [payload["n"] for _, payload, _ in calls] == [1, 2]
    assert job(session, queued.id).state == "done"


def test_a_key_belongs_to_one_kind(session):
    enqueue(session, "test.record", {}, dedupe_key="k")
    with pytest.raises(OutboxError, match="belongs to a test.record job"):
        enqueue(session, "test.other", {}, dedupe_key="k")


@pytest.mark.parametrize(
    ("payload", "message"),
    [({"_rev": 1}, "reserved"), ({"when": object()}, "JSON-serialisable"), ([1, 2], "JSON object")],
)
def test_bad_payloads_are_refused_with_a_reason(session, payload, message):
    with pytest.raises(OutboxError, match=message):
        enqueue(session, "test.record", payload)


def test_a_transient_failure_is_retried_with_backoff_then_lands(app, session):
    failures["flaky"] = [TransientLmsError("platform down"), TransientLmsError("platform down")]
    queued = enqueue(session, "test.record", {"script": "flaky"})
    session.commit()
    worker = Worker(app, settings=WorkerSettings(backoff_base=timedelta(milliseconds=300),
                                                 backoff_cap=timedelta(milliseconds=600)))
    assert worker.run_once().retried == 1
    waiting = job(session, queued.id)
    assert waiting.state == "pending" and waiting.attempts == 1 and waiting.last_error == "platform down"
    assert waiting.next_attempt_at > utcnow() + timedelta(milliseconds=50)
    for _ in range(300):
        if job(session, queued.id).state == "done":
            break
        worker.run_once()
        threading.Event().wait(0.01)
    assert job(session, queued.id).state == "done" and job(session, queued.id).attempts == 3


def test_backoff_doubles_up_to_the_cap_with_jitter():
    settings = WorkerSettings(backoff_base=timedelta(seconds=10), backoff_cap=timedelta(seconds=100))
    for attempts, ceiling in [(1, 10), (2, 20), (3, 40), (4, 80), (5, 100), (40, 100)]:
        waits = [settings.backoff(attempts).total_seconds() for _ in range(50)]
        assert all(ceiling / 2 <= wait <= ceiling for wait in waits)
        assert len(set(waits)) > 1


def test_retry_later_waits_as_long_as_asked(app, session):
    failures["wait"] = [RetryLater("line item not there yet", 60)]
    queued = enqueue(session, "test.record", {"script": "wait"})
    session.commit()
    Worker(app, settings=FAST).run_once()
    assert job(session, queued.id).next_attempt_at > utcnow() + timedelta(seconds=55)


def test_a_permanent_refusal_goes_dead_at_once_and_is_audited(app, session):
    failures["refused"] = [PermanentLmsError("user 2 is not enrolled")]
    queued = enqueue(session, "test.record", {"script": "refused"})
    session.commit()
    assert Worker(app, settings=FAST).run_once().dead == 1
    dead = job(session, queued.id)
    assert dead.state == "dead" and dead.last_error == "user 2 is not enrolled"
    assert [item.id for item in dead_jobs(session)] == [queued.id]
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "outbox.dead")).one()
    assert entry.subject_id == str(queued.id) and entry.details["reason"] == "refused"


def test_a_job_past_its_maximum_age_goes_dead_after_its_last_attempt(app, session):
    failures["down"] = [TransientLmsError("platform down")]
    queued = enqueue(session, "test.record", {"script": "down"}, max_age=timedelta(seconds=60),
                     now=utcnow() - timedelta(seconds=61))
    session.commit()
    assert Worker(app, settings=FAST).run_once().dead == 1
    assert job(session, queued.id).state == "dead"
    assert session.scalars(select(AuditEntry.details)).one()["reason"] == "too old"


def test_a_retry_is_never_scheduled_after_the_maximum_age(app, session):
    failures["down"] = [TransientLmsError("platform down")]
    slow = WorkerSettings(backoff_base=timedelta(hours=1), backoff_cap=timedelta(hours=1))
    queued = enqueue(session, "test.record", {"script": "down"}, max_age=timedelta(minutes=5))
    session.commit()
    Worker(app, settings=slow).run_once()
    waiting = job(session, queued.id)
    assert waiting.state == "pending" and waiting.next_attempt_at == waiting.give_up_at


def test_an_unknown_kind_goes_dead_with_the_reason(app, session):
    queued = enqueue(session, "test.nobody-handles-this", {})
    session.commit()
    Worker(app, settings=FAST).run_once()
    assert "no handler is registered" in job(session, queued.id).last_error


def test_an_unexpected_error_is_retried_and_keeps_where_it_happened(app, session):
    failures["bug"] = [KeyError("lineitem_url")]
    queued = enqueue(session, "test.record", {"script": "bug"})
    session.commit()
    Worker(app, settings=FAST).run_once(max_jobs=1)
    waiting = job(session, queued.id)
    assert waiting.state == "pending" and waiting.last_error.startswith("KeyError: 'lineitem_url'")
    assert "record_call" in waiting.last_error


def test_an_administrator_retries_a_dead_job(app, session):
    failures["refused"] = [PermanentLmsError("user 2 is not enrolled")]
    queued = enqueue(session, "test.record", {"script": "refused"})
    session.commit()
    Worker(app, settings=FAST).run_once()
    retried = retry_dead(session, queued.id, "official:1", origin="10.0.0.9")
    session.commit()
    assert retried.state == "pending" and retried.attempts == 0 and retried.give_up_at > utcnow()
    assert Worker(app, settings=FAST).run_once().done == 1
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "outbox.retried")).one()
    assert entry.actor == "official:1" and entry.origin == "10.0.0.9"
    assert entry.details["last_error"] == "user 2 is not enrolled"


def test_only_dead_jobs_can_be_retried(session):
    queued = enqueue(session, "test.record", {})
    with pytest.raises(OutboxError, match="is pending, not dead"):
        retry_dead(session, queued.id, "official:1")
    with pytest.raises(OutboxError, match="no outbox job 999"):
        retry_dead(session, 999, "official:1")


def test_counts_per_state(app, session):
    failures["refused"] = [PermanentLmsError("no")]
    enqueue(session, "test.record", {"script": "refused"})
    enqueue(session, "test.record", {})
    session.commit()
    Worker(app, settings=FAST).run_once()
    enqueue(session, "test.record", {})
    session.commit()
    assert job_counts(session) == {"pending": 1, "running": 0, "done": 1, "dead": 1}


def test_a_crashed_workers_job_is_taken_over_after_its_lease(app, session):
    queued = enqueue(session, "test.record", {"n": 1})
    session.commit()
    short = WorkerSettings(lease=timedelta(milliseconds=200), backoff_base=timedelta(milliseconds=10))
    crashed = Worker(app, name="crashed", settings=short)
    abandoned = crashed.claim()  # claimed, then the process died before finishing
    survivor = Worker(app, name="survivor", settings=short)
    assert survivor.run_once().processed == 0
    threading.Event().wait(0.25)
    assert survivor.run_once().done == 1
    assert calls[0][2] == "survivor" and job(session, queued.id).attempts == 2
    # The first worker wakes up late: it must not overwrite the survivor's outcome.
    assert crashed.process(abandoned) == "lost"
    assert job(session, queued.id).state == "done" and len(calls) == 2


def test_two_workers_never_run_the_same_job(app, session):
    jobs = [enqueue(session, "test.record", {"n": n}) for n in range(40)]
    session.commit()
    workers = [Worker(app, name=f"worker-{n}", settings=FAST) for n in range(2)]
    threads = [threading.Thread(target=worker.run_once) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    runs = Counter(job_id for job_id, _, _ in calls)
    assert sorted(runs) == sorted(queued.id for queued in jobs) and set(runs.values()) == {1}
    assert job_counts(session)["done"] == 40
