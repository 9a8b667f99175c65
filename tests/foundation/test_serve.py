"""`lti-tool serve` (gunicorn) answers the health check and publishes a key set that verifies
signatures made with the private keys in KEYS_DIR: what `make run` starts."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import jwt
import requests
from cryptography.hazmat.primitives import serialization


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tool(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "from lti_tool.cli import run; run()", *args],
        env=env, capture_output=True, text=True, timeout=120, check=True,
    )


def test_served_tool_is_healthy_and_its_jwks_verifies_keys_dir_signatures(tmp_path):
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'served.db'}",
        INSTANCE_DIR=str(tmp_path / "instance"),
        KEYS_DIR=str(tmp_path / "keys"),
    )
    env.pop("SECRET_KEY", None)
    _tool(env, "db", "upgrade")
    _tool(env, "keys", "generate", "--if-missing")
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", "from lti_tool.cli import run; run()", "serve", "--port", str(port), "--workers", "2"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                health = requests.get(f"{base}/healthz", timeout=2)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "the server did not start"
                assert server.poll() is None, server.stderr.read().decode()
                time.sleep(0.2)
        assert health.status_code == 200
        published = requests.get(f"{base}/.well-known/jwks.json", timeout=5).json()["keys"]
        assert len(published) == 1
        pem_files = list(Path(tmp_path / "keys").glob("*.pem"))
        assert [p.stem for p in pem_files] == [published[0]["kid"]]
        private_key = serialization.load_pem_private_key(pem_files[0].read_bytes(), password=None)
        token = jwt.encode({"iss": "tool"}, private_key, algorithm="RS256", headers={"kid": published[0]["kid"]})
        assert jwt.decode(token, jwt.PyJWK(published[0]).key, algorithms=["RS256"]) == {"iss": "tool"}
        assert (tmp_path / "instance" / "secret_key").exists()
        # On SQLite the outbox runs inside the server: one worker process holds its lock file.
        assert (tmp_path / "instance" / "outbox-worker.lock").exists()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
