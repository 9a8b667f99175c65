"""Open Badges 3.0 documents: the issuer Profile, the Achievement and the OpenBadgeCredential, and a check
of a credential against the data model's required properties.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from typing import Any, Iterable, Mapping

from .achievements import AchievementInfo, Issuer
from .contexts import OB_V3_CONTEXT, VC_V2_CONTEXT
from .statuslist import ENTRY_TYPE, status_entry
from .urls import STATUS_PURPOSES, BadgeUrls
from .vcjwt import format_timestamp, parse_timestamp

CONTEXT = [VC_V2_CONTEXT, OB_V3_CONTEXT]
CREDENTIAL_TYPES = ["VerifiableCredential", "OpenBadgeCredential"]


# --------------------------------------------------------------------------------------------- recipients


@dataclass(frozen=True)
class Recipient:
    """Who a credential is about, as the documents identify them.

    An official with a known email is identified by `sha256$` + hex(sha256(email + salt)); one without
    by their LMS identity (platform issuer and LTI subject, not hashed); a municipality by its name.
    `identity` is what the Open Badges 2.0 assertion carries.
    """

    identity: str
    hashed: bool
    salt: str
    identifiers: tuple[dict, ...]

    @classmethod
    def for_email(cls, email: str, salt: str) -> "Recipient":
        """An official known by email, hashed with `salt`."""
        digest = "sha256$" + hashlib.sha256((email.strip().lower() + salt).encode("utf-8")).hexdigest()
        entry = {"type": "IdentityObject", "identityHash": digest, "identityType": "emailAddress",
                 "hashed": True, "salt": salt}
        return cls(digest, True, salt, (entry,))

    @classmethod
    def for_lms_user(cls, platform_issuer: str, sub: str) -> "Recipient":
        """An official known only by their LMS identity."""
        identifiers = (
            {"type": "IdentityObject", "identityHash": sub, "identityType": "ltiUserId", "hashed": False},
            {"type": "IdentityObject", "identityHash": platform_issuer, "identityType": "ltiPlatformId",
             "hashed": False},
        )
        return cls(lms_identity_iri(platform_issuer, sub), False, "", identifiers)

    @classmethod
    def for_municipality(cls, name: str, municipality_id: int, base_url: str) -> "Recipient":
        """A municipality (CARES in Action), named in clear: its recognition is public."""
        entry = {"type": "IdentityObject", "identityHash": name, "identityType": "name", "hashed": False}
        iri = "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"{base_url.rstrip('/')}/municipalities/{municipality_id}"))
        return cls(iri, False, "", (entry,))


def lms_identity_iri(platform_issuer: str, sub: str) -> str:
    """The LMS identity of a user as one IRI: the platform's issuer URL with the LTI subject as fragment."""
    return f"{platform_issuer.rstrip('/')}#user={sub}"


def email_matches(identity_hash: str, salt: str, email: str) -> bool:
    """Whether `email` hashes (with `salt`) to `identity_hash`."""
    return Recipient.for_email(email, salt).identity == identity_hash


# ---------------------------------------------------------------------------------------------- documents


def new_credential_id() -> str:
    """A fresh random credential id (it appears in public URLs, so it reveals nothing)."""
    return str(uuid.uuid4())


def day_start(day: date) -> datetime:
    """Midnight UTC at the start of `day`."""
    return datetime.combine(day, time(0, 0), tzinfo=timezone.utc)


def day_end(day: date) -> datetime:
    """The last second of `day`, UTC."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=timezone.utc)


def profile(issuer: Issuer, urls: BadgeUrls) -> dict:
    """The issuer's Profile as embedded in a credential."""
    return {
        "id": urls.issuer(issuer.id),
        "type": ["Profile"],
        "name": issuer.name,
        "url": issuer.url,
        "email": issuer.email,
        "description": issuer.description,
    }


def hosted_profile(issuer: Issuer, urls: BadgeUrls) -> dict:
    """The issuer's Profile as a standalone JSON-LD document at its id."""
    return {"@context": CONTEXT, **profile(issuer, urls)}


def alignment_fields(info: AchievementInfo, urls: BadgeUrls) -> list[dict]:
    """The alignments of an achievement, in the properties Open Badges 2.0 and 3.0 share."""
    return [
        {
            "targetName": target.name,
            "targetUrl": urls.framework(target.code),
            "targetCode": target.code,
            "targetFramework": f"{info.issuer.abbreviation} {target.framework.lower()}",
        }
        for target in info.alignments
    ]


def achievement_document(info: AchievementInfo, urls: BadgeUrls) -> dict:
    """The Achievement: name, description, criteria, type, credits and alignments."""
    document: dict[str, Any] = {
        "id": urls.achievement(info.id),
        "type": ["Achievement"],
        "achievementType": info.achievement_type,
        "name": info.name,
        "description": info.description,
        "criteria": {"id": urls.criteria(info.id), "narrative": info.criteria},
        "image": {"id": urls.image_png(info.id), "type": "Image", "caption": f"{info.abbreviation} badge: {info.name}"},
        "humanCode": info.abbreviation,
        "creator": profile(info.issuer, urls),
    }
    if info.credits_available is not None:
        document["creditsAvailable"] = info.credits_available
    if info.alignments:
        document["alignment"] = [{"type": ["Alignment"], **fields} for fields in alignment_fields(info, urls)]
    return document


