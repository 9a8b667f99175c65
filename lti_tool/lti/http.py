"""Outgoing HTTP to platforms: every call has connect and read timeouts, an overall deadline and a size cap.

A platform that hangs, drips bytes or answers with a huge body costs a worker at most the deadline.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import requests
import urllib3

USER_AGENT = "CivicCredentials-LTI/1.0"
MAX_REDIRECTS = 3


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
    deadline = time.monotonic() + 2 * timeout
    all_headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
    all_headers.update(headers or {})
    with requests.Session() as session:
        session.max_redirects = MAX_REDIRECTS
        try:
            response = session.request(
                method,
                url,
                headers=all_headers,
                json=json_body,
                timeout=(timeout, timeout),
                stream=True,
                allow_redirects=method == "GET",
            )
        except requests.RequestException as exc:
            raise FetchError(f"{url} could not be reached ({type(exc).__name__})") from None
        with response:
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise FetchError(f"{url} answered {declared} bytes, more than the {max_bytes} allowed")
            body = bytearray()
            try:
                # read1 returns what has arrived instead of waiting for a full chunk, so a platform that
                # drips bytes runs into the deadline rather than into one read timeout per chunk.
                while chunk := response.raw.read1(16384, decode_content=True):
                    body.extend(chunk)
                    if len(body) > max_bytes:
                        raise FetchError(f"{url} answered more than the {max_bytes} bytes allowed")
                    if time.monotonic() > deadline:
                        raise FetchError(f"{url} took longer than {2 * timeout:g} s to answer")
            except (requests.RequestException, OSError, urllib3.exceptions.HTTPError) as exc:
                raise FetchError(f"{url} stopped answering ({type(exc).__name__})") from None
    text = body.decode("utf-8", errors="replace")
    try:
        parsed = json.loads(text) if text.strip() else None
    except ValueError:
        if 200 <= response.status_code < 300:
            raise FetchError(f"{url} did not answer JSON (HTTP {response.status_code})") from None
        parsed = None
    return FetchedJson(status=response.status_code, body=parsed, text=text)
