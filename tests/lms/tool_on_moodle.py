"""The tool registered with the Moodle emulator and served on a loopback port (the emulator's token endpoint
fetches the tool's key set from it), a course with a graded placement, and a fast outbox worker.

Import the fixtures into a conftest.py: `from tests.lms.tool_on_moodle import app_config, moodle  # noqa: F401`.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Callable, Iterator

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select
from werkzeug.serving import make_server

from lti_tool import keys
from lti_tool.db import db
from lti_tool.lms import ServiceClient
from lti_tool.models import Activity, Completion, Context, Deployment, OutboxJob, Platform, ResourceLink, ToolKey
from lti_tool.outbox import Worker, WorkerReport, WorkerSettings
from lti_tool.services.completions import record_completion
from tests.emulator import PlatformEmulator
from tests.factories import gen_activity, gen_official

FAST = WorkerSettings(
    lease=timedelta(seconds=30),
    backoff_base=timedelta(milliseconds=20),
    backoff_cap=timedelta(milliseconds=100),
)
# For tests that look at a job between two attempts: the retry must not come within the same pass.
PATIENT = WorkerSettings(
    lease=timedelta(seconds=30),
    backoff_base=timedelta(milliseconds=300),
    backoff_cap=timedelta(milliseconds=300),
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

    def drain(self, worker: Worker | None = None, *, timeout: float = 10.0) -> WorkerReport:
        """Commit the test's transaction (as a request ends before a worker sees its jobs; on SQLite an open
        one holds the write lock), then run passes until no job is pending or running."""
        if threading.current_thread() is threading.main_thread():
            db.session.commit()
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


@pytest.fixture(scope="session")
def tool_key_pem() -> bytes:
    """One RSA key for the whole run: generating one per test would dominate the tests' time."""
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def install_tool_key(session, keys_dir: Path, pem: bytes) -> None:
    """The tool's signing key, as `lti-tool keys generate` leaves it (PEM file and public JWK row)."""
    private_key = serialization.load_pem_private_key(pem, password=None)
    jwk = keys.public_jwk(private_key.public_key())
    kid = keys.thumbprint(jwk)
    keys_dir.mkdir(parents=True, exist_ok=True)
    (keys_dir / f"{kid}.pem").write_bytes(pem)
    session.add(ToolKey(kid=kid, public_jwk={**jwk, "kid": kid, "alg": "RS256", "use": "sig"}))
    session.flush()


@pytest.fixture
def moodle(app, app_config, session, shared_platform_emulator, tool_key_pem) -> Iterator[ToolOnMoodle]:
    """The emulated Moodle with the tool configured (JWKS URL), the platform registered in the tool, course
    2 known with its service URLs, and placement 1 (line item 2, max 100) marking the `ethics` activity."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    serving = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    serving.start()
    tool_url = f"http://127.0.0.1:{server.server_port}"
    emulator = shared_platform_emulator
    emulator.reset()
    emulator.start()
    try:
        install_tool_key(session, Path(app_config["KEYS_DIR"]), tool_key_pem)
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
        emulator.register_tool(redirect_uris=[f"{tool_url}/lti/launch"], jwks_url=f"{tool_url}/.well-known/jwks.json")
        yield ToolOnMoodle(app, emulator, platform.id, context.id, activity.id, link.id, tool_url)
    finally:
        emulator.clear_faults()
        emulator.start()  # a test may have stopped it
        server.shutdown()
        serving.join(5)


def learner(session, moodle: ToolOnMoodle, sub: str = "4", name: str = "Lena Learner"):
    """The official behind an emulated Moodle user (4 and 5 are enrolled learners)."""
    platform = session.get(Platform, moodle.platform_id)
    return gen_official(session, platform=platform, sub=sub, name=name)


def completed(session, moodle: ToolOnMoodle, official, *, source: str = "instructor", key: str | None = None,
              placed: bool = True) -> Completion:
    """`official` completed the placement's activity on 2 March 2026, marked through the placement (or not)."""
    row, _ = record_completion(
        session, official=official, activity=session.get(Activity, moodle.activity_id), completed_on=date(2026, 3, 2),
        source=source, source_key=key or f"{source}:{official.sub}", recorded_by="official:3",
        resource_link_id=moodle.link_id if placed else None,
    )
    return row


def service_client(moodle: ToolOnMoodle, session, timeout: float = 0.5) -> ServiceClient:
    """A client of the emulated Moodle, as a job gets it (the reading transaction ended)."""
    platform = session.get(Platform, moodle.platform_id)
    client = ServiceClient.for_platform(session, platform, keys_dir=moodle.app.config["KEYS_DIR"],
                                        timeout_seconds=timeout)
    session.commit()
    return client