def hosted_achievement(info: AchievementInfo, urls: BadgeUrls) -> dict:
    """The Achievement as a standalone JSON-LD document at its id."""
    return {"@context": CONTEXT, **achievement_document(info, urls)}


@dataclass(frozen=True)
class Award:
    """One award to put in a credential: what, to whom, when, and for how long."""

    credential_id: str
    achievement: AchievementInfo
    recipient: Recipient
    name: str
    description: str
    valid_from: datetime
    valid_until: datetime | None
    awarded_at: datetime
    status_index: int
    credits_earned: float | None = None
    activity_start: date | None = None
    activity_end: date | None = None
    evidence: tuple[dict, ...] = ()


def credential_document(award: Award, urls: BadgeUrls) -> dict:
    """The OpenBadgeCredential (unsigned) for `award`."""
    subject: dict[str, Any] = {
        "type": ["AchievementSubject"],
        "identifier": [dict(entry) for entry in award.recipient.identifiers],
        "achievement": achievement_document(award.achievement, urls),
    }
    if award.credits_earned is not None:
        subject["creditsEarned"] = float(award.credits_earned)
    if award.activity_start is not None:
        subject["activityStartDate"] = format_timestamp(day_start(award.activity_start))
    if award.activity_end is not None:
        subject["activityEndDate"] = format_timestamp(day_end(award.activity_end))
    issuer_id = award.achievement.issuer.id
    document: dict[str, Any] = {
        "@context": list(CONTEXT),
        "id": urls.credential(award.credential_id),
        "type": list(CREDENTIAL_TYPES),
        "name": award.name,
        "description": award.description,
        "issuer": profile(award.achievement.issuer, urls),
        "validFrom": format_timestamp(award.valid_from),
        "awardedDate": format_timestamp(award.awarded_at),
        "credentialSubject": subject,
        "credentialStatus": [
            status_entry(urls.status_list(issuer_id, purpose), purpose, award.status_index)
            for purpose in STATUS_PURPOSES
        ],
    }
    if award.valid_until is not None:
        document["validUntil"] = format_timestamp(award.valid_until)
    if award.evidence:
        document["evidence"] = [dict(item) for item in award.evidence]
    return document


# ------------------------------------------------------------------------------------------ the data model


def _types(value: Any) -> list:
    if isinstance(value, list):
        return value
    return [value] if value is not None else []


def _is_uri(value: Any) -> bool:
    return isinstance(value, str) and ":" in value and " " not in value and not value.startswith(":")


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _is_datetime(value: Any) -> bool:
    try:
        parse_timestamp(value)
    except ValueError:
        return False
    return isinstance(value, str) and "T" in value


class _Checker:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def need(self, condition: bool, path: str, message: str) -> bool:
        if not condition:
            self.problems.append(f"{path}: {message}")
        return condition

    def required(self, node: Mapping, name: str, path: str, test, expected: str) -> None:
        if name not in node:
            self.problems.append(f"{path}.{name}: is required")
        else:
            self.need(test(node[name]), f"{path}.{name}", f"must be {expected}")

    def optional(self, node: Mapping, name: str, path: str, test, expected: str) -> None:
        if name in node:
            self.need(test(node[name]), f"{path}.{name}", f"must be {expected}")

    def typed(self, node: Mapping, path: str, expected: str) -> None:
        self.need(expected in _types(node.get("type")), f"{path}.type", f"must include {expected!r}")


def _check_profile(check: _Checker, node: Any, path: str) -> None:
    if isinstance(node, str):
        check.need(_is_uri(node), path, "must be a URI or a Profile")
        return
    if not check.need(isinstance(node, Mapping), path, "must be a Profile object or its URI"):
        return
    check.required(node, "id", path, _is_uri, "a URI")
    check.typed(node, path, "Profile")


