"""The checks every launch id_token passes, as the 1EdTech security framework requires.

pylti1p3 2.0.0 validates launches but leaves gaps this module closes:

- it takes `alg` from the token header and verifies with whatever algorithm the matching JWK claims; here the
  only algorithm is RS256, and `jku`, `x5u`, `jwk`, `x5c` and `crit` headers are refused outright, so a key
  is only ever one the registration's own keyset URL published, chosen by `kid`;
- it does not check `iss` against the registration exactly, lets `aud` carry other audiences and never looks
  at `azp`; here `aud` must contain our client id and nothing else, and a list `aud` needs `azp` = client id;
- `exp` and `iat` are optional to it; here both are required, with a leeway of about a minute;
- its nonce and state checks rely on the Flask cookie session of one browser; here nonces are single-use
  database rows shared by every worker and the state is bound to the browser (see `lti/launch.py`);
- it fetches keys without a timeout or cache bound (see `lti/jwks.py`).

The signature is checked directly with `cryptography` (RSASSA-PKCS1-v1_5 over SHA-256) on the token as
received, after a strict base64url check of each part: the token is parsed once, and the launch path does not
pay for a general-purpose JWT library's per-character re-validation.

pylti1p3's own message validators still run last, as a second opinion on the message's required claims.
Each failure raises `LtiRefusal` with a stable code (see `lti/errors.py`).
"""

from __future__ import annotations

import base64
import json
import math
import re
import time
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.hashes import SHA256
from pylti1p3.exception import LtiException
from pylti1p3.message_validators import get_validators

from . import claims as c
from .errors import LtiRefusal

ALGORITHM = "RS256"
# Header members that would let the token choose its own verification key.
FORBIDDEN_HEADERS = ("jku", "x5u", "jwk", "x5c", "crit")
DEFAULT_LEEWAY_SECONDS = 60
DEFAULT_MAX_TOKEN_BYTES = 64 * 1024


@dataclass(frozen=True)
class UnverifiedToken:
    """A compact JWT split into its parts; nothing in it is trusted yet."""

    raw: str
    header: dict[str, Any]
    payload: dict[str, Any]


BASE64URL = re.compile(r"^[A-Za-z0-9_-]*$")


def _b64url_bytes(part: str) -> bytes:
    if not BASE64URL.match(part) or len(part) % 4 == 1:
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _b64url_json(part: str) -> Any:
    return json.loads(_b64url_bytes(part))


def parse_id_token(raw: str, *, max_bytes: int = DEFAULT_MAX_TOKEN_BYTES) -> UnverifiedToken:
    """Split a compact JWT, refusing oversized or malformed ones."""
    if len(raw) > max_bytes:
        raise LtiRefusal("token_too_large", f"the id_token has {len(raw)} bytes; at most {max_bytes} are accepted")
    parts = raw.split(".")
    if len(parts) != 3 or not all(parts[:2]):
        raise LtiRefusal("malformed_jwt", "a JWT has three dot-separated parts")
    try:
        header = _b64url_json(parts[0])
        payload = _b64url_json(parts[1])
    except (ValueError, RecursionError):
        raise LtiRefusal("malformed_jwt", "the JWT header or payload is not base64url-encoded JSON") from None
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise LtiRefusal("malformed_jwt", "the JWT header and payload must be JSON objects")
    return UnverifiedToken(raw, header, payload)


def check_header(header: dict[str, Any]) -> str:
    """Refuse any algorithm but RS256 and any header that names a key; return the key id."""
    alg = header.get("alg")
    if alg != ALGORITHM:
        raise LtiRefusal("unsupported_alg", f"the token is signed with {alg!r}; only {ALGORITHM} is accepted")
    for name in FORBIDDEN_HEADERS:
        if name in header:
            raise LtiRefusal(
                "forbidden_header",
                f"the token header carries {name!r}; keys come only from the registration's key set",
            )
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise LtiRefusal("missing_kid", "the token header has no kid to choose the platform key")
    return kid


def verify_signature(
    token: UnverifiedToken, public_key: rsa.RSAPublicKey, *, leeway: int, now: float | None = None
) -> dict[str, Any]:
    """Check the RS256 signature, then the exp and iat times; return the verified claims."""
    signing_input, _, encoded_signature = token.raw.rpartition(".")
    try:
        public_key.verify(_b64url_bytes(encoded_signature), signing_input.encode("ascii"), PKCS1v15(), SHA256())
    except (InvalidSignature, ValueError):
        raise LtiRefusal("bad_signature", "the signature does not match the platform's key") from None
    claims = token.payload
    moment = time.time() if now is None else now
    for name in ("exp", "iat"):
        if name not in claims:
            raise LtiRefusal(f"missing_{name}", f"the token has no {name} claim")
        if not _is_number(claims[name]):
            raise LtiRefusal("bad_time_claim", f"the token's {name} is not a number of seconds")
    if claims["exp"] <= moment - leeway:
        raise LtiRefusal("expired_token", "the token's exp is in the past")
    if claims["iat"] > moment + leeway:
        raise LtiRefusal("iat_in_future", f"the token's iat is more than {leeway} s ahead")
    not_before = claims.get("nbf")
    if not_before is not None and (not _is_number(not_before) or not_before > moment + leeway):
        raise LtiRefusal("invalid_token", "the token is not valid yet (nbf)")
    return claims


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and math.isfinite(value))


