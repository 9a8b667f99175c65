"""The LMS service clients' HTTP: lti_tool.http with the answers and failures they classify.

Network failures are transient (the outbox retries them); a bad URL or an oversized answer is permanent.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from typing import Any, Mapping

from .. import http
from .errors import PermanentLmsError, TransientLmsError

DEFAULT_MAX_RESPONSE_BYTES = 4 * 1024 * 1024
# A platform that trickles bytes could otherwise hold a worker for one read timeout per chunk.
DEADLINE_FACTOR = 3
EXCERPT_CHARS = 300


@dataclass(frozen=True)
class HttpAnswer(http.HttpAnswer):
    """A complete HTTP response of a platform, read the way the service clients need it."""

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
    """Sends requests with a timeout to connect and between bytes, an overall deadline and a response size cap."""

    def __init__(self, timeout_seconds: float, *, max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES) -> None:
        if timeout_seconds <= 0:
            raise ValueError("the HTTP timeout must be positive")
        self.timeout_seconds = timeout_seconds
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
        try:
            answer = http.send(
                method, url, timeout=self.timeout_seconds, deadline=self.deadline_seconds,
                max_bytes=self.max_response_bytes, headers=headers, data=form if form is not None else body,
            )
        except http.HttpFailure as exc:
            if exc.kind in ("bad_url", "too_large"):
                raise PermanentLmsError(str(exc)) from None
            raise TransientLmsError(str(exc)) from None
        return HttpAnswer(**{field.name: getattr(answer, field.name) for field in fields(answer)})
