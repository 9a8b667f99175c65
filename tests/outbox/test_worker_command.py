"""How the worker runs: `lti-tool worker --once`, two worker processes side by side, and the background
thread of `lti-tool serve` that only one process runs at a time."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections import Counter

import pytest
from click.testing import CliRunner

from lti_tool import create_app
from lti_tool.cli import worker as worker_module
from lti_tool.cli.worker import start_background_worker, worker_command
from lti_tool.outbox import enqueue, job_counts, register_handler
from lti_tool.services.gradebook import enqueue_completion_score
from tests.conftest import project_root
from tests.lms.tool_on_moodle import completed, learner, wait_until

ran_by: list[str] = []


def note_worker(ctx) -> None:
    ran_by.append(ctx.worker.name)


register_handler("test.whoami", note_worker)


def environment(app_config) -> dict[str, str]:
    return {
        "DATABASE_URL": app_config["DATABASE_URL"],
        "INSTANCE_DIR": str(app_config["INSTANCE_DIR"]),
        "KEYS_DIR": str(app_config["KEYS_DIR"]),
        "SECRET_KEY": app_config["SECRET_KEY"],
        "HTTP_TIMEOUT_SECONDS": "2",
    }


def queue_scores(session, moodle, subs: list[str]) -> None:
    for sub in subs:
        moodle.emulator.add_member("2", sub, ["Learner"])
        enqueue_completion_score(session, completed(session, moodle, learner(session, moodle, sub=sub)))
    session.commit()


def test_worker_once_sends_what_is_due_and_says_so(moodle, session, app_config):
    queue_scores(session, moodle, ["4", "5"])
    result = CliRunner().invoke(worker_command, ["--once"], env=environment(app_config), catch_exceptions=False)
    assert result.exit_code == 0
    # Two scores, and the grade sync of the course, due on a worker's first pass.
    assert result.output.strip() == "3 done, 0 to retry, 0 dead"
    assert len(moodle.score_posts(2)) == 2


def test_two_worker_processes_send_each_score_exactly_once(moodle, session, app_config):
    subs = [str(user_id) for user_id in range(200, 260)]
    queue_scores(session, moodle, subs)
    env = {**os.environ, **environment(app_config)}
    command = [sys.executable, "-c", "from lti_tool.cli.worker import worker_command; worker_command(['--once'])"]
    processes = [subprocess.Popen(command, env=env, cwd=project_root(), stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [process.communicate(timeout=120) for process in processes]
    assert all(process.returncode == 0 for process in processes), outputs
    posts = Counter(request.json()["userId"] for request in moodle.score_posts(2))
    assert sorted(posts) == sorted(subs) and set(posts.values()) == {1}
    assert job_counts(session)["done"] == len(subs) + 1


def test_the_worker_keeps_sending_until_it_is_told_to_stop(moodle, session, app_config):
    env = {**os.environ, **environment(app_config)}
    command = [sys.executable, "-c", "from lti_tool.cli import run; run()", "worker", "--interval", "0.1"]
    process = subprocess.Popen(command, env=env, cwd=project_root(), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        queue_scores(session, moodle, ["4"])
        wait_until(lambda: len(moodle.score_posts(2)) == 1, timeout=30)
        queue_scores(session, moodle, ["5"])
        wait_until(lambda: len(moodle.score_posts(2)) == 2, timeout=30)
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0
    assert "outbox worker running" in stderr and "stopping after the current job (SIGTERM)" in stderr


@pytest.fixture
def quick_lock_retry(monkeypatch):
    monkeypatch.setattr(worker_module, "LOCK_RETRY_SECONDS", 0.05)
    ran_by.clear()
    yield
    ran_by.clear()


def test_one_server_process_runs_the_background_worker_and_another_takes_over(app, app_config, session,
                                                                              quick_lock_retry):
    first = start_background_worker(create_app(app_config), interval=0.05)
    second = start_background_worker(create_app(app_config), interval=0.05)
    try:
        for n in range(5):
            enqueue(session, "test.whoami", {"n": n})
        session.commit()
        wait_until(lambda: len(ran_by) == 5)
        assert len(set(ran_by)) == 1
        first.stop()
        assert not first.thread.is_alive()
        enqueue(session, "test.whoami", {"n": 5})
        session.commit()
        wait_until(lambda: len(ran_by) == 6)
        assert ran_by[-1] != ran_by[0]
    finally:
        first.stop()
        second.stop()
    assert not second.thread.is_alive()


def test_starting_the_background_worker_twice_in_one_process_starts_one_thread(app, quick_lock_retry):
    handle = start_background_worker(app, interval=0.05)
    try:
        assert start_background_worker(app, interval=0.05) is handle
        assert sum(thread.name == "outbox-worker" for thread in threading.enumerate()) == 1
    finally:
        handle.stop()
