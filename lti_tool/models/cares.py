"""CARES in Action: each municipality's progress on the seven racial-equity action items."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, medium, short, url, utcnow
from .people import Municipality


class CaresItemUpdate(Base):
    """A municipality's action item moving to a state; the latest update is the current state."""

    __tablename__ = "cares_item_updates"
    __table_args__ = (
        CheckConstraint("state IN ('not_started', 'in_progress', 'implemented')", name="state"),
        Index("ix_cares_item_updates_item", "municipality_id", "item_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(
        ForeignKey("municipalities.id", ondelete="CASCADE"), nullable=False
    )
    item_id: Mapped[str] = mapped_column(String(64), nullable=False)
    state: Mapped[str] = mapped_column(short(), nullable=False)
    effective_on: Mapped[date] = mapped_column(Date, nullable=False)
    evidence_url: Mapped[str | None] = mapped_column(url())
    reviewer: Mapped[str | None] = mapped_column(medium())
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(medium(), nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)

    municipality: Mapped[Municipality] = relationship()
