"""Launch throughput: full LTI login → platform auth → launch flows against `lti-tool serve`.

For each database (SQLite, PostgreSQL) the bench migrates a scratch database, starts the Moodle 4.5
emulator (its own RSA key, JWKS over loopback HTTP), registers it, starts `lti-tool serve` (gunicorn, two
workers) and drives complete flows from 1, 8 and 32 concurrent browsers:

    POST /lti/login  →  302 to auth.php  →  GET auth.php (id_token form)  →  POST /lti/launch  →  303

A flow counts when every step answered as a browser expects; anything else is an error. It prints completed
flows per second and p50/p99 flow latency; it asserts nothing.

    .venv/bin/python bench/launch.py                     # both databases, 1/8/32 clients, 10 s each
    .venv/bin/python bench/launch.py --db sqlite --clients 8 --seconds 5
    .venv/bin/python bench/launch.py --mint-locally      # sign id_tokens in the bench, skip auth.php

PostgreSQL is reached at BENCH_POSTGRES_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/postgres);
a scratch database is created and dropped.
"""

from __future__ import annotations

import argparse
import http.client
import html
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator
from urllib.parse import parse_qs, urlencode, urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from lti_tool import create_app, keys, migrate  # noqa: E402
from lti_tool.db import db  # noqa: E402
from lti_tool.services.platforms import register_platform  # noqa: E402
from tests.emulator import PlatformEmulator  # noqa: E402

POSTGRES_ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
LEARNERS = 500
FORM_FIELD = re.compile(r'name="(id_token|state)" value="([^"]*)"')
STATE_COOKIE = re.compile(r"(lti_state_[^=]+)=([^;]*)")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def scratch_database(kind: str, workdir: Path) -> Iterator[str]:
    """A migrated, empty database URL, dropped afterwards."""
    if kind == "sqlite":
        url = f"sqlite:///{workdir / 'bench.db'}"
        migrate.upgrade(url)
        yield url
        return
    name = f"cc_bench_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        migrate.upgrade(url)
        yield url
    finally:
        db.remove()
        if db.engine is not None:
            db.engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def prepare_tool(config: dict, emulator: PlatformEmulator) -> None:
    """Generate the tool key and register the emulator, as `lti-tool keys generate` / `platform add` would."""
    app = create_app(config)
    with app.app_context():
        with db.transaction() as session:
            keys.generate_key(session, config["KEYS_DIR"], actor="bench")
            register_platform(
                session,
                issuer=emulator.issuer,
                client_id=emulator.client_id,
                deployment_id=emulator.deployment_id,
                auth_login_url=emulator.auth_login_url,
                auth_token_url=emulator.token_url,
                keyset_url=emulator.jwks_url,
                name="Bench Moodle",
                actor="bench",
            )
        db.remove()
    db.engine.dispose()


