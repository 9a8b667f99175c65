"""JSON from platforms for the LTI endpoints (key sets, dynamic registration), through lti_tool.http."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .. import http


class FetchError(Exception):
    """The platform could not be reached, timed out, or answered something unreadable."""


@dataclass(frozen=True)
class FetchedJson:
    status: int
    body: Any
    text: str


def request_json(
    method: str,
    url: str,
    *,
    timeout: float,
    max_bytes: int,
    headers: dict[str, str] | None = None,
    json_body: Any = None,
) -> FetchedJson:
    """Send one request and read a JSON answer within `timeout` seconds to connect and 2 x `timeout` overall.

    Raises FetchError when the platform is unreachable, too slow, too large, or its body is not JSON;
    a non-2xx status with a readable body is returned for the caller to judge.
    """
    try:
        answer = http.send(
            method, url, timeout=timeout, deadline=2 * timeout, max_bytes=max_bytes,
            headers={"Accept": "application/json", **(headers or {})}, json_body=json_body,
            allow_redirects=method == "GET",
        )
    except http.HttpFailure as exc:
        raise FetchError(str(exc)) from None
    text = answer.text
    try:
        parsed = json.loads(text) if text.strip() else None
    except ValueError:
        if 200 <= answer.status < 300:
            raise FetchError(f"{url} did not answer JSON (HTTP {answer.status})") from None
        parsed = None
    return FetchedJson(status=answer.status, body=parsed, text=text)
