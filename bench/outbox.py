"""Outbox throughput: jobs per second through the worker, on SQLite and PostgreSQL, with 1, 2 and 4 workers.

Two workloads:
- "no-op": jobs whose handler does nothing: the cost of claiming, running and finishing a job (the database
  round trips of the outbox itself);
- "scores": completion scores posted to the Moodle 4.5 emulator (token cached in the database, AGS score POST
  over loopback HTTP); the emulator runs in this process, so the figure is a floor.

Every run also counts the jobs sent more than once (must be 0). It prints figures and asserts nothing.

    .venv/bin/python bench/outbox.py                       # both databases, 1/2/4 workers
    .venv/bin/python bench/outbox.py --db sqlite --noop 2000 --scores 300 --workers 1 2

PostgreSQL is reached at BENCH_POSTGRES_URL (as for bench/launch.py); a scratch database is created and dropped.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from sqlalchemy import delete, func, select  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from lti_tool import create_app, keys  # noqa: E402
from lti_tool.db import db  # noqa: E402
from lti_tool.models import (  # noqa: E402
    Activity,
    Completion,
    Context,
    Deployment,
    Official,
    OutboxJob,
    Platform,
    ResourceLink,
)
from lti_tool.outbox import Worker, WorkerSettings, enqueue, register_handler  # noqa: E402
from lti_tool.services.completions import record_completion  # noqa: E402
from lti_tool.services.gradebook import enqueue_completion_score  # noqa: E402
from tests.emulator import PlatformEmulator  # noqa: E402

from bench.launch import scratch_database  # noqa: E402  (the same scratch databases as the launch bench)

SETTINGS = WorkerSettings(lease=timedelta(minutes=5), backoff_base=timedelta(seconds=1))

noop_runs: Counter = Counter()
noop_lock = threading.Lock()


def noop(ctx) -> None:
    with noop_lock:
        noop_runs[ctx.job_id] += 1


register_handler("bench.noop", noop)


def run_workers(app, count: int) -> float:
    """Seconds for `count` worker threads to empty the outbox."""
    workers = [Worker(app, name=f"bench-{n}", settings=SETTINGS) for n in range(count)]
    started = time.perf_counter()
    threads = [threading.Thread(target=worker.run_once) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def clear_outbox() -> None:
    with db.transaction() as session:
        session.execute(delete(OutboxJob))


def bench_noop(app, jobs: int, workers: int) -> tuple[float, int]:
    noop_runs.clear()
    clear_outbox()
    with db.transaction() as session:
        for n in range(jobs):
            enqueue(session, "bench.noop", {"n": n})
    elapsed = run_workers(app, workers)
    duplicates = sum(count - 1 for count in noop_runs.values())
    assert len(noop_runs) == jobs, f"only {len(noop_runs)} of {jobs} jobs ran"
    return jobs / elapsed, duplicates


def setup_course(emulator: PlatformEmulator, learners: int) -> tuple[int, int]:
    """The platform, course 2, placement 1 marking an activity, and enrolled learners; returns ids."""
    with db.transaction() as session:
        platform = Platform(name="Bench Moodle", issuer=emulator.issuer, client_id=emulator.client_id,
                            auth_login_url=emulator.auth_login_url, auth_token_url=emulator.token_url,
                            keyset_url=emulator.jwks_url)
        session.add(platform)
        session.flush()
        deployment = Deployment(platform_id=platform.id, deployment_id=emulator.deployment_id, active=True)
        session.add(deployment)
        session.flush()
        context = Context(platform_id=platform.id, deployment_id=deployment.id, lti_context_id="2",
                          lineitems_url=emulator.lineitems_url("2"), memberships_url=emulator.memberships_url("2"))
        session.add(context)
        activity = Activity(id="ethics", title="Ethics & Accountability", hours=3, areas=["organizational"])
        session.add(activity)
        session.flush()
        link = ResourceLink(context_id=context.id, lti_resource_link_id="1", kind="activity",
                            activity_id=activity.id, lineitem_url=emulator.lineitem_url(2))
        session.add(link)
        session.flush()
        for n in range(learners):
            sub = str(1000 + n)
            emulator.add_member("2", sub, ["Learner"])
            session.add(Official(platform_id=platform.id, sub=sub, name=f"Learner {sub}"))
        return platform.id, link.id


def bench_scores(app, emulator: PlatformEmulator, link_id: int, workers: int, round_number: int) -> tuple[float, int]:
    """Score jobs for every learner into a fresh column (so that no score meets one of an earlier round)."""
    clear_outbox()
    column = emulator.add_lineitem("2", f"Round {round_number}", 3)
    with db.transaction() as session:
        session.get(ResourceLink, link_id).lineitem_url = column
        activity = session.get(Activity, "ethics")
        officials = session.scalars(select(Official).order_by(Official.id)).all()
        for official in officials:
            row, _ = record_completion(session, official=official, activity=activity,
                                       completed_on=date(2026, 3, 2), source="instructor",
                                       source_key=f"bench:{round_number}:{official.id}", recorded_by="bench",
                                       resource_link_id=link_id)
            enqueue_completion_score(session, row, actor="bench")
        jobs = len(officials)
    elapsed = run_workers(app, workers)
    accepted = Counter(score["userId"] for score in emulator.scores(column))
    with db.transaction() as session:
        done = session.scalar(select(func.count()).select_from(OutboxJob).where(OutboxJob.state == "done"))
    assert done == jobs == len(accepted), f"{done} jobs done, {len(accepted)} of {jobs} learners scored"
    return jobs / elapsed, sum(count - 1 for count in accepted.values())


def run(kind: str, noop_jobs: int, score_jobs: int, worker_counts: list[int]) -> None:
    with tempfile.TemporaryDirectory() as folder, scratch_database(kind, Path(folder)) as url:
        app = create_app({"DATABASE_URL": url, "INSTANCE_DIR": f"{folder}/instance", "KEYS_DIR": f"{folder}/keys",
                          "SECRET_KEY": "bench", "HTTP_TIMEOUT_SECONDS": 5})
        with app.app_context():
            with db.transaction() as session:
                keys.generate_key(session, Path(folder) / "keys", actor="bench")
            for workers in worker_counts:
                rate, duplicates = bench_noop(app, noop_jobs, workers)
                print(f"{kind:10} no-op   {workers} worker(s): {rate:8.0f} jobs/s   sent twice: {duplicates}")
            server = make_server("127.0.0.1", 0, app, threaded=True)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            try:
                with PlatformEmulator() as emulator:
                    emulator.register_tool(redirect_uris=["http://127.0.0.1/lti/launch"],
                                           jwks_url=f"http://127.0.0.1:{server.server_port}/.well-known/jwks.json")
                    _, link_id = setup_course(emulator, score_jobs)
                    for round_number, workers in enumerate(worker_counts):
                        rate, duplicates = bench_scores(app, emulator, link_id, workers, round_number)
                        print(f"{kind:10} scores  {workers} worker(s): {rate:8.0f} jobs/s   sent twice: {duplicates}")
            finally:
                server.shutdown()
            with db.transaction() as session:
                session.execute(delete(Completion))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--noop", type=int, default=2000, help="no-op jobs per run")
    parser.add_argument("--scores", type=int, default=300, help="score jobs per run")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    options = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if options.db == "both" else [options.db]
    print(f"{os.cpu_count()} CPUs; {options.noop} no-op jobs and {options.scores} score jobs per run")
    for kind in kinds:
        try:
            run(kind, options.noop, options.scores, options.workers)
        except Exception as exc:  # e.g. PostgreSQL not reachable: report it and go on
            print(f"{kind:10} skipped: {type(exc).__name__}: {str(exc).splitlines()[0]}")


if __name__ == "__main__":
    main()
