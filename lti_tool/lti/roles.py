"""What a launch's roles claim allows: learner, instructor (in the launch's context only), administrator.

Roles arrive as LIS v2 URIs (`.../membership#Learner`, `.../membership/Instructor#TeachingAssistant`,
`.../institution/person#Administrator`, `.../system/person#Administrator`), as the deprecated short context
names (`Instructor`) or as LTI 1.1 URNs. pylti1p3's role helpers read a `membership#...` URI as an untyped
role and so cannot tell a course administrator from a site administrator; this module parses the scope
explicitly. Unknown roles are kept but grant nothing; a launch without a recognised role is a learner.
"""

from __future__ import annotations

from dataclasses import dataclass

LIS_PREFIX = "http://purl.imsglobal.org/vocab/lis/v2/"
SYSTEM, INSTITUTION, CONTEXT, UNKNOWN = "system", "institution", "context", "unknown"

_LIS_SCOPES = {"system/person": SYSTEM, "institution/person": INSTITUTION, "membership": CONTEXT}
_LTI11_SCOPES = {"urn:lti:sysrole:ims/lis/": SYSTEM, "urn:lti:instrole:ims/lis/": INSTITUTION, "urn:lti:role:ims/lis/": CONTEXT}

ADMIN_ROLES = {(SYSTEM, "Administrator"), (SYSTEM, "SysAdmin"), (INSTITUTION, "Administrator")}
INSTRUCTOR_ROLES = {
    (CONTEXT, "Instructor"),
    (CONTEXT, "Administrator"),
    (CONTEXT, "ContentDeveloper"),
    (CONTEXT, "TeachingAssistant"),
}
LEARNER_ROLES = {(CONTEXT, "Learner"), (CONTEXT, "Member")}


@dataclass(frozen=True)
class Role:
    scope: str
    name: str
    # "TeachingAssistant" in membership/Instructor#TeachingAssistant; the role then acts as its principal.
    sub_role: str | None = None


def parse_role(value: str) -> Role:
    """The scope and principal name of one entry of the roles claim."""
    if value.startswith(LIS_PREFIX):
        path, _, name = value[len(LIS_PREFIX):].partition("#")
        scope = _LIS_SCOPES.get(path)
        if scope is not None and name:
            return Role(scope, name)
        if path.startswith("membership/") and name:
            return Role(CONTEXT, path[len("membership/"):], sub_role=name)
        return Role(UNKNOWN, value)
    for prefix, scope in _LTI11_SCOPES.items():
        if value.startswith(prefix):
            principal, _, sub_role = value[len(prefix):].partition("/")
            return Role(scope, principal, sub_role or None)
    if value and "/" not in value and ":" not in value and "#" not in value:
        return Role(CONTEXT, value)
    return Role(UNKNOWN, value)


@dataclass(frozen=True)
class RoleSet:
    """The rights one launch grants."""

    roles: tuple[Role, ...]
    tool_admin: bool = False

    @classmethod
    def from_claim(cls, claim: object, *, tool_admin: bool = False) -> "RoleSet":
        """Read the roles claim (a list of strings; anything else grants nothing)."""
        values = claim if isinstance(claim, list) else []
        return cls(tuple(parse_role(value) for value in values if isinstance(value, str)), tool_admin)

    def _has(self, wanted: set[tuple[str, str]]) -> bool:
        return any((role.scope, role.name) in wanted for role in self.roles)

    @property
    def is_admin(self) -> bool:
        """A platform (site or institution) administrator, or an official made tool administrator."""
        return self.tool_admin or self._has(ADMIN_ROLES)

    @property
    def is_instructor(self) -> bool:
        """Teaches in the launch's context (administrators may act as instructors too)."""
        return self._has(INSTRUCTOR_ROLES) or self.is_admin

    @property
    def is_learner(self) -> bool:
        """Learns in the context, or has no recognised role (the least privilege)."""
        return self._has(LEARNER_ROLES) or not (self._has(INSTRUCTOR_ROLES) or self.is_admin)

    @property
    def primary(self) -> str:
        """The role whose page the launch lands on: "admin", "instructor" or "learner"."""
        if self.is_admin:
            return "admin"
        if self._has(INSTRUCTOR_ROLES):
            return "instructor"
        return "learner"

    def allows(self, role: str) -> bool:
        """Whether the launch may see pages for `role` ("learner", "instructor" or "admin")."""
        if role == "admin":
            return self.is_admin
        if role == "instructor":
            return self.is_instructor
        if role == "learner":
            return True
        raise ValueError(f"unknown role {role!r}; use learner, instructor or admin")
