"""Fetching platform keys: timeouts, size cap, caching, failure cooldown."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from lti_tool.lti.errors import LtiRefusal
from lti_tool.lti.http import FetchError, request_json
from lti_tool.lti.jwks import PlatformKeyCache, parse_key_set
from tests.emulator import SigningKey


class ScriptedServer:
    """A loopback HTTP server answering GET / with whatever the test sets in `answer`."""

    def __init__(self) -> None:
        self.answer = lambda handler: handler.send_error(404)
        self.hits = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server naming)
                server.hits += 1
                server.answer(self)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def serve_json(self, document) -> None:
        body = json.dumps(document).encode()

        def answer(handler):
            handler.send_response(200)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)

        self.answer = answer

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    scripted = ScriptedServer()
    yield scripted
    scripted.close()


@pytest.fixture(scope="module")
def platform_key() -> SigningKey:
    return SigningKey.generate()


def test_a_server_that_drips_bytes_runs_into_the_deadline(server):
    def drip(handler):
        handler.send_response(200)
        handler.end_headers()
        try:
            for _ in range(100):
                handler.wfile.write(b" ")
                handler.wfile.flush()
                time.sleep(0.1)
        except OSError:
            pass

    server.answer = drip
    started = time.monotonic()
    with pytest.raises(FetchError):
        request_json("GET", server.url, timeout=0.3, max_bytes=1000)
    assert time.monotonic() - started < 2


def test_an_oversized_answer_is_refused(server):
    server.serve_json({"keys": [], "padding": "x" * 5000})
    with pytest.raises(FetchError, match="more than"):
        request_json("GET", server.url, timeout=2, max_bytes=1000)


def test_a_closed_port_is_a_fetch_error():
    with pytest.raises(FetchError):
        request_json("GET", "http://127.0.0.1:9/", timeout=0.5, max_bytes=1000)


def test_only_rs256_signature_keys_of_2048_bits_or_more_are_kept(platform_key):
    good = dict(platform_key.public_jwk)
    keys = parse_key_set(
        {
            "keys": [
                good,
                dict(good, kid="enc", use="enc"),
                dict(good, kid="ps", alg="PS256"),
                {"kty": "EC", "kid": "ec", "crv": "P-256", "x": "x", "y": "y"},
                dict(good, kid="short", n="AQAB"),
                dict(good, kid=None),
            ]
        }
    )
    assert list(keys) == [platform_key.kid]


def test_keys_are_cached_and_a_new_kid_refetches_once(server, platform_key):
    server.serve_json({"keys": [platform_key.public_jwk]})
    cache = PlatformKeyCache(ttl=300, refetch_cooldown=0)
    for _ in range(3):
        cache.key_for(server.url, platform_key.kid, timeout=1)
    assert server.hits == 1
    with pytest.raises(LtiRefusal) as refused:
        cache.key_for(server.url, "rotated", timeout=1)
    assert refused.value.code == "unknown_kid" and server.hits == 2


def test_a_failing_platform_is_not_asked_again_during_the_failure_cooldown(server):
    server.answer = lambda handler: handler.send_error(500)
    cache = PlatformKeyCache(failure_cooldown=60)
    for _ in range(3):
        with pytest.raises(LtiRefusal) as refused:
            cache.key_for(server.url, "any", timeout=1)
        assert refused.value.code == "jwks_unavailable"
    assert server.hits == 1


def test_stale_keys_keep_serving_while_the_platform_is_down(server, platform_key):
    server.serve_json({"keys": [platform_key.public_jwk]})
    cache = PlatformKeyCache(ttl=0, failure_cooldown=60)
    assert cache.key_for(server.url, platform_key.kid, timeout=1) is not None
    server.answer = lambda handler: handler.send_error(503)
    assert cache.key_for(server.url, platform_key.kid, timeout=1) is not None


def test_a_key_set_that_is_not_json_is_unavailable(server):
    def garbage(handler):
        handler.send_response(200)
        handler.end_headers()
        handler.wfile.write(b"<html>maintenance</html>")

    server.answer = garbage
    with pytest.raises(LtiRefusal) as refused:
        PlatformKeyCache().key_for(server.url, "any", timeout=1)
    assert refused.value.code == "jwks_unavailable"