@contextmanager
def tool_server(config: dict, port: int, workers: int, threads: int) -> Iterator[subprocess.Popen]:
    """`lti-tool serve` in a child process, until the block ends."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=config["DATABASE_URL"],
        KEYS_DIR=str(config["KEYS_DIR"]),
        INSTANCE_DIR=str(config["INSTANCE_DIR"]),
        SECRET_KEY=config["SECRET_KEY"],
        TOOL_BASE_URL=config["TOOL_BASE_URL"],
    )
    command = [str(PROJECT_ROOT / ".venv" / "bin" / "lti-tool"), "serve", "--port", str(port), "--workers", str(workers),
               "--threads", str(threads)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.2)
            if process.poll() is not None:
                raise RuntimeError(f"lti-tool serve exited: {process.stderr.read()[-2000:]}")
        else:
            raise RuntimeError("lti-tool serve did not answer /healthz within 30 s")
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


class Browser:
    """One browser: keep-alive connections to the tool and the platform, and its cookies."""

    def __init__(self, tool_port: int, emulator: PlatformEmulator, mint_locally: bool) -> None:
        self.tool_port = tool_port
        self.emulator = emulator
        self.mint_locally = mint_locally
        self.tool: http.client.HTTPConnection | None = None
        self.platform: http.client.HTTPConnection | None = None
        # The browser has been here before: cookies are known to work (the login answers 302 at once).
        self.cookies = {"lti_cookies_ok": "1"}

    def _send(self, which: str, method: str, path: str, body: str | None = None) -> http.client.HTTPResponse:
        for attempt in (1, 2):
            connection = getattr(self, which)
            if connection is None:
                port = self.tool_port if which == "tool" else self.emulator.port
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                setattr(self, which, connection)
            headers = {}
            if which == "tool":
                headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
            if body is not None:
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            try:
                connection.request(method, path, body=body, headers=headers)
                response = connection.getresponse()
                response.body = response.read()
                if response.getheader("Connection", "").lower() == "close" or response.version == 10:
                    connection.close()
                    setattr(self, which, None)
                return response
            except (http.client.HTTPException, OSError):
                connection.close()
                setattr(self, which, None)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def flow(self, user_id: str) -> None:
        """One complete login → auth → launch; raises on anything a browser would not accept."""
        fields = self.emulator.login_initiation("learner1", as_user=user_id)
        login = self._send("tool", "POST", "/lti/login", urlencode(fields))
        if login.status != 302:
            raise RuntimeError(f"login answered {login.status}")
        auth_url = login.getheader("Location")
        for name, value in STATE_COOKIE.findall(login.getheader("Set-Cookie") or ""):
            self.cookies[name] = value
        if self.mint_locally:
            sent = {name: values[0] for name, values in parse_qs(urlsplit(auth_url).query).items()}
            claims = self.emulator.claims("learner1", as_user=user_id, nonce=sent["nonce"])
            form = {"id_token": self.emulator.sign(claims), "state": sent["state"]}
        else:
            parts = urlsplit(auth_url)
            auth = self._send("platform", "GET", f"{parts.path}?{parts.query}")
            form = {name: html.unescape(value) for name, value in FORM_FIELD.findall(auth.body.decode())}
            if auth.status != 200 or "id_token" not in form:
                raise RuntimeError(f"auth.php answered {auth.status}")
        launch = self._send("tool", "POST", "/lti/launch", urlencode(form))
        self.cookies.pop(f"lti_state_{form['state']}", None)
        if launch.status != 303:
            raise RuntimeError(f"launch answered {launch.status}: {launch.body[:200]!r}")


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def run_clients(clients: int, seconds: float, tool_port: int, emulator: PlatformEmulator, mint_locally: bool) -> tuple[Tally, float]:
    """Drive flows from `clients` browsers for `seconds` (after a short warm-up)."""
    tally = Tally()
    start_barrier = threading.Barrier(clients + 1)
    window: dict[str, float] = {}

    def browse(index: int) -> None:
        browser = Browser(tool_port, emulator, mint_locally)
        users = [str(1000 + (index + clients * n) % LEARNERS) for n in range(LEARNERS)]
        for user in users[:2]:  # warm-up: connections, the workers' key cache
            try:
                browser.flow(user)
            except Exception:
                pass
        start_barrier.wait()
        turn = 0
        while time.monotonic() < window["end"]:
            user = users[turn % len(users)]
            turn += 1
            started = time.monotonic()
            try:
                browser.flow(user)
            except Exception as exc:  # every failure is counted and shown, never hidden
                with tally.lock:
                    tally.errors.append(f"{type(exc).__name__}: {exc}")
                continue
            finished = time.monotonic()
            if finished <= window["end"]:
                with tally.lock:
                    tally.latencies.append(finished - started)

    threads = [threading.Thread(target=browse, args=(index,), daemon=True) for index in range(clients)]
    for thread in threads:
        thread.start()
    window["end"] = float("inf")
    start_barrier.wait()
    began = time.monotonic()
    window["end"] = began + seconds
    for thread in threads:
        thread.join()
    emulator.clear_requests()
    return tally, seconds


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _processes() -> list[tuple[int, int, str, float]]:
    """(pid, parent pid, name, CPU seconds used) of every process."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue
        name = raw[raw.index("(") + 1 : raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2 :].split()
        found.append((int(entry.name), int(fields[1]), name, (int(fields[11]) + int(fields[12])) / CLOCK_TICKS))
    return found


