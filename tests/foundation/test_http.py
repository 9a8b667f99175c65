"""Outgoing HTTP: a platform that drips its answer or sends too much cannot hold a worker."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from lti_tool import http


def _serve_once(answer) -> tuple[str, threading.Event]:
    """A loopback server that runs `answer(connection)` for one request; returns its URL."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    done = threading.Event()

    def run() -> None:
        connection, _ = listener.accept()
        with connection, listener:
            connection.recv(65536)
            try:
                answer(connection)
            except OSError:
                pass
            done.set()

    threading.Thread(target=run, daemon=True).start()
    return f"http://127.0.0.1:{listener.getsockname()[1]}/slow", done


def test_an_answer_dripping_a_byte_at_a_time_ends_at_the_deadline():
    def drip(connection) -> None:
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n")
        for _ in range(100):  # each byte well inside the read timeout, the whole far beyond the deadline
            connection.sendall(b" ")
            time.sleep(0.1)

    url, _ = _serve_once(drip)
    started = time.monotonic()
    with pytest.raises(http.HttpFailure) as failure:
        http.send("GET", url, timeout=0.5, deadline=1.0, max_bytes=10_000)
    assert failure.value.kind == "timeout"
    assert time.monotonic() - started < 3


def test_an_oversized_answer_is_refused_before_it_is_all_read():
    def flood(connection) -> None:
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n")
        for _ in range(100):
            connection.sendall(b"x" * 65536)

    url, _ = _serve_once(flood)
    with pytest.raises(http.HttpFailure) as failure:
        http.send("GET", url, timeout=2, deadline=5, max_bytes=100_000)
    assert failure.value.kind == "too_large"


def test_a_refused_connection_is_reported_as_unreachable():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(http.HttpFailure) as failure:
        http.send("GET", f"http://127.0.0.1:{port}/", timeout=1, deadline=2, max_bytes=1000)
    assert failure.value.kind == "unreachable" and "connection refused" in str(failure.value)
