"""Jobs for the LMS (scores, line items, roster and grade syncs), sent by the outbox worker."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, medium, short, utcnow

JOB_STATES = ("pending", "running", "done", "dead")


class OutboxJob(Base):
    """A call to an LMS that must eventually happen, retried with backoff until it lands or dies."""

    __tablename__ = "outbox_jobs"
    __table_args__ = (
        CheckConstraint("state IN ('pending', 'running', 'done', 'dead')", name="state"),
        Index("ix_outbox_jobs_due", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(short(), nullable=False)
    platform_id: Mapped[int | None] = mapped_column(ForeignKey("platforms.id", ondelete="CASCADE"))
    payload: Mapped[dict] = mapped_column(JSON, nullable=False)
    # Jobs for the same thing (e.g. one official's score on one line item) share a key so that
    # an enqueue while one is pending does not send twice.
    dedupe_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    state: Mapped[str] = mapped_column(short(), nullable=False, default="pending")
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    give_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claimed_by: Mapped[str | None] = mapped_column(medium())
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
