"""Authorised calls to one platform's services, with failures sorted into transient and permanent."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from html import unescape
from pathlib import Path
from typing import Any, Iterable, Iterator

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ..keys import SigningKey, signing_key
from ..models import Platform
from .errors import LmsError, PermanentLmsError, TransientLmsError
from .http import DEFAULT_MAX_RESPONSE_BYTES, HttpAnswer, HttpClient
from .tokens import PlatformCredentials, Token, TokenCache, TokenSource

# A paged listing longer than this is a platform bug (a "next" link that never ends), not data.
MAX_PAGES = 1000
# Moodle writes Link headers with HTML-escaped URLs and typographic quotes (rel=“next”, sent as UTF-8 bytes
# that arrive decoded as Latin-1): the relation is read as the first word after "rel=", whatever quotes it.
LINK_ENTRY = re.compile(r"<([^>]*)>\s*;\s*rel\s*=\s*[^A-Za-z<]*([A-Za-z][A-Za-z .-]*)")


@dataclass(frozen=True)
class ServiceCall:
    """A request to a service endpoint: what it is for (in error messages), the scopes its token is asked
    for, and the scopes of which the endpoint needs one."""

    what: str
    scopes: frozenset[str]
    needs: frozenset[str]
    method: str
    url: str
    accept: str | None = None
    content_type: str | None = None
    document: Any = None


class ServiceClient:
    """Calls one platform's AGS and NRPS endpoints with a bearer token, refreshing it once on 401."""

    def __init__(self, tokens: TokenSource, http: HttpClient) -> None:
        self.tokens = tokens
        self.http = http

    @classmethod
    def for_platform(
        cls,
        session: Session,
        platform: Platform,
        *,
        keys_dir: Path,
        timeout_seconds: float,
        engine: Engine | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> "ServiceClient":
        """A client for `platform` signing with the tool's current key; tokens are cached in the database."""
        key: SigningKey = signing_key(session, keys_dir)
        credentials = PlatformCredentials(
            platform_id=platform.id,
            client_id=platform.client_id,
            token_url=platform.auth_token_url,
            audience=platform.auth_audience or platform.auth_token_url,
        )
        http = HttpClient(timeout_seconds, max_response_bytes=max_response_bytes)
        cache = TokenCache(engine if engine is not None else session.get_bind())
        return cls(TokenSource(credentials, key, cache, http), http)

    def call(self, call: ServiceCall, *, accept_statuses: Iterable[int] = ()) -> HttpAnswer:
        """Send `call`; a 2xx answer (or one in `accept_statuses`) is returned, anything else raises LmsError."""
        token = self.tokens.token(call.scopes)
        answer = self._send(call, token)
        if answer.status == 401:
            self.tokens.refused(call.scopes, token)
            token = self.tokens.token(call.scopes, fresh=True)
            answer = self._send(call, token)
            if answer.status == 401:
                raise _unauthorised(call, token)
        if 200 <= answer.status < 300 or answer.status in set(accept_statuses):
            return answer
        raise failure(call.what, answer)

    def pages(self, call: ServiceCall) -> Iterator[HttpAnswer]:
        """`call` and then every page its Link rel="next" headers lead to."""
        seen = {call.url}
        for _ in range(MAX_PAGES):
            answer = self.call(call)
            yield answer
            following = next_link(answer.headers.get("Link"))
            if not following or following in seen:
                return
            seen.add(following)
            call = replace(call, url=following)
        raise PermanentLmsError(f"{call.what}: more than {MAX_PAGES} pages; the platform's paging never ends")

    def _send(self, call: ServiceCall, token: Token) -> HttpAnswer:
        headers = {"Authorization": f"Bearer {token.value}"}
        if call.accept:
            headers["Accept"] = call.accept
        body = None
        if call.document is not None:
            headers["Content-Type"] = call.content_type or "application/json"
            body = json.dumps(call.document).encode("utf-8")
        return self.http.send(call.method, call.url, headers=headers, body=body)


def failure(what: str, answer: HttpAnswer) -> LmsError:
    """The error for a non-success answer: 5xx, 408 and 429 are worth retrying, other 4xx are not."""
    detail = f"{what}: the platform answered {answer.status} {answer.reason}".rstrip()
    if not _says_only_the_reason(answer):
        detail += f": {answer.excerpt()}"
    if answer.status >= 500 or answer.status in (408, 429):
        return TransientLmsError(detail, status=answer.status, retry_after=_retry_after(answer))
    if answer.status == 400 and "Incorrect score received" in answer.reason:
        detail += " (Moodle says this when the user is not enrolled as a learner in the course)"
    return PermanentLmsError(detail, status=answer.status)


def _says_only_the_reason(answer: HttpAnswer) -> bool:
    """Whether the body adds nothing to the status line (empty, or Moodle's JSON error document)."""
    excerpt = answer.excerpt()
    if excerpt in ("", "[]", "{}") or excerpt in answer.reason:
        return True
    try:
        document = json.loads(answer.body)
    except ValueError:
        return False
    return isinstance(document, dict) and str(document.get("reason", "")) in answer.reason


def _unauthorised(call: ServiceCall, token: Token) -> LmsError:
    if token.granted is not None and not (call.needs & token.granted):
        needed = " or ".join(sorted(call.needs))
        return PermanentLmsError(
            f"{call.what}: the platform does not grant the tool the scope it needs ({needed}); "
            "enable the service in the tool's configuration on the platform",
            status=401,
        )
    return TransientLmsError(f"{call.what}: the platform refused a fresh access token (401)", status=401)


def _retry_after(answer: HttpAnswer) -> float | None:
    value = (answer.headers.get("Retry-After") or "").strip()
    return float(value) if value.isdigit() else None


def next_link(header: str | None) -> str | None:
    """The rel="next" URL of a Link header, also in Moodle's spelling (&amp; in URLs, “typographic” quotes)."""
    if not header:
        return None
    try:
        header = header.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        pass
    for url, rel in LINK_ENTRY.findall(header):
        if "next" in rel.strip().lower().split():
            return unescape(url.strip())
    return None
