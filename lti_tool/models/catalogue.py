"""The catalogue: activities that earn credit and their dated sessions, loaded from rules/."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import JSON, Boolean, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, CreatedAt, Hundredths, medium, short


class Activity(CreatedAt, Base):
    """A workshop, webinar, event or institute session that can earn credit."""

    __tablename__ = "activities"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(medium(), nullable=False)
    kind: Mapped[str] = mapped_column(short(), nullable=False, default="workshop")
    hours: Mapped[Decimal | None] = mapped_column(Hundredths())
    points: Mapped[Decimal | None] = mapped_column(Hundredths())
    format: Mapped[str] = mapped_column(short(), nullable=False, default="in_person")
    provider: Mapped[str] = mapped_column(short(), nullable=False, default="ccm")
    areas: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    # IIMC point category (education, experience, advanced_education, contribution).
    category: Mapped[str | None] = mapped_column(short())
    # Share of the line item's maximum at or above which an LMS grade counts as a completion.
    passing_fraction: Mapped[Decimal] = mapped_column(Hundredths(), nullable=False, default=Decimal("0.5"))
    # When attending again earns credit again: "programme", "year" or "completion" (see rules/catalogue.yaml).
    counts_once_per: Mapped[str] = mapped_column(short(), nullable=False, default="programme")
    description: Mapped[str | None] = mapped_column(Text)
    # Other names imports may use for this activity.
    aliases: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)

    sessions: Mapped[list["ActivitySession"]] = relationship(
        back_populates="activity", order_by="ActivitySession.starts_on"
    )


class ActivitySession(CreatedAt, Base):
    """A dated sitting of an activity (what the planner can pick); its format and provider
    override the activity's (e.g. the UConn PSELC sitting of a workshop)."""

    __tablename__ = "activity_sessions"
    __table_args__ = (UniqueConstraint("activity_id", "starts_on", "place"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[str] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"), nullable=False)
    starts_on: Mapped[date] = mapped_column(Date, nullable=False, index=True)
    # Every day of a multi-day sitting, in order; the last one is when it is complete.
    dates: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    place: Mapped[str] = mapped_column(medium(), nullable=False, default="")
    format: Mapped[str | None] = mapped_column(short())
    provider: Mapped[str | None] = mapped_column(short())
    time: Mapped[str | None] = mapped_column(short())

    activity: Mapped[Activity] = relationship(back_populates="sessions")