def check_issuer_and_audience(claims: dict[str, Any], *, issuer: str, client_id: str) -> None:
    """`iss` equals the registration's issuer; `aud` is our client id alone; `azp` names our client."""
    if claims.get("iss") != issuer:
        raise LtiRefusal("wrong_issuer", f"the token's iss is {claims.get('iss')!r}, the registration's is {issuer!r}")
    audience = claims.get("aud")
    is_list = isinstance(audience, list)
    audiences = audience if is_list else [audience]
    if not audiences or not all(isinstance(value, str) for value in audiences):
        raise LtiRefusal("wrong_audience", "the token's aud must be a string or a list of strings")
    if client_id not in audiences:
        raise LtiRefusal("wrong_audience", f"the token's aud does not name this tool's client id {client_id!r}")
    others = [value for value in audiences if value != client_id]
    if others:
        raise LtiRefusal("untrusted_audience", f"the token's aud also names {', '.join(map(repr, others))}")
    azp = claims.get("azp")
    if is_list and azp is None:
        raise LtiRefusal("missing_azp", "a token whose aud is a list must name the authorized party in azp")
    if azp is not None and azp != client_id:
        raise LtiRefusal("wrong_azp", f"the token's azp is {azp!r}, not this tool's client id")


MAX_ID_LENGTH = 255


def _non_empty_string(value: Any) -> bool:
    return isinstance(value, str) and value != ""


def _check_identifier_lengths(claims: dict[str, Any]) -> None:
    identifiers = {
        "nonce": claims.get("nonce"),
        "sub": claims.get("sub"),
        "deployment_id": claims.get(c.DEPLOYMENT_ID),
        "context id": (claims.get(c.CONTEXT) or {}).get("id") if isinstance(claims.get(c.CONTEXT), dict) else None,
        "resource link id": (
            (claims.get(c.RESOURCE_LINK) or {}).get("id") if isinstance(claims.get(c.RESOURCE_LINK), dict) else None
        ),
    }
    for name, value in identifiers.items():
        if isinstance(value, str) and len(value) > MAX_ID_LENGTH:
            raise LtiRefusal("invalid_message", f"the {name} is longer than {MAX_ID_LENGTH} characters")


def check_lti_message(claims: dict[str, Any], *, target_link_uri: str | None = None) -> str:
    """Check the LTI claims of the message; return its message type."""
    if not _non_empty_string(claims.get("nonce")):
        raise LtiRefusal("missing_nonce", "the token has no nonce")
    if not _non_empty_string(claims.get("sub")):
        raise LtiRefusal("missing_sub", "the token names no user in sub (anonymous launches are not supported)")
    if c.VERSION not in claims:
        raise LtiRefusal("missing_version", "the token has no LTI version claim")
    if claims[c.VERSION] != c.LTI_VERSION:
        raise LtiRefusal("wrong_version", f"the LTI version is {claims[c.VERSION]!r}, not {c.LTI_VERSION}")
    message_type = claims.get(c.MESSAGE_TYPE)
    if not _non_empty_string(message_type):
        raise LtiRefusal("missing_message_type", "the token has no message_type claim")
    if message_type not in c.SUPPORTED_MESSAGE_TYPES:
        supported = ", ".join(sorted(c.SUPPORTED_MESSAGE_TYPES))
        raise LtiRefusal("unsupported_message_type", f"{message_type!r} is not handled; the tool handles {supported}")
    if not _non_empty_string(claims.get(c.DEPLOYMENT_ID)):
        raise LtiRefusal("missing_deployment_id", "the token has no deployment_id claim")
    if c.ROLES not in claims:
        raise LtiRefusal("missing_roles", "the token has no roles claim (an empty list is fine)")
    if not isinstance(claims[c.ROLES], list):
        raise LtiRefusal("invalid_message", "the roles claim must be a list")
    context = claims.get(c.CONTEXT)
    if context is not None and not (isinstance(context, dict) and _non_empty_string(context.get("id"))):
        raise LtiRefusal("invalid_message", "the context claim has no id")
    if message_type in (c.RESOURCE_LINK_REQUEST, c.SUBMISSION_REVIEW_REQUEST):
        link = claims.get(c.RESOURCE_LINK)
        if not (isinstance(link, dict) and _non_empty_string(link.get("id"))):
            raise LtiRefusal("missing_resource_link_id", "the resource_link claim has no id")
    if message_type == c.DEEP_LINKING_REQUEST:
        settings = claims.get(c.DEEP_LINKING_SETTINGS)
        if not (isinstance(settings, dict) and _non_empty_string(settings.get("deep_link_return_url"))):
            raise LtiRefusal("missing_deep_linking_settings", "the deep_linking_settings claim has no deep_link_return_url")
    if message_type == c.SUBMISSION_REVIEW_REQUEST:
        for_user = claims.get(c.FOR_USER)
        if not (isinstance(for_user, dict) and _non_empty_string(for_user.get("user_id"))):
            raise LtiRefusal("missing_for_user", "the for_user claim has no user_id")
    claimed_target = claims.get(c.TARGET_LINK_URI)
    if target_link_uri is not None and claimed_target is not None and claimed_target != target_link_uri:
        raise LtiRefusal(
            "target_link_mismatch",
            f"the token's target_link_uri {claimed_target!r} is not the {target_link_uri!r} of the login",
        )
    _check_identifier_lengths(claims)
    _second_opinion(claims)
    return message_type


def _second_opinion(claims: dict[str, Any]) -> None:
    for validator in get_validators():
        if validator.can_validate(claims):
            try:
                validator.validate(claims)
            except LtiException as exc:
                raise LtiRefusal("invalid_message", str(exc)) from None
