"""Course members the platform lists (NRPS) turned into officials, safely when requests overlap."""

from __future__ import annotations

from datetime import datetime
from typing import Iterable

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..lms import Member
from ..lti.roles import RoleSet
from ..models import CourseMembership, Official, utcnow
from .audit import record_audit

NRPS_ACTOR = "lms-roster"
# Officials created per INSERT statement (well under SQLite's limit of bound values).
INSERT_BATCH = 500


def _dialect_insert(session: Session):
    return (postgresql if session.get_bind().dialect.name == "postgresql" else sqlite).insert


def course_role_names(roles: object) -> list[str]:
    """The short names of the roles a roles list grants in a course: "learner", "instructor", "admin"."""
    role_set = RoleSet.from_claim(list(roles) if isinstance(roles, tuple) else roles)
    granted = {"learner": role_set.is_learner, "instructor": role_set.is_instructor, "admin": role_set.is_admin}
    return [name for name, held in granted.items() if held]


def membership_upsert(insert):
    """An INSERT of course memberships (with the dialect's `insert`) that refreshes the roles, source and time
    last seen of a membership already recorded, keeping when it was first seen."""
    table = CourseMembership.__table__
    upsert = insert(table)
    return upsert.on_conflict_do_update(
        index_elements=["context_id", "official_id"],
        set_={name: upsert.excluded[name] for name in ("roles", "last_seen_at", "source")},
    )


def remember_members(session: Session, platform_id: int, members: Iterable[Member], *,
                     context_id: int | None = None) -> dict[str, Official]:
    """The officials behind course members by LMS user id, created when new and with the names and email the
    platform sent; with `context_id`, each is also recorded as a member of that course with its roles (safe
    when two requests remember the same members at once)."""
    members = {member.user_id: member for member in members}
    if not members:
        return {}
    table = Official.__table__
    # The same order in every request, so that concurrent inserts of the same keys cannot deadlock.
    user_ids = sorted(members)
    for start in range(0, len(user_ids), INSERT_BATCH):
        session.execute(
            _dialect_insert(session)(table)
            .values([{"platform_id": platform_id, "sub": user_id, "is_tool_admin": False, "created_at": utcnow()}
                     for user_id in user_ids[start:start + INSERT_BATCH]])
            .on_conflict_do_nothing(index_elements=["platform_id", "sub"])
        )
    officials = {
        official.sub: official
        for official in session.scalars(
            select(Official).where(Official.platform_id == platform_id, Official.sub.in_(list(members)))
        )
    }
    changed = 0
    for user_id, official in officials.items():
        member = members[user_id]
        fields = {name: getattr(member, name) for name in ("name", "given_name", "family_name", "email")}
        updates = {name: value[:255] for name, value in fields.items() if value and getattr(official, name) != value[:255]}
        for name, value in updates.items():
            setattr(official, name, value)
        changed += bool(updates)
    session.flush()
    if context_id is not None:
        _remember_course_memberships(session, context_id, members, officials)
    if changed:
        record_audit(session, actor=NRPS_ACTOR, action="officials.refreshed_from_lms", subject_type="platform",
                     subject_id=platform_id, details={"members": len(members), "changed": changed})
    return officials


def _remember_course_memberships(session: Session, context_id: int, members: dict[str, Member],
                                 officials: dict[str, Official]) -> None:
    now = utcnow()
    rows = sorted(
        (_membership_row(context_id, official.id, members[user_id], now) for user_id, official in officials.items()),
        key=lambda row: row["official_id"],
    )
    statement = membership_upsert(_dialect_insert(session))
    for start in range(0, len(rows), INSERT_BATCH):
        session.execute(statement.values(rows[start:start + INSERT_BATCH]))


def _membership_row(context_id: int, official_id: int, member: Member, now: datetime) -> dict:
    # A member the platform lists as inactive (e.g. suspended) holds no role in the course for now.
    roles = course_role_names(member.roles) if member.active else []
    return {"context_id": context_id, "official_id": official_id, "roles": roles,
            "first_seen_at": now, "last_seen_at": now, "source": "nrps"}