def _check_achievement(check: _Checker, node: Any, path: str) -> None:
    if not check.need(isinstance(node, Mapping), path, "must be an Achievement object"):
        return
    check.required(node, "id", path, _is_uri, "a URI")
    check.typed(node, path, "Achievement")
    check.required(node, "name", path, _is_text, "a text")
    check.required(node, "description", path, _is_text, "a text")
    criteria = node.get("criteria")
    if check.need(isinstance(criteria, Mapping), f"{path}.criteria", "is required (an object with id or narrative)"):
        check.need(_is_uri(criteria.get("id")) or _is_text(criteria.get("narrative")), f"{path}.criteria",
                   "needs an id or a narrative")
    check.optional(node, "creditsAvailable", path, lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
                   "a number")
    check.optional(node, "achievementType", path, _is_text, "a text")
    image = node.get("image")
    if image is not None and check.need(isinstance(image, Mapping), f"{path}.image", "must be an Image object"):
        check.required(image, "id", f"{path}.image", _is_uri, "a URI")
        check.need(image.get("type") == "Image", f"{path}.image.type", "must be 'Image'")
    for index, alignment in enumerate(_types(node.get("alignment"))):
        where = f"{path}.alignment[{index}]"
        if check.need(isinstance(alignment, Mapping), where, "must be an Alignment object"):
            check.typed(alignment, where, "Alignment")
            check.required(alignment, "targetName", where, _is_text, "a text")
            check.required(alignment, "targetUrl", where, _is_uri, "a URL")
    if "creator" in node:
        _check_profile(check, node["creator"], f"{path}.creator")


def _check_subject(check: _Checker, node: Any, path: str) -> None:
    if not check.need(isinstance(node, Mapping), path, "must be an AchievementSubject object"):
        return
    check.typed(node, path, "AchievementSubject")
    check.need("id" in node or "identifier" in node, path, "needs an id or an identifier")
    check.optional(node, "id", path, _is_uri, "a URI")
    for index, entry in enumerate(_types(node.get("identifier"))):
        where = f"{path}.identifier[{index}]"
        if check.need(isinstance(entry, Mapping), where, "must be an IdentityObject"):
            check.need(entry.get("type") == "IdentityObject", f"{where}.type", "must be 'IdentityObject'")
            check.required(entry, "hashed", where, lambda v: isinstance(v, bool), "true or false")
            check.required(entry, "identityHash", where, _is_text, "a text")
            check.required(entry, "identityType", where, _is_text, "a text")
            if entry.get("hashed") is True:
                check.need(str(entry.get("identityHash", "")).startswith(("sha256$", "md5$")),
                           f"{where}.identityHash", "must be 'sha256$' followed by the hex digest when hashed")
    if check.need("achievement" in node, f"{path}.achievement", "is required"):
        _check_achievement(check, node["achievement"], f"{path}.achievement")
    check.optional(node, "creditsEarned", path, lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
                   "a number")
    check.optional(node, "activityStartDate", path, _is_datetime, "a date-time")
    check.optional(node, "activityEndDate", path, _is_datetime, "a date-time")


def _check_status(check: _Checker, node: Any, path: str) -> None:
    if not check.need(isinstance(node, Mapping), path, "must be a status entry object"):
        return
    check.need(node.get("type") == ENTRY_TYPE, f"{path}.type", f"must be {ENTRY_TYPE!r}")
    check.required(node, "statusPurpose", path, _is_text, "a text")
    check.required(node, "statusListIndex", path, lambda v: isinstance(v, str) and v.isdigit(),
                   "a non-negative integer written as a string")
    check.required(node, "statusListCredential", path, _is_uri, "a URL")


def structure_problems(credential: Any) -> list[str]:
    """Every way `credential` departs from the OpenBadgeCredential required properties, one line each."""
    check = _Checker()
    if not check.need(isinstance(credential, Mapping), "credential", "must be a JSON object"):
        return check.problems
    context = credential.get("@context")
    if check.need(isinstance(context, list) and bool(context), "@context", "must be a list of contexts"):
        check.need(context[0] == VC_V2_CONTEXT, "@context[0]", f"must be {VC_V2_CONTEXT}")
        check.need(any(isinstance(entry, str) and entry.startswith("https://purl.imsglobal.org/spec/ob/v3p0/context")
                       for entry in context), "@context", "must include the Open Badges 3.0 context")
    check.required(credential, "id", "credential", _is_uri, "a URI")
    types = _types(credential.get("type"))
    check.need("VerifiableCredential" in types, "credential.type", "must include 'VerifiableCredential'")
    check.need("OpenBadgeCredential" in types or "AchievementCredential" in types, "credential.type",
               "must include 'OpenBadgeCredential'")
    check.required(credential, "name", "credential", _is_text, "a text")
    if check.need("issuer" in credential, "credential.issuer", "is required"):
        _check_profile(check, credential["issuer"], "credential.issuer")
    check.required(credential, "validFrom", "credential", _is_datetime, "a date-time")
    check.optional(credential, "validUntil", "credential", _is_datetime, "a date-time")
    check.optional(credential, "awardedDate", "credential", _is_datetime, "a date-time")
    if check.need("credentialSubject" in credential, "credential.credentialSubject", "is required"):
        _check_subject(check, credential["credentialSubject"], "credential.credentialSubject")
    for index, entry in enumerate(_types(credential.get("credentialStatus"))):
        _check_status(check, entry, f"credential.credentialStatus[{index}]")
    return check.problems


def status_entries(credential: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    """The credential's Bitstring Status List entries."""
    return [entry for entry in _types(credential.get("credentialStatus"))
            if isinstance(entry, Mapping) and entry.get("type") == ENTRY_TYPE]
