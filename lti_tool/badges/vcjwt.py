"""VC-JWT: a credential secured as a JSON Web Token signed RS256 with the tool's key.

The header carries only public facts (`alg`, `typ`, `cty`, `kid` and `jku`, the key set that
resolves `kid`); the payload is the credential itself plus the registered JWT claims that mirror it.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime, timezone
from typing import Any, Mapping

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

ALGORITHM = "RS256"
MEDIA_TYPE = "application/vc+jwt"
HEADER_MEMBERS = frozenset({"alg", "typ", "cty", "kid", "jku"})
# JWK members that belong only to a private RSA key; none may ever appear in a header or a key set.
PRIVATE_JWK_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})


class TokenProblem(ValueError):
    """A token that cannot be read or whose signature does not hold, with the reason in words."""


def _epoch(timestamp: str | None) -> int | None:
    if not timestamp:
        return None
    return int(parse_timestamp(timestamp).timestamp())


def parse_timestamp(text: str) -> datetime:
    """Read an XML Schema dateTime as used in credentials (`2025-06-10T00:00:00Z`), timezone-aware."""
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (TypeError, ValueError, AttributeError):
        raise ValueError(f"{text!r} is not a date-time like 2025-06-10T00:00:00Z") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value


def format_timestamp(moment: datetime) -> str:
    """A timezone-aware moment as `2025-06-10T00:00:00Z` (UTC, whole seconds)."""
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def registered_claims(credential: Mapping[str, Any]) -> dict:
    """The JWT claims that mirror a credential: iss, jti, sub, nbf, exp."""
    issuer = credential.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, Mapping) else issuer
    subject = credential.get("credentialSubject")
    subject_id = subject.get("id") if isinstance(subject, Mapping) else None
    claims = {
        "iss": issuer_id,
        "jti": credential.get("id"),
        "sub": subject_id,
        "nbf": _epoch(credential.get("validFrom")),
        "exp": _epoch(credential.get("validUntil")),
    }
    return {name: value for name, value in claims.items() if value is not None}


def sign(credential: Mapping[str, Any], *, kid: str, private_key: rsa.RSAPrivateKey, jwks_url: str,
         issued_at: datetime) -> str:
    """Secure `credential` as a VC-JWT signed with `private_key`, naming the key by `kid` in `jwks_url`."""
    payload = {**credential, **registered_claims(credential), "iat": int(issued_at.timestamp())}
    headers = {"kid": kid, "jku": jwks_url, "typ": "vc+jwt", "cty": "vc"}
    return jwt.encode(payload, private_key, algorithm=ALGORITHM, headers=headers)


def _b64_json(segment: str, what: str) -> dict:
    try:
        padded = segment + "=" * (-len(segment) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, UnicodeError):
        raise TokenProblem(f"the token's {what} is not base64url-encoded JSON") from None
    if not isinstance(value, dict):
        raise TokenProblem(f"the token's {what} is not a JSON object")
    return value


def read_unverified(token: str) -> tuple[dict, dict]:
    """The header and payload of a compact JWS, without checking the signature."""
    if not isinstance(token, str):
        raise TokenProblem("the token is not text")
    parts = token.strip().split(".")
    if len(parts) != 3 or not all(parts):
        raise TokenProblem("the token is not a compact JWS (three dot-separated parts)")
    return _b64_json(parts[0], "header"), _b64_json(parts[1], "payload")


def find_key(jwks: Mapping[str, Any], kid: str | None) -> dict:
    """The public JWK named `kid` in a key set; TokenProblem naming what is missing otherwise."""
    keys = jwks.get("keys") if isinstance(jwks, Mapping) else None
    if not isinstance(keys, list):
        raise TokenProblem("the key set has no `keys` list")
    if not kid:
        raise TokenProblem("the token's header names no key (`kid`)")
    for key in keys:
        if isinstance(key, Mapping) and key.get("kid") == kid:
            if PRIVATE_JWK_MEMBERS & set(key):
                raise TokenProblem(f"the key set publishes private members of key {kid}; refusing it")
            return dict(key)
    raise TokenProblem(f"the key {kid} is not in the key set")


def verify_signature(token: str, jwks: Mapping[str, Any]) -> tuple[dict, dict]:
    """Check the RS256 signature of `token` with the key its header names; return (header, payload)."""
    header, _ = read_unverified(token)
    if header.get("alg") != ALGORITHM:
        raise TokenProblem(f"the token is signed with {header.get('alg')!r}; only {ALGORITHM} is accepted")
    extra = set(header) - HEADER_MEMBERS
    if extra:
        raise TokenProblem(f"the token's header has unexpected members: {', '.join(sorted(extra))}")
    jwk = find_key(jwks, header.get("kid"))
    try:
        public_key = jwt.PyJWK(jwk, algorithm=ALGORITHM).key
        payload_bytes = jwt.api_jws.PyJWS().decode_complete(token.strip(), public_key, algorithms=[ALGORITHM])[
            "payload"
        ]
    except jwt.InvalidSignatureError:
        raise TokenProblem("the signature does not match the credential: it was altered or signed by another key") from None
    except (jwt.PyJWKError, jwt.InvalidTokenError) as exc:
        raise TokenProblem(f"the token cannot be checked: {exc}") from None
    payload = json.loads(payload_bytes)
    if not isinstance(payload, dict):
        raise TokenProblem("the token's payload is not a JSON object")
    return header, payload


def credential_from_payload(payload: Mapping[str, Any]) -> dict:
    """The credential inside a VC-JWT payload (the payload without the registered JWT claims)."""
    return {name: value for name, value in payload.items() if name not in {"iss", "jti", "sub", "nbf", "exp", "iat"}}
