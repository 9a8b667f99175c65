"""Enrollments in programme editions, certifications, continuing-education cycles and fees."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, medium, short, utcnow


class Enrollment(Base):
    """An official in a programme edition from an enrollment (application) date."""

    __tablename__ = "enrollments"
    __table_args__ = (UniqueConstraint("official_id", "edition_id", "enrolled_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    official_id: Mapped[int] = mapped_column(ForeignKey("officials.id", ondelete="CASCADE"), nullable=False)
    program: Mapped[str] = mapped_column(short(), nullable=False)
    edition_id: Mapped[str] = mapped_column(String(64), nullable=False)
    enrolled_on: Mapped[date] = mapped_column(Date, nullable=False)
    # IIMC: membership start, which gates the CMC designation.
    membership_since: Mapped[date | None] = mapped_column(Date)
    # Set when an administrator moves the enrollment to another edition (a new row is made).
    migrated_from_id: Mapped[int | None] = mapped_column(ForeignKey("enrollments.id"))
    ended_on: Mapped[date | None] = mapped_column(Date)
    ended_reason: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(medium(), nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)


class Certification(Base):
    """A programme completed under an enrollment, with the completions that earned it."""

    __tablename__ = "certifications"
    __table_args__ = (UniqueConstraint("enrollment_id", "certified_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    official_id: Mapped[int] = mapped_column(ForeignKey("officials.id", ondelete="CASCADE"), nullable=False)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id", ondelete="CASCADE"), nullable=False)
    program: Mapped[str] = mapped_column(short(), nullable=False)
    edition_id: Mapped[str] = mapped_column(String(64), nullable=False)
    certified_on: Mapped[date] = mapped_column(Date, nullable=False)
    completion_ids: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    recorded_by: Mapped[str] = mapped_column(medium(), nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)

    status_changes: Mapped[list["CertificationStatusChange"]] = relationship(
        order_by="CertificationStatusChange.id"
    )

    @property
    def standing(self) -> str:
        """"active", "lapsed" or "revoked": the latest status change, active without one."""
        return self.status_changes[-1].status if self.status_changes else "active"


class CertificationStatusChange(Base):
    """A change of a certification's standing (lapsed, revoked, reinstated), never edited."""

    __tablename__ = "certification_status_changes"
    __table_args__ = (CheckConstraint("status IN ('active', 'lapsed', 'revoked')", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    certification_id: Mapped[int] = mapped_column(
        ForeignKey("certifications.id", ondelete="CASCADE"), nullable=False, index=True
    )
    status: Mapped[str] = mapped_column(short(), nullable=False)
    effective_on: Mapped[date] = mapped_column(Date, nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    recorded_by: Mapped[str] = mapped_column(medium(), nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)


class ContinuingEducationCycle(Base):
    """The recorded outcome of one continuing-education cycle of a certification."""

    __tablename__ = "continuing_education_cycles"
    __table_args__ = (
        UniqueConstraint("certification_id", "starts_on"),
        CheckConstraint("outcome IN ('met', 'lapsed')", name="outcome"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    certification_id: Mapped[int] = mapped_column(
        ForeignKey("certifications.id", ondelete="CASCADE"), nullable=False
    )
    starts_on: Mapped[date] = mapped_column(Date, nullable=False)
    ends_on: Mapped[date] = mapped_column(Date, nullable=False)
    outcome: Mapped[str] = mapped_column(short(), nullable=False)
    decided_on: Mapped[date] = mapped_column(Date, nullable=False)
    completion_ids: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)


class FeePayment(Base):
    """A fee an official paid (enrollment or continuing education); a refund is a new row."""

    __tablename__ = "fee_payments"
    __table_args__ = (CheckConstraint("purpose IN ('enrollment', 'continuing_education')", name="purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    official_id: Mapped[int] = mapped_column(ForeignKey("officials.id", ondelete="CASCADE"), nullable=False)
    program: Mapped[str] = mapped_column(short(), nullable=False)
    purpose: Mapped[str] = mapped_column(short(), nullable=False)
    amount_cents: Mapped[int] = mapped_column(Integer, nullable=False)
    paid_on: Mapped[date] = mapped_column(Date, nullable=False)
    # The continuing-education cycle (its first day) that the payment covers.
    covers_cycle_from: Mapped[date | None] = mapped_column(Date)
    reference: Mapped[str | None] = mapped_column(medium())
    refunds_id: Mapped[int | None] = mapped_column(ForeignKey("fee_payments.id"))
    recorded_by: Mapped[str] = mapped_column(medium(), nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
