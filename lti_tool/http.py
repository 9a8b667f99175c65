"""Outgoing HTTP to platforms, in one place: every call has connect and read timeouts, an overall deadline
and a response size cap, and follows no redirect unless asked.

A platform that hangs, drips bytes or answers with a huge body costs a worker at most the deadline. The LTI
code (key sets, dynamic registration) and the LMS service clients (tokens, AGS, NRPS) both send through here
and turn `HttpFailure` into their own errors.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, Mapping

import requests
import urllib3

USER_AGENT = "CivicCredentials-LTI/1.0"
MAX_REDIRECTS = 3
READ_SIZE = 64 * 1024


class HttpFailure(Exception):
    """No usable answer: `kind` is "unreachable", "timeout", "too_large" or "bad_url"."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class HttpAnswer:
    """A complete HTTP response."""

    method: str
    url: str
    status: int
    reason: str
    headers: Mapping[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


_local = threading.local()


def _session() -> requests.Session:
    """One connection pool per thread: requests sessions are not safe to share between threads."""
    session = getattr(_local, "session", None)
    if session is None:
        session = requests.Session()
        session.max_redirects = MAX_REDIRECTS
        _local.session = session
    return session


def _reason(exc: Exception) -> str:
    text = str(exc)
    for marker in ("Connection refused", "Connection reset", "Remote end closed", "Connection aborted",
                   "Name or service not known", "No route to host"):
        if marker in text:
            return marker.lower()
    return text.splitlines()[0][:200] if text else type(exc).__name__


def send(
    method: str,
    url: str,
    *,
    timeout: float,
    deadline: float,
    max_bytes: int,
    headers: Mapping[str, str] | None = None,
    data: Any = None,
    json_body: Any = None,
    allow_redirects: bool = False,
) -> HttpAnswer:
    """Send one request and read the whole answer: `timeout` seconds to connect and between bytes, `deadline`
    seconds in all, at most `max_bytes` of body. Raises HttpFailure; any HTTP status is returned."""
    started = time.monotonic()
    all_headers = {"User-Agent": USER_AGENT}
    all_headers.update(headers or {})
    try:
        response = _session().request(
            method, url, headers=all_headers, data=data, json=json_body, timeout=(timeout, timeout),
            stream=True, allow_redirects=allow_redirects,
        )
    except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
            requests.exceptions.InvalidSchema) as exc:
        raise HttpFailure("bad_url", f"{method} {url}: not a usable URL ({exc})") from None
    except requests.Timeout:
        raise HttpFailure("timeout", f"{method} {url}: the platform did not answer within {timeout:g} s") from None
    except requests.RequestException as exc:
        raise HttpFailure("unreachable", f"{method} {url}: cannot reach the platform ({_reason(exc)})") from None
    with response:
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > max_bytes:
            raise HttpFailure("too_large", f"{url}: the answer is {declared} bytes, more than the {max_bytes} accepted")
        body = bytearray()
        try:
            # read1 returns what has arrived instead of waiting for a full chunk, so a platform that drips
            # bytes runs into the deadline rather than into one read timeout per chunk.
            while chunk := response.raw.read1(READ_SIZE, decode_content=True):
                body.extend(chunk)
                if len(body) > max_bytes:
                    raise HttpFailure("too_large", f"{url}: the answer exceeds the {max_bytes} bytes accepted")
                if time.monotonic() - started > deadline:
                    raise HttpFailure("timeout", f"{url}: the answer took longer than {deadline:g} s")
        except (requests.RequestException, OSError, urllib3.exceptions.HTTPError) as exc:
            kind = "timeout" if "timed out" in str(exc).lower() else "unreachable"
            raise HttpFailure(kind, f"{url}: the platform stopped answering ({_reason(exc)})") from None
        return HttpAnswer(method=method, url=url, status=response.status_code, reason=response.reason or "",
                          headers=response.headers, body=bytes(body))
