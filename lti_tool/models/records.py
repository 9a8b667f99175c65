"""Completions: the append-only record of what an official attended or passed."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, Hundredths, UTCDateTime, medium, short, utcnow

COMPLETION_KINDS = ("record", "reversal", "amendment", "approval")
COMPLETION_SOURCES = ("instructor", "lms_grade", "import", "admin", "self_report")


class Completion(Base):
    """One entry of an official's record; never edited or deleted.

    kind "record" states a completion; "reversal" cancels the entry named by `corrects_id`;
    "amendment" replaces the entry named by `corrects_id` with its own values; "approval" is an
    administrator accepting a self-reported entry (IIMC experience and contribution items count
    only once approved). `source_key`
    is unique per source event, so the same mark, grade or import row is never recorded twice.
    """

    __tablename__ = "completions"
    __table_args__ = (
        CheckConstraint("kind IN ('record', 'reversal', 'amendment', 'approval')", name="kind"),
        CheckConstraint(
            "source IN ('instructor', 'lms_grade', 'import', 'admin', 'self_report')", name="source"
        ),
        CheckConstraint("kind = 'record' OR corrects_id IS NOT NULL", name="correction_target"),
        Index("ix_completions_official_date", "official_id", "completed_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    official_id: Mapped[int] = mapped_column(ForeignKey("officials.id", ondelete="CASCADE"), nullable=False)
    activity_id: Mapped[str] = mapped_column(ForeignKey("activities.id"), nullable=False)
    kind: Mapped[str] = mapped_column(short(), nullable=False, default="record")
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("completions.id"), index=True)
    completed_on: Mapped[date] = mapped_column(Date, nullable=False)
    hours: Mapped[Decimal] = mapped_column(Hundredths(), nullable=False)
    # None means the catalogue's values apply.
    areas: Mapped[list | None] = mapped_column(JSON)
    format: Mapped[str | None] = mapped_column(short())
    provider: Mapped[str | None] = mapped_column(short())
    source: Mapped[str] = mapped_column(short(), nullable=False)
    source_key: Mapped[str] = mapped_column(String(255), nullable=False, unique=True)
    resource_link_id: Mapped[int | None] = mapped_column(ForeignKey("resource_links.id", ondelete="SET NULL"))
    evidence: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(medium(), nullable=False)
    recorded_from: Mapped[str | None] = mapped_column(medium())
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)

    corrects: Mapped["Completion | None"] = relationship(remote_side=[id])
