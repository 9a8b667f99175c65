"""Verifiable badges issued for certifications and CARES recognitions, and their status."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, medium, new_uuid, short, url, utcnow


class Credential(Base):
    """One award: an Open Badges 3.0 credential and its Open Badges 2.0 hosted assertion."""

    __tablename__ = "credentials"

    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_uuid)
    # One credential per certification event: e.g. "certification:12" or "cares:7:all".
    event_key: Mapped[str] = mapped_column(String(255), nullable=False, unique=True)
    achievement_id: Mapped[str] = mapped_column(String(128), nullable=False)
    issuer_id: Mapped[str] = mapped_column(short(), nullable=False)
    official_id: Mapped[int | None] = mapped_column(ForeignKey("officials.id", ondelete="CASCADE"))
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipalities.id", ondelete="CASCADE"))
    certification_id: Mapped[int | None] = mapped_column(ForeignKey("certifications.id", ondelete="CASCADE"))
    recipient_identity: Mapped[str] = mapped_column(medium(), nullable=False)
    recipient_salt: Mapped[str] = mapped_column(short(), nullable=False)
    recipient_hashed: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    # Position in the status lists (revocation and suspension share one index space).
    status_index: Mapped[int] = mapped_column(Integer, nullable=False, unique=True)
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    document: Mapped[dict] = mapped_column(JSON, nullable=False)
    jwt: Mapped[str] = mapped_column(Text, nullable=False)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    # A renewal issues a fresh credential that names the one it follows.
    replaces_id: Mapped[str | None] = mapped_column(ForeignKey("credentials.id"))
    image_url: Mapped[str | None] = mapped_column(url())

    status_changes: Mapped[list["CredentialStatusChange"]] = relationship(order_by="CredentialStatusChange.id")


class CredentialStatusChange(Base):
    """A revocation or suspension set or cleared on a credential; the latest per purpose wins."""

    __tablename__ = "credential_status_changes"
    __table_args__ = (CheckConstraint("purpose IN ('revocation', 'suspension')", name="purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    credential_id: Mapped[str] = mapped_column(
        ForeignKey("credentials.id", ondelete="CASCADE"), nullable=False, index=True
    )
    purpose: Mapped[str] = mapped_column(short(), nullable=False)
    value: Mapped[bool] = mapped_column(Boolean, nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    recorded_by: Mapped[str] = mapped_column(medium(), nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    details: Mapped[dict | None] = mapped_column(JSON)
