"""id_token claims for the captured launch scenarios, re-pointed at a running emulator."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import string
from typing import Any

from .course_state import Course, User, role_uri
from .moodle_fixtures import FIXTURE_ISSUER, FIXTURE_TOOL_LAUNCH, launch_payload, repoint

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
DEPLOYMENT_ID = CLAIM + "deployment_id"
TARGET_LINK_URI = CLAIM + "target_link_uri"
MESSAGE_TYPE = CLAIM + "message_type"
ROLES = CLAIM + "roles"
CONTEXT = CLAIM + "context"
RESOURCE_LINK = CLAIM + "resource_link"
LIS = CLAIM + "lis"
EXT = CLAIM + "ext"
CUSTOM = CLAIM + "custom"
LAUNCH_PRESENTATION = CLAIM + "launch_presentation"
BASIC_OUTCOME = "https://purl.imsglobal.org/spec/lti-bo/claim/basicoutcome"
DEEP_LINKING_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
DEEP_LINKING_REQUEST = "LtiDeepLinkingRequest"

ID_TOKEN_LIFETIME = 60  # seconds between iat and exp in every captured id_token
SESSKEY = re.compile(r"sesskey=[A-Za-z0-9]+")
ALPHANUMERIC = string.ascii_letters + string.digits


class Delete:
    """Sentinel type: as a claim override (or header value in sign()), removes that member."""

    _instance: "Delete | None" = None

    def __new__(cls) -> "Delete":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "DELETE"


DELETE = Delete()


def random_alphanumeric(length: int) -> str:
    """Random letters and digits, like Moodle's random_string()."""
    return "".join(secrets.choice(ALPHANUMERIC) for _ in range(length))


def result_sourcedid(instance_id: str, user_id: str, type_id: int, salt: str) -> str:
    """A Basic Outcomes sourcedid shaped like Moodle's (signed JSON; opaque to tools)."""
    data = {
        "instanceid": str(instance_id),
        "userid": str(user_id),
        "typeid": str(type_id),
        "launchid": secrets.randbelow(2**31),
    }
    encoded = json.dumps(data, separators=(",", ":"))
    digest = hashlib.sha256((encoded + salt).encode()).hexdigest()
    return json.dumps({"data": data, "hash": digest}, separators=(",", ":"))


def scenario_template(scenario: str, issuer: str, tool_launch_url: str | None) -> dict[str, Any]:
    """The captured payload of `scenario` with Moodle's URLs moved to `issuer` and the tool's launch URL replaced."""
    replacements = {FIXTURE_ISSUER: issuer}
    if tool_launch_url:
        replacements[FIXTURE_TOOL_LAUNCH] = tool_launch_url
    return repoint(launch_payload(scenario), replacements)


def apply_overrides(claims: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """`claims` with top-level members replaced by `overrides` (DELETE removes them)."""
    for name, value in overrides.items():
        if value is DELETE:
            claims.pop(name, None)
        else:
            claims[name] = value
    return claims


def fresh_claims(
    template: dict[str, Any],
    *,
    client_id: str,
    deployment_id: str,
    nonce: str,
    now: int,
    type_id: int,
    salt: str,
) -> dict[str, Any]:
    """A private copy of `template` for this platform, with fresh times, nonce, session key and sourcedid."""
    claims = json.loads(json.dumps(template))  # deep copy of plain JSON data
    claims["nonce"] = nonce
    claims["iat"] = now
    claims["exp"] = now + ID_TOKEN_LIFETIME
    claims["aud"] = client_id
    claims[DEPLOYMENT_ID] = deployment_id
    sesskey = "sesskey=" + random_alphanumeric(10)
    for claim_name, url_key in ((LAUNCH_PRESENTATION, "return_url"), (DEEP_LINKING_SETTINGS, "deep_link_return_url")):
        section = claims.get(claim_name)
        if isinstance(section, dict) and isinstance(section.get(url_key), str):
            section[url_key] = SESSKEY.sub(sesskey, section[url_key])
    _refresh_sourcedid(claims, type_id, salt)
    return claims


def _refresh_sourcedid(claims: dict[str, Any], type_id: int, salt: str) -> None:
    outcome = claims.get(BASIC_OUTCOME)
    link = claims.get(RESOURCE_LINK)
    if isinstance(outcome, dict) and isinstance(link, dict):
        outcome["lis_result_sourcedid"] = result_sourcedid(link.get("id", ""), claims.get("sub", ""), type_id, salt)


def impersonate(claims: dict[str, Any], user: User, course: Course | None, type_id: int, salt: str) -> None:
    """Rewrite the identity claims of `claims` for `user`, with the roles of their enrolment in `course`."""
    claims["sub"] = user.user_id
    membership = course.members.get(user.user_id) if course else None
    if membership is not None:
        claims[ROLES] = [role_uri(role) for role in membership.roles]
    if isinstance(claims.get(LIS), dict):
        claims[LIS]["person_sourcedid"] = user.sourcedid
    for name, value in (
        ("given_name", user.given_name),
        ("family_name", user.family_name),
        ("name", user.name),
        ("email", user.email),
    ):
        if name in claims:
            claims[name] = value
    if isinstance(claims.get(EXT), dict):
        claims[EXT]["user_username"] = user.username
    if isinstance(claims.get(CUSTOM), dict) and "ccmo_username" in claims[CUSTOM]:
        claims[CUSTOM]["ccmo_username"] = user.username
    _refresh_sourcedid(claims, type_id, salt)
