"""Outgoing HTTP for the platform's services: every call has a timeout, a size cap and an overall deadline."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from typing import Any, Mapping

import requests

from .errors import PermanentLmsError, TransientLmsError

DEFAULT_MAX_RESPONSE_BYTES = 4 * 1024 * 1024
# A platform that trickles bytes slower than the read timeout per chunk could otherwise hold a worker forever.
DEADLINE_FACTOR = 3
EXCERPT_CHARS = 300


@dataclass(frozen=True)
class HttpAnswer:
    """A complete HTTP response of a platform."""

    method: str
    url: str
    status: int
    reason: str
    headers: Mapping[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def excerpt(self) -> str:
        """The start of the body on one line, for error messages."""
        text = " ".join(self.text.split())
        return text[:EXCERPT_CHARS] + ("…" if len(text) > EXCERPT_CHARS else "")

    def json(self, what: str) -> Any:
        """The body as JSON whatever the Content-Type (Moodle's token endpoint says text/html)."""
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise PermanentLmsError(
                f"{what}: the platform's answer is not JSON: {self.excerpt()!r}", status=self.status
            ) from None


class HttpClient:
    """Sends requests with a (connect, read) timeout, an overall deadline and a response size cap."""

    def __init__(self, timeout_seconds: float, *, max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES) -> None:
        if timeout_seconds <= 0:
            raise ValueError("the HTTP timeout must be positive")
        self.timeout = (timeout_seconds, timeout_seconds)
        self.deadline_seconds = timeout_seconds * DEADLINE_FACTOR
        self.max_response_bytes = max_response_bytes

    def send(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        form: Mapping[str, str] | None = None,
        body: bytes | None = None,
    ) -> HttpAnswer:
        """Send one request and read the whole answer; network failures raise TransientLmsError."""
        started = time.monotonic()
        try:
            with _session().request(
                method,
                url,
                headers=dict(headers or {}),
                data=form if form is not None else body,
                timeout=self.timeout,
                stream=True,
                allow_redirects=False,
            ) as response:
                content = self._read(response, started, url)
                return HttpAnswer(
                    method=method,
                    url=url,
                    status=response.status_code,
                    reason=response.reason or "",
                    headers=response.headers,
                    body=content,
                )
        except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
                requests.exceptions.InvalidSchema) as exc:
            raise PermanentLmsError(f"{method} {url}: not a usable URL ({exc})") from None
        except requests.Timeout:
            raise TransientLmsError(
                f"{method} {url}: the platform did not answer within {self.timeout[1]:g} s"
            ) from None
        except requests.ConnectionError as exc:
            raise TransientLmsError(f"{method} {url}: cannot reach the platform ({_reason(exc)})") from None
        except requests.RequestException as exc:
            raise TransientLmsError(f"{method} {url}: {type(exc).__name__}: {exc}") from None

    def _read(self, response: requests.Response, started: float, url: str) -> bytes:
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > self.max_response_bytes:
            raise PermanentLmsError(
                f"{url}: the answer is {declared} bytes, more than the {self.max_response_bytes} accepted"
            )
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_content(chunk_size=64 * 1024):
            size += len(chunk)
            if size > self.max_response_bytes:
                raise PermanentLmsError(f"{url}: the answer exceeds the {self.max_response_bytes} bytes accepted")
            if time.monotonic() - started > self.deadline_seconds:
                raise TransientLmsError(f"{url}: the answer took longer than {self.deadline_seconds:g} s")
            chunks.append(chunk)
        return b"".join(chunks)


def _reason(exc: Exception) -> str:
    text = str(exc)
    for marker in ("Connection refused", "Connection reset", "Remote end closed", "Connection aborted",
                   "Name or service not known", "No route to host"):
        if marker in text:
            return marker.lower()
    return text.splitlines()[0][:200] if text else type(exc).__name__


_local = threading.local()


def _session() -> requests.Session:
    """One connection pool per thread: requests sessions are not safe to share between threads."""
    session = getattr(_local, "session", None)
    if session is None:
        session = requests.Session()
        _local.session = session
    return session
