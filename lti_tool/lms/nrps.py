"""Names and Role Provisioning Services: a course's members, across pages, optionally filtered by role."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .ags import with_query
from .client import ServiceCall, ServiceClient
from .errors import PermanentLmsError

SCOPE_MEMBERSHIPS = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
NRPS_SCOPES = frozenset({SCOPE_MEMBERSHIPS})
MEMBERSHIP_CONTAINER_TYPE = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"


@dataclass(frozen=True)
class Member:
    """One member of a course as the platform lists it; `user_id` is the `sub` of the user's launches."""

    user_id: str
    roles: tuple[str, ...]
    status: str = "Active"
    name: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    email: str | None = None

    @property
    def active(self) -> bool:
        return self.status.lower() == "active"


def list_members(
    client: ServiceClient, memberships_url: str, *, role: str | None = None, page_size: int | None = None
) -> list[Member]:
    """The members of a course (only those holding `role`, e.g. "Learner", if given), across every page."""
    what = f"members of {memberships_url}"
    url = with_query(memberships_url, role=role, limit=str(page_size) if page_size else None)
    call = ServiceCall(what, NRPS_SCOPES, NRPS_SCOPES, "GET", url, accept=MEMBERSHIP_CONTAINER_TYPE)
    members: list[Member] = []
    for answer in client.pages(call):
        document = answer.json(what)
        if not isinstance(document, dict) or not isinstance(document.get("members"), list):
            raise PermanentLmsError(f"{what}: expected a membership container, got {answer.excerpt()!r}")
        members.extend(member for member in map(_member, document["members"]) if member is not None)
    return members


def _member(entry: Any) -> Member | None:
    if not isinstance(entry, dict) or entry.get("user_id") in (None, ""):
        return None

    def text(name: str) -> str | None:
        value = entry.get(name)
        return value if isinstance(value, str) and value else None

    roles = entry.get("roles") if isinstance(entry.get("roles"), list) else []
    return Member(
        user_id=str(entry["user_id"]),
        roles=tuple(str(role) for role in roles),
        status=text("status") or "Active",
        name=text("name"),
        given_name=text("given_name"),
        family_name=text("family_name"),
        email=text("email"),
    )
