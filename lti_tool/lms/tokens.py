"""OAuth2 access tokens for the platform's services (client-credentials grant with a JWT client assertion).

Tokens are kept in the `access_tokens` table per (platform, sorted scopes), so every process and machine shares
them until shortly before they expire. The table is read and written in short transactions of their own, so a
token fetched during a job survives whatever happens to the job.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable

import jwt
from sqlalchemy import delete, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..keys import SigningKey
from ..models import AccessToken, utcnow
from .errors import PermanentLmsError, TransientLmsError
from .http import HttpClient

CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_LIFETIME = timedelta(minutes=5)
# A cached token is not handed out in its last minute: a call made with it must still arrive in time.
EXPIRY_MARGIN = timedelta(seconds=60)
DEFAULT_LIFETIME_SECONDS = 3600


def scopes_key(scopes: Iterable[str]) -> str:
    """The cache key of a set of scopes: sorted, space-separated (also what the token request sends)."""
    return " ".join(sorted(set(scopes)))


@dataclass(frozen=True)
class PlatformCredentials:
    """What the tool needs to ask a platform for access tokens."""

    platform_id: int
    client_id: str
    token_url: str
    # The `aud` of the client assertion: the platform's auth_audience, else its token URL.
    audience: str


@dataclass(frozen=True)
class Token:
    """An access token; `granted` is the scope the platform said it granted (None for a cached token)."""

    value: str
    granted: frozenset[str] | None = None


def client_assertion(credentials: PlatformCredentials, key: SigningKey, now: datetime | None = None) -> str:
    """The signed JWT that authenticates the tool at the token endpoint; `kid` is in the header (Moodle
    refuses an assertion without it)."""
    now = now or utcnow()
    issued = int(now.timestamp())
    claims = {
        "iss": credentials.client_id,
        "sub": credentials.client_id,
        "aud": credentials.audience,
        "iat": issued,
        "exp": issued + int(ASSERTION_LIFETIME.total_seconds()),
        "jti": str(uuid.uuid4()),
    }
    return jwt.encode(claims, key.private_key, algorithm="RS256", headers={"kid": key.kid, "typ": "JWT"})


class TokenCache:
    """Access tokens in the database, shared by every process; each read or write is its own transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get(self, platform_id: int, scopes: str, now: datetime | None = None) -> str | None:
        """A cached token for (platform, scopes) that is still good for a while, if any."""
        now = now or utcnow()
        with Session(self.engine) as session, session.begin():
            row = session.scalars(
                select(AccessToken).where(AccessToken.platform_id == platform_id, AccessToken.scopes == scopes)
            ).first()
            if row is None or row.expires_at - EXPIRY_MARGIN <= now:
                return None
            return row.token

    def put(self, platform_id: int, scopes: str, token: str, expires_at: datetime) -> None:
        """Store a fresh token, replacing the previous one (two processes may race: the last one wins)."""
        for _ in range(2):
            with Session(self.engine) as session, session.begin():
                changed = session.execute(
                    update(AccessToken)
                    .where(AccessToken.platform_id == platform_id, AccessToken.scopes == scopes)
                    .values(token=token, expires_at=expires_at)
                ).rowcount
                if changed:
                    return
                try:
                    with session.begin_nested():
                        session.add(
                            AccessToken(platform_id=platform_id, scopes=scopes, token=token, expires_at=expires_at)
                        )
                    return
                except IntegrityError:
                    pass  # another process inserted it meanwhile: update that row on the next pass

    def discard(self, platform_id: int, scopes: str, token: str) -> None:
        """Forget a token the platform refused (only if no other process replaced it already)."""
        with Session(self.engine) as session, session.begin():
            session.execute(
                delete(AccessToken).where(
                    AccessToken.platform_id == platform_id, AccessToken.scopes == scopes, AccessToken.token == token
                )
            )


class TokenSource:
    """Hands out access tokens for one platform: from the cache, else from the platform's token endpoint."""

    def __init__(self, credentials: PlatformCredentials, key: SigningKey, cache: TokenCache, http: HttpClient) -> None:
        self.credentials = credentials
        self.key = key
        self.cache = cache
        self.http = http

    def token(self, scopes: Iterable[str], *, fresh: bool = False) -> Token:
        """A token for `scopes`; `fresh` skips the cache (after the platform refused the cached one)."""
        key = scopes_key(scopes)
        if not fresh:
            cached = self.cache.get(self.credentials.platform_id, key)
            if cached:
                return Token(cached)
        return self._request(key)

    def refused(self, scopes: Iterable[str], token: Token) -> None:
        """The platform answered 401 to `token`: stop handing it out."""
        self.cache.discard(self.credentials.platform_id, scopes_key(scopes), token.value)

    def _request(self, key: str) -> Token:
        what = f"access token from {self.credentials.token_url}"
        # Form-encoded: Moodle's token.php answers 400 invalid_request to a JSON body.
        answer = self.http.send(
            "POST",
            self.credentials.token_url,
            headers={"Accept": "application/json"},
            form={
                "grant_type": "client_credentials",
                "client_assertion_type": CLIENT_ASSERTION_TYPE,
                "client_assertion": client_assertion(self.credentials, self.key),
                "scope": key,
            },
        )
        if answer.status >= 500 or answer.status == 429:
            raise TransientLmsError(f"{what}: the platform answered {answer.status} {answer.reason}",
                                    status=answer.status)
        if answer.status != 200:
            # A refused assertion is a configuration problem (client id, key set URL, kid, scopes) that an
            # administrator fixes on either side; the jobs waiting for it retry until then.
            raise TransientLmsError(
                f"{what}: the platform refused the tool's credentials ({answer.status}): {answer.excerpt()}",
                status=answer.status,
            )
        document = answer.json(what)
        if not isinstance(document, dict) or not isinstance(document.get("access_token"), str):
            raise PermanentLmsError(f"{what}: no access_token in the answer: {answer.excerpt()!r}")
        lifetime = document.get("expires_in", DEFAULT_LIFETIME_SECONDS)
        if not isinstance(lifetime, (int, float)) or lifetime <= 0:
            lifetime = DEFAULT_LIFETIME_SECONDS
        granted = document.get("scope")
        token = Token(document["access_token"], frozenset(granted.split()) if isinstance(granted, str) else None)
        self.cache.put(self.credentials.platform_id, key, token.value, utcnow() + timedelta(seconds=lifetime))
        return token
