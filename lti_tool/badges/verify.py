"""Verifying an Open Badges 3.0 credential from its VC-JWT, a key set and its status lists.

Works offline (given a JWKS dict and a way to obtain status lists) and for the public page (which hands
over the tool's own key set and status lists from the database). The result's status is, by precedence:
invalid (signature, structure or claims) > revoked > suspended > expired > unknown (status lists could not
be checked) > valid.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Mapping

from . import ob3
from .statuslist import StatusListProblem, bit_is_set, read_status_list_credential
from .vcjwt import TokenProblem, credential_from_payload, parse_timestamp, registered_claims, verify_signature

INVALID = "invalid"
REVOKED = "revoked"
SUSPENDED = "suspended"
EXPIRED = "expired"
UNKNOWN = "unknown"
VALID = "valid"
PRECEDENCE = (INVALID, REVOKED, SUSPENDED, EXPIRED, UNKNOWN, VALID)

# Given a statusListCredential URL: the list as a VC-JWT (its signature is checked against the same key
# set) or as a document the caller already trusts (the tool's own list, built from its database).
StatusListFetcher = Callable[[str], "str | Mapping[str, Any]"]


@dataclass(frozen=True)
class Check:
    """One thing the verifier looked at, and what it found."""

    name: str
    passed: bool | None
    detail: str


@dataclass
class VerificationResult:
    """The outcome: a status, the reasons it is not valid (none when valid), every check, the credential."""

    status: str
    reasons: list[str]
    credential: dict | None
    checks: list[Check] = field(default_factory=list)

    @property
    def is_valid(self) -> bool:
        return self.status == VALID

    def as_json(self) -> dict:
        """The result as plain JSON values."""
        return {
            "status": self.status,
            "reasons": list(self.reasons),
            "checks": [{"name": c.name, "passed": c.passed, "detail": c.detail} for c in self.checks],
            "credential": self.credential,
        }


class _Outcome:
    def __init__(self) -> None:
        self.found: set[str] = set()
        self.reasons: list[str] = []
        self.checks: list[Check] = []

    def check(self, name: str, passed: bool | None, detail: str, status_if_failed: str | None = None) -> None:
        self.checks.append(Check(name, passed, detail))
        if passed is False or (passed is None and status_if_failed == UNKNOWN):
            if status_if_failed:
                self.found.add(status_if_failed)
                self.reasons.append(detail)

    def result(self, credential: dict | None) -> VerificationResult:
        status = next((name for name in PRECEDENCE if name in self.found), VALID)
        return VerificationResult(status, self.reasons, credential, self.checks)


def _claims_agree(payload: Mapping[str, Any], credential: Mapping[str, Any]) -> list[str]:
    expected = registered_claims(credential)
    return [
        f"the JWT claim {name} ({payload.get(name)!r}) does not match the credential ({value!r})"
        for name, value in expected.items()
        if name in payload and payload[name] != value
    ]


def _status_list_bits(url: str, purpose: str, jwks: Mapping[str, Any], fetch: StatusListFetcher) -> bytes:
    listed = fetch(url)
    if isinstance(listed, str):
        _, payload = verify_signature(listed, jwks)
        document = credential_from_payload(payload)
    elif isinstance(listed, Mapping):
        document = dict(listed)
    else:
        raise StatusListProblem(f"no status list at {url}")
    if document.get("id") not in (None, url):
        raise StatusListProblem(f"the status list at {url} says it is {document.get('id')}")
    listed_purpose, bits = read_status_list_credential(document)
    if listed_purpose != purpose:
        raise StatusListProblem(f"the list at {url} is for {listed_purpose}, not {purpose}")
    return bits


def _check_status(outcome: _Outcome, credential: Mapping[str, Any], jwks: Mapping[str, Any],
                  fetch: StatusListFetcher | None) -> None:
    entries = list(ob3.status_entries(credential))
    if not entries:
        outcome.check("status", True, "The credential lists no status to check.")
        return
    for entry in entries:
        purpose = str(entry.get("statusPurpose"))
        label = purpose.capitalize()
        if fetch is None:
            outcome.check(purpose, None, f"{label} status was not checked (no status list given).", UNKNOWN)
            continue
        try:
            bits = _status_list_bits(str(entry.get("statusListCredential")), purpose, jwks, fetch)
            is_set = bit_is_set(bits, int(entry.get("statusListIndex")))
        except (TokenProblem, StatusListProblem, ValueError) as exc:
            outcome.check(purpose, None, f"{label} status could not be checked: {exc}", UNKNOWN)
            continue
        except Exception as exc:  # a fetcher's network or storage error: report it, never crash
            outcome.check(purpose, None, f"{label} status could not be fetched: {exc}", UNKNOWN)
            continue
        if purpose == "revocation":
            outcome.check(purpose, not is_set, "The issuer has revoked this credential." if is_set
                          else "Not revoked.", REVOKED)
        elif purpose == "suspension":
            outcome.check(purpose, not is_set, "The issuer has suspended this credential." if is_set
                          else "Not suspended.", SUSPENDED)
        else:
            outcome.check(purpose, not is_set, f"Status {purpose!r} is set." if is_set else f"Status {purpose!r} is not set.",
                          INVALID)


def _check_dates(outcome: _Outcome, credential: Mapping[str, Any], now: datetime) -> None:
    try:
        valid_from = parse_timestamp(credential.get("validFrom"))
        valid_until = parse_timestamp(credential["validUntil"]) if credential.get("validUntil") else None
    except ValueError as exc:
        outcome.check("dates", False, f"The validity dates cannot be read: {exc}", INVALID)
        return
    if now < valid_from:
        outcome.check("dates", False, f"Not valid before {credential['validFrom']}.", INVALID)
    elif valid_until is not None and now > valid_until:
        outcome.check("dates", False, f"Expired on {credential['validUntil']}.", EXPIRED)
    elif valid_until is not None:
        outcome.check("dates", True, f"Valid from {credential['validFrom']} until {credential['validUntil']}.")
    else:
        outcome.check("dates", True, f"Valid from {credential['validFrom']}, with no end date.")


def verify_credential_jwt(token: str, jwks: Mapping[str, Any], status_list_fetcher: StatusListFetcher | None,
                          now: datetime) -> VerificationResult:
    """Verify a VC-JWT Open Badges 3.0 credential: signature, data model, claims, status lists and dates."""
    outcome = _Outcome()
    try:
        header, payload = verify_signature(token, jwks)
    except TokenProblem as exc:
        outcome.check("signature", False, f"The signature cannot be trusted: {exc}.", INVALID)
        return outcome.result(None)
    outcome.check("signature", True, f"Signed by key {header.get('kid')} of the issuer's key set.")
    credential = credential_from_payload(payload)

    problems = ob3.structure_problems(credential) + _claims_agree(payload, credential)
    if problems:
        outcome.check("structure", False, "The credential is not a well-formed OpenBadgeCredential: "
                      + "; ".join(problems), INVALID)
        return outcome.result(credential)
    outcome.check("structure", True, "A well-formed OpenBadgeCredential.")

    issuer = credential["issuer"]
    issuer_id = issuer["id"] if isinstance(issuer, Mapping) else issuer
    jku = header.get("jku")
    if jku and isinstance(issuer_id, str) and _origin(jku) != _origin(issuer_id):
        outcome.check("issuer", False, f"The signing key set ({jku}) is not hosted with the issuer ({issuer_id}).",
                      INVALID)
    _check_status(outcome, credential, jwks, status_list_fetcher)
    _check_dates(outcome, credential, now)
    return outcome.result(credential)


def _origin(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"
