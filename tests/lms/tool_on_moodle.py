"""The tool registered with the Moodle emulator and served on a loopback port (the emulator's token endpoint
fetches the tool's key set from it), a course with a graded placement, and a fast outbox worker.

Import the fixtures into a conftest.py: `from tests.lms.tool_on_moodle import app_config, moodle  # noqa: F401`.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Callable, Iterator

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from lti_tool import keys
from lti_tool.db import db
from lti_tool.models import Activity, Context, Deployment, OutboxJob, Platform, ResourceLink
from lti_tool.outbox import Worker, WorkerReport, WorkerSettings
from tests.emulator import PlatformEmulator
from tests.factories import gen_activity, gen_official

FAST = WorkerSettings(
    lease=timedelta(seconds=30),
    backoff_base=timedelta(milliseconds=20),
    backoff_cap=timedelta(milliseconds=100),
)


@pytest.fixture
def app_config(app_config):
    """Short HTTP timeouts (the "slow" faults wait longer) and no automatic grade syncs."""
    return {**app_config, "HTTP_TIMEOUT_SECONDS": 0.5, "GRADE_SYNC_INTERVAL_SECONDS": 0}


@dataclass
class ToolOnMoodle:
    """Everything a test of the LMS jobs needs; ids only, so any session can load the rows."""

    app: object
    emulator: PlatformEmulator
    platform_id: int
    context_id: int
    activity_id: str
    link_id: int
    tool_url: str

    def worker(self, name: str = "worker-1", settings: WorkerSettings = FAST) -> Worker:
        return Worker(self.app, name=name, settings=settings)

    def run_jobs(self, worker: Worker | None = None) -> WorkerReport:
        """One pass of a worker over the due jobs."""
        return (worker or self.worker()).run_once()

    def drain(self, worker: Worker | None = None, *, timeout: float = 10.0) -> WorkerReport:
        """Run passes until no job is pending or running (jobs in backoff included)."""
        worker = worker or self.worker()
        total = WorkerReport()
        deadline = time.monotonic() + timeout
        while True:
            report = worker.run_once()
            for name in ("done", "retried", "dead", "lost"):
                setattr(total, name, getattr(total, name) + getattr(report, name))
            if not self.open_jobs():
                return total
            assert time.monotonic() < deadline, f"jobs still open: {self.open_jobs()}"
            time.sleep(0.02)

    def open_jobs(self) -> list[tuple[int, str, str, str | None]]:
        with db.engine.connect() as connection:
            rows = connection.execute(
                select(OutboxJob.id, OutboxJob.kind, OutboxJob.state, OutboxJob.last_error).where(
                    OutboxJob.state.in_(("pending", "running"))
                )
            )
            return [tuple(row) for row in rows]

    def score_posts(self, item_id: int | None = None) -> list:
        """The score POSTs the emulator received (for one line item, or all)."""
        marker = f"/lineitems/{item_id}/lineitem/scores" if item_id else "/lineitem/scores"
        return [r for r in self.emulator.requests if r.method == "POST" and r.path.endswith(marker)]

    def token_requests(self) -> list:
        return [r for r in self.emulator.requests if r.path.endswith("/mod/lti/token.php")]


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


@pytest.fixture
def moodle(app, app_config, session) -> Iterator[ToolOnMoodle]:
    """The emulated Moodle with the tool configured (JWKS URL), the platform registered in the tool, course
    2 known with its service URLs, and placement 1 (line item 2, max 100) marking the `ethics` activity."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    tool_url = f"http://127.0.0.1:{server.server_port}"
    try:
        with PlatformEmulator() as emulator:
            keys.generate_key(session, app_config["KEYS_DIR"], actor="test")
            platform = Platform(
                name="Emulated Moodle",
                issuer=emulator.issuer,
                client_id=emulator.client_id,
                auth_login_url=emulator.auth_login_url,
                auth_token_url=emulator.token_url,
                keyset_url=emulator.jwks_url,
            )
            session.add(platform)
            session.flush()
            deployment = Deployment(platform_id=platform.id, deployment_id=emulator.deployment_id, active=True)
            session.add(deployment)
            session.flush()
            context = Context(
                platform_id=platform.id,
                deployment_id=deployment.id,
                lti_context_id="2",
                label="CCMO",
                title="CCMO Academy",
                lineitems_url=emulator.lineitems_url("2"),
                memberships_url=emulator.memberships_url("2"),
            )
            session.add(context)
            session.flush()
            activity: Activity = gen_activity(session, "ethics", title="Ethics & Accountability", hours="3")
            link = ResourceLink(
                context_id=context.id,
                lti_resource_link_id="1",
                title="CCMO Stub Activity",
                kind="activity",
                activity_id=activity.id,
                lineitem_url=emulator.lineitem_url(2),
            )
            session.add(link)
            session.commit()
            emulator.register_tool(
                redirect_uris=[f"{tool_url}/lti/launch"], jwks_url=f"{tool_url}/.well-known/jwks.json"
            )
            yield ToolOnMoodle(app, emulator, platform.id, context.id, activity.id, link.id, tool_url)
    finally:
        server.shutdown()
        serving.join(5)


def learner(session, moodle: ToolOnMoodle, sub: str = "4", name: str = "Lena Learner"):
    """The official behind an emulated Moodle user (4 and 5 are enrolled learners)."""
    platform = session.get(Platform, moodle.platform_id)
    return gen_official(session, platform=platform, sub=sub, name=name)
