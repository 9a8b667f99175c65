"""Course members the platform lists (NRPS) turned into officials, safely when requests overlap."""

from __future__ import annotations

from typing import Iterable

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..lms import Member
from ..models import Official, utcnow
from .audit import record_audit

NRPS_ACTOR = "lms-roster"
# Officials created per INSERT statement (well under SQLite's limit of bound values).
INSERT_BATCH = 500


def _insert(session: Session, table):
    return (postgresql if session.get_bind().dialect.name == "postgresql" else sqlite).insert(table)


def remember_members(session: Session, platform_id: int, members: Iterable[Member]) -> dict[str, Official]:
    """The officials behind course members by LMS user id, created when new and with the names and email the
    platform sent (safe when two requests remember the same members at once)."""
    members = {member.user_id: member for member in members}
    if not members:
        return {}
    table = Official.__table__
    user_ids = list(members)
    for start in range(0, len(user_ids), INSERT_BATCH):
        session.execute(
            _insert(session, table)
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
    if changed:
        record_audit(session, actor=NRPS_ACTOR, action="officials.refreshed_from_lms", subject_type="platform",
                     subject_id=platform_id, details={"members": len(members), "changed": changed})
    return officials
