"""`lti-tool worker`: send the outbox's jobs to the LMS; and the in-process worker of `lti-tool serve`."""

from __future__ import annotations

import fcntl
import logging
import os
import signal
import threading
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import IO, Mapping

import click
from flask import Flask
from sqlalchemy.orm import Session

from ..outbox import Worker, WorkerSettings

log = logging.getLogger(__name__)

LOCK_FILE_NAME = "outbox-worker.lock"
DEFAULT_GRADE_SYNC_INTERVAL_SECONDS = 900
# How often a process that does not hold the lock checks whether the holder went away.
LOCK_RETRY_SECONDS = 30.0


def worker_settings(config: Mapping) -> WorkerSettings:
    """Lease and backoff from the app's settings (OUTBOX_LEASE_SECONDS, OUTBOX_BACKOFF_BASE_SECONDS,
    OUTBOX_BACKOFF_CAP_SECONDS), defaults otherwise."""
    defaults = WorkerSettings()

    def seconds(name: str, default: timedelta) -> timedelta:
        return timedelta(seconds=float(config.get(name, default.total_seconds())))

    return WorkerSettings(
        lease=seconds("OUTBOX_LEASE_SECONDS", defaults.lease),
        backoff_base=seconds("OUTBOX_BACKOFF_BASE_SECONDS", defaults.backoff_base),
        backoff_cap=seconds("OUTBOX_BACKOFF_CAP_SECONDS", defaults.backoff_cap),
    )


def schedule_grade_syncs(app: Flask) -> int:
    """Queue the grade syncs that are due (GRADE_SYNC_INTERVAL_SECONDS, 0 turns them off); returns how many."""
    from ..services.gradebook import enqueue_due_grade_syncs

    interval = float(app.config.get("GRADE_SYNC_INTERVAL_SECONDS", DEFAULT_GRADE_SYNC_INTERVAL_SECONDS))
    if interval <= 0:
        return 0
    with Session(app.extensions["database"].engine, expire_on_commit=False) as session, session.begin():
        return len(enqueue_due_grade_syncs(session, every=timedelta(seconds=interval)))


def run_worker_loop(app: Flask, stop: threading.Event, interval: float) -> None:
    """Queue due grade syncs and run due jobs every `interval` seconds until `stop` is set; never raises."""
    worker = Worker(app, settings=worker_settings(app.config))
    worker.run_forever(stop, interval=interval, before_each_pass=lambda: schedule_grade_syncs(app))


@click.command("worker")
@click.option("--once", is_flag=True, help="Run the jobs that are due now, then exit.")
@click.option("--interval", default=5.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Seconds between passes over the outbox.")
def worker_command(once: bool, interval: float) -> None:
    """Send the outbox's jobs to the LMS: scores, line items, grade and roster syncs."""
    from .. import create_app

    app = create_app()
    if once:
        schedule_grade_syncs(app)
        report = Worker(app, settings=worker_settings(app.config)).run_once()
        click.echo(f"{report.done} done, {report.retried} to retry, {report.dead} dead")
        return
    stop = threading.Event()

    def request_stop(signum, _frame) -> None:
        click.echo(f"stopping after the current job ({signal.Signals(signum).name})", err=True)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    click.echo(f"outbox worker running (every {interval:g} s); stop with Ctrl-C", err=True)
    run_worker_loop(app, stop, interval)


@dataclass
class BackgroundWorker:
    """The in-process worker thread of a web server process."""

    thread: threading.Thread
    stop_event: threading.Event

    def stop(self, timeout: float | None = 10.0) -> None:
        """Ask the thread to stop after its current job and wait for it."""
        self.stop_event.set()
        self.thread.join(timeout)


def start_background_worker(app: Flask, *, interval: float = 5.0) -> BackgroundWorker:
    """Run the outbox in a daemon thread of this process. Every web server process may call this: a lock
    file in the instance folder lets one of them work at a time, and another takes over if it exits."""
    existing = app.extensions.get("outbox_background_worker")
    if existing is not None and existing.thread.is_alive():
        return existing
    stop = threading.Event()
    lock_path = Path(app.config["INSTANCE_DIR"]) / LOCK_FILE_NAME

    def run() -> None:
        lock = _wait_for_lock(lock_path, stop)
        if lock is None:
            return
        try:
            log.info("outbox worker running in process %s", os.getpid())
            run_worker_loop(app, stop, interval)
        finally:
            lock.close()

    thread = threading.Thread(target=run, name="outbox-worker", daemon=True)
    handle = BackgroundWorker(thread, stop)
    app.extensions["outbox_background_worker"] = handle
    thread.start()
    return handle


def _wait_for_lock(path: Path, stop: threading.Event) -> IO | None:
    """The open lock file once this process holds its lock, or None when asked to stop first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+")
    while not stop.is_set():
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            return handle
        except BlockingIOError:
            stop.wait(LOCK_RETRY_SECONDS)
    handle.close()
    return None