def cpu_seconds(server_pid: int, with_postgres: bool) -> dict[str, float]:
    """CPU used so far by the tool's workers, this bench (emulator and browsers), and PostgreSQL."""
    processes = _processes()
    tool = sum(cpu for pid, parent, _, cpu in processes if pid == server_pid or parent == server_pid)
    postgres = sum(cpu for _, _, name, cpu in processes if name == "postgres") if with_postgres else float("nan")
    own = os.times()
    return {"tool": tool, "bench": own.user + own.system, "postgres": postgres}


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def bench_database(
    kind: str, clients_list: list[int], seconds: float, workers: int, threads: int, mint_locally: bool
) -> None:
    with tempfile.TemporaryDirectory(prefix="cc-bench-") as workdir, PlatformEmulator() as emulator:
        work = Path(workdir)
        for number in range(LEARNERS):
            emulator.add_member("2", str(1000 + number), ["Learner"], name=f"Learner {number}",
                                email=f"learner{number}@example.com")
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        with scratch_database(kind, work) as url:
            config = {
                "DATABASE_URL": url,
                "INSTANCE_DIR": work / "instance",
                "KEYS_DIR": work / "keys",
                "SECRET_KEY": secrets.token_urlsafe(32),
                "TOOL_BASE_URL": base,
            }
            prepare_tool(config, emulator)
            emulator.register_tool(
                redirect_uris=[base + "/lti/launch"],
                jwks_url=base + "/.well-known/jwks.json",
                initiate_login_url=base + "/lti/login",
                target_link_uri=base + "/lti/launch",
                deep_link_url=base + "/lti/launch",
            )
            with tool_server(config, port, workers, threads) as server:
                for clients in clients_list:
                    before = cpu_seconds(server.pid, kind == "postgresql")
                    tally, window = run_clients(clients, seconds, port, emulator, mint_locally)
                    after = cpu_seconds(server.pid, kind == "postgresql")
                    done = len(tally.latencies)
                    # CPU includes the warm-up flows; a close enough share per flow for seeing what limits the rate.
                    per_flow = {name: (after[name] - before[name]) * 1000 / max(done, 1) for name in after}
                    print(
                        f"{kind:<10} {clients:>7} {done / window:>9.1f} {len(tally.errors):>6} "
                        f"{percentile(tally.latencies, 0.5) * 1000:>8.1f} {percentile(tally.latencies, 0.99) * 1000:>8.1f}"
                        f"   {per_flow['tool']:>5.2f} {per_flow['bench']:>5.2f} {per_flow['postgres']:>5.2f}",
                        flush=True,
                    )
                    for message in sorted(set(tally.errors))[:5]:
                        print(f"{'':<10} error: {message}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--clients", default="1,8,32", help="comma-separated concurrency levels")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured window per level")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker (lti-tool serve's default)")
    parser.add_argument("--mint-locally", action="store_true", help="sign id_tokens in the bench instead of auth.php")
    args = parser.parse_args()
    clients_list = [int(value) for value in args.clients.split(",") if value.strip()]
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    via = "bench-minted id_tokens" if args.mint_locally else "emulator auth.php"
    print(f"full login → auth → launch flows, {args.workers} gunicorn workers x {args.threads} threads, "
          f"{os.cpu_count()} CPUs, {via}, "
          f"{args.seconds:g} s per level")
    print(f"{'':<52}CPU ms per flow")
    print(f"{'database':<10} {'clients':>7} {'flows/s':>9} {'errors':>6} {'p50 ms':>8} {'p99 ms':>8}   {'tool':>5} {'bench':>5} {'pg':>5}")
    for kind in kinds:
        bench_database(kind, clients_list, args.seconds, args.workers, args.threads, args.mint_locally)


if __name__ == "__main__":
    main()
