"""Writing the audit log."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ..models import AuditEntry


def record_audit(
    session: Session,
    *,
    actor: str,
    action: str,
    subject_type: str,
    subject_id: Any,
    origin: str | None = None,
    details: dict | None = None,
) -> AuditEntry:
    """Add one audit entry: `actor` did `action` to (`subject_type`, `subject_id`) from `origin`."""
    entry = AuditEntry(
        actor=actor,
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        origin=origin,
        details=details,
    )
    session.add(entry)
    session.flush()
    return entry
