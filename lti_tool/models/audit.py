"""The audit log: who did what, when, to what, and from where."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, medium, short, utcnow


class AuditEntry(Base):
    """One action worth answering for later; written by the operations, never edited."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_subject", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(medium(), nullable=False)
    action: Mapped[str] = mapped_column(String(128), nullable=False)
    subject_type: Mapped[str] = mapped_column(short(), nullable=False)
    subject_id: Mapped[str] = mapped_column(medium(), nullable=False)
    origin: Mapped[str | None] = mapped_column(medium())
    details: Mapped[dict | None] = mapped_column(JSON)
