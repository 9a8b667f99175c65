"""Open Badges 2.0 hosted documents: Assertion, BadgeClass and Issuer as JSON-LD at stable URLs.

Hosted verification means the assertion is genuine when its id answers with it; a revoked (or, as
Open Badges 2.0 knows no suspension, a suspended) assertion answers 410 with `revoked: true`.
"""

from __future__ import annotations

from typing import Any, Mapping

from .achievements import AchievementInfo, Issuer
from .contexts import OB_V2_CONTEXT
from .ob3 import alignment_fields
from .urls import BadgeUrls


def issuer_document(issuer: Issuer, urls: BadgeUrls) -> dict:
    """The Issuer profile."""
    return {
        "@context": OB_V2_CONTEXT,
        "type": "Issuer",
        "id": urls.ob2_issuer(issuer.id),
        "name": issuer.name,
        "url": issuer.url,
        "email": issuer.email,
        "description": issuer.description,
    }


def badge_class_document(info: AchievementInfo, urls: BadgeUrls) -> dict:
    """The BadgeClass of an achievement."""
    document: dict[str, Any] = {
        "@context": OB_V2_CONTEXT,
        "type": "BadgeClass",
        "id": urls.ob2_badge_class(info.id),
        "name": info.name,
        "description": info.description,
        "image": urls.image_png(info.id),
        "criteria": {"id": urls.criteria(info.id), "narrative": info.criteria},
        "issuer": urls.ob2_issuer(info.issuer.id),
        "tags": [info.abbreviation, info.level],
    }
    if info.alignments:
        document["alignment"] = alignment_fields(info, urls)
    return document


def recipient(identity: str, hashed: bool, salt: str) -> dict:
    """The assertion's IdentityObject: a salted email hash, else the recipient's IRI in clear."""
    if hashed:
        return {"type": "email", "hashed": True, "salt": salt, "identity": identity}
    return {"type": "id", "hashed": False, "identity": identity}


def assertion_document(*, credential_id: str, achievement_id: str, credential: Mapping[str, Any],
                       recipient_identity: str, recipient_hashed: bool, recipient_salt: str,
                       urls: BadgeUrls) -> dict:
    """The hosted Assertion mirroring an Open Badges 3.0 credential (same dates, same recipient)."""
    document: dict[str, Any] = {
        "@context": OB_V2_CONTEXT,
        "type": "Assertion",
        "id": urls.ob2_assertion(credential_id),
        "recipient": recipient(recipient_identity, recipient_hashed, recipient_salt),
        "badge": urls.ob2_badge_class(achievement_id),
        "verification": {"type": "hosted"},
        "issuedOn": credential.get("awardedDate") or credential["validFrom"],
        "image": urls.baked_image(credential_id),
        "evidence": [{"id": urls.credential(credential_id), "narrative": "Verification page of this award."}],
    }
    if credential.get("validUntil"):
        document["expires"] = credential["validUntil"]
    return document


def revoked_document(credential_id: str, reason: str, urls: BadgeUrls) -> dict:
    """What a revoked or suspended hosted assertion answers (with HTTP 410)."""
    return {
        "@context": OB_V2_CONTEXT,
        "type": "Assertion",
        "id": urls.ob2_assertion(credential_id),
        "revoked": True,
        "revocationReason": reason,
    }
