"""Scores sent through the outbox to an emulated Moodle that fails in every way Moodle can: nothing is lost,
jobs retry and land once the LMS is back, and two workers never send one job twice."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from lti_tool.models import OutboxJob
from lti_tool.outbox import Worker, WorkerSettings, dead_jobs, retry_dead
from lti_tool.services.completions import reverse_completion
from lti_tool.services.gradebook import enqueue_completion_score
from tests.lms.tool_on_moodle import PATIENT, completed, learner


def mark_completed(session, moodle, sub: str = "4") -> OutboxJob:
    """An instructor marks the official behind Moodle user `sub` as having completed the placement's
    activity; the score job is committed with the completion."""
    official = learner(session, moodle, sub=sub, name=f"User {sub}")
    (job,) = enqueue_completion_score(session, completed(session, moodle, official), actor="official:3")
    session.commit()
    return job


def landed(moodle, user_id: str = "4") -> dict | None:
    grades = moodle.emulator.gradebook()[moodle.emulator.lineitem_url(2)]["grades"]
    return grades.get(user_id)


def state_of(session, job_id: int) -> OutboxJob:
    row = session.get(OutboxJob, job_id, populate_existing=True)
    session.commit()
    return row


def test_a_completion_score_lands_in_the_gradebook(moodle, session):
    job = mark_completed(session, moodle)
    assert moodle.drain().done == 1
    (score,) = moodle.emulator.scores(2)
    assert score["userId"] == "4" and score["scoreGiven"] == 3 and score["scoreMaximum"] == 3
    assert score["activityProgress"] == "Completed" and score["gradingProgress"] == "FullyGraded"
    assert landed(moodle)["score"] == 100
    assert state_of(session, job.id).state == "done"


@pytest.mark.parametrize(
    ("break_moodle", "first_error"),
    [
        (lambda emulator: emulator.stop(), "connection refused"),
        (lambda emulator: emulator.fault("/mod/lti/services.php", "401", times=4), "refused a fresh access token"),
    ],
    ids=["stopped", "refusing-every-token"],
)
def test_nothing_is_lost_while_moodle_is_out_and_the_score_lands_when_it_is_back(moodle, session, break_moodle,
                                                                                 first_error):
    job = mark_completed(session, moodle)
    break_moodle(moodle.emulator)
    worker = moodle.worker(settings=PATIENT)
    assert worker.run_once().retried == 1
    waiting = state_of(session, job.id)
    assert waiting.state == "pending" and first_error in waiting.last_error
    moodle.emulator.start()
    moodle.drain(worker)
    assert landed(moodle)["score"] == 100


def test_moodle_dropping_connections(moodle, session):
    mark_completed(session, moodle)
    moodle.emulator.fault("/mod/lti/services.php", "down", times=2)
    report = moodle.drain()
    assert report.retried == 2 and report.done == 1
    assert landed(moodle)["score"] == 100


def test_moodle_too_slow_times_out_and_the_retry_lands_exactly_the_latest_score(moodle, session):
    job = mark_completed(session, moodle)
    # Moodle answers after the tool gave up (0.5 s) but still records the score.
    moodle.emulator.fault("/mod/lti/services.php/2/lineitems/2/lineitem/scores", "slow", seconds=0.8, times=1)
    worker = moodle.worker(settings=PATIENT)
    assert worker.run_once().retried == 1
    assert "did not answer within 0.5 s" in state_of(session, job.id).last_error
    threading.Event().wait(0.4)  # Moodle finishes the slow request meanwhile
    moodle.drain(worker)
    # The retry met its own earlier success (same timestamp: 409), was re-stamped and landed again.
    assert [request.json()["scoreGiven"] for request in moodle.score_posts(2)] == [3, 3, 3]
    assert landed(moodle)["score"] == 100


def test_moodle_answering_500(moodle, session):
    mark_completed(session, moodle)
    moodle.emulator.fault("/mod/lti/services.php", "500", times=3)
    report = moodle.drain()
    assert report.retried == 3 and report.done == 1 and landed(moodle)["score"] == 100


def test_an_expired_token_is_refreshed_within_the_same_attempt(moodle, session):
    mark_completed(session, moodle, sub="4")
    moodle.drain()
    moodle.emulator.expire_tokens()
    mark_completed(session, moodle, sub="5")
    report = moodle.drain()
    assert report.done == 1 and report.retried == 0
    assert len(moodle.token_requests()) == 2 and landed(moodle, "5")["score"] == 100


def test_a_409_is_restamped_within_the_same_attempt(moodle, session):
    mark_completed(session, moodle)
    moodle.emulator.fault("/mod/lti/services.php/2/lineitems/2/lineitem/scores", "409", times=1)
    report = moodle.drain()
    assert report.done == 1 and report.retried == 0
    first, second = moodle.score_posts(2)
    assert second.json()["timestamp"] > first.json()["timestamp"]
    assert landed(moodle)["score"] == 100


def test_a_reversal_in_the_same_second_still_replaces_the_score(moodle, session):
    row = completed(session, moodle, learner(session, moodle))
    enqueue_completion_score(session, row, actor="official:3")
    moodle.drain()
    reverse_completion(session, row, recorded_by="official:3", reason="marked the wrong person", source="instructor")
    enqueue_completion_score(session, row, actor="official:3")
    session.commit()
    moodle.drain()
    grade = landed(moodle)
    assert grade["score"] is None and grade["comment"].startswith("Reversed: Ethics & Accountability")
    assert "marked the wrong person" in grade["comment"]


def test_a_learner_not_enrolled_goes_dead_and_lands_after_an_administrator_retries(moodle, session):
    job = mark_completed(session, moodle, sub="2")  # the site administrator, not enrolled in the course
    assert moodle.drain().dead == 1
    (dead,) = dead_jobs(session)
    assert dead.id == job.id and "not enrolled" in dead.last_error
    session.commit()
    moodle.emulator.add_member("2", "2", ["Learner"])
    retry_dead(session, job.id, "official:1")
    session.commit()
    assert moodle.drain().done == 1 and landed(moodle, "2")["score"] == 100


def test_a_crashed_workers_score_is_sent_by_another_worker_after_the_lease(moodle, session):
    mark_completed(session, moodle)
    short = WorkerSettings(lease=timedelta(milliseconds=200), backoff_base=timedelta(milliseconds=10))
    Worker(moodle.app, name="crashed", settings=short).claim()
    survivor = Worker(moodle.app, name="survivor", settings=short)
    assert survivor.run_once().processed == 0 and landed(moodle) is None
    threading.Event().wait(0.25)
    assert survivor.run_once().done == 1 and landed(moodle)["score"] == 100


def test_two_workers_send_each_score_exactly_once(moodle, session):
    learners = [str(user_id) for user_id in range(100, 130)]
    for user_id in learners:
        moodle.emulator.add_member("2", user_id, ["Learner"])
    for user_id in learners:
        mark_completed(session, moodle, sub=user_id)
    workers = [moodle.worker(f"worker-{n}") for n in range(2)]
    threads = [threading.Thread(target=moodle.drain, args=(worker,)) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    posts = Counter(request.json()["userId"] for request in moodle.score_posts(2))
    assert sorted(posts) == sorted(learners) and set(posts.values()) == {1}
    states = session.scalars(select(OutboxJob.state)).all()
    assert states and set(states) == {"done"}
