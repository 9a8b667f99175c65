"""LMS courses (contexts), placements of the tool in them (resource links) and gradebook columns."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, CreatedAt, Hundredths, UTCDateTime, medium, short, url, utcnow


class Context(CreatedAt, Base):
    """An LMS course the tool was launched from."""

    __tablename__ = "contexts"
    __table_args__ = (UniqueConstraint("platform_id", "lti_context_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id", ondelete="CASCADE"), nullable=False)
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployments.id", ondelete="CASCADE"), nullable=False)
    lti_context_id: Mapped[str] = mapped_column(medium(), nullable=False)
    label: Mapped[str | None] = mapped_column(medium())
    title: Mapped[str | None] = mapped_column(medium())
    memberships_url: Mapped[str | None] = mapped_column(url())
    lineitems_url: Mapped[str | None] = mapped_column(url())


class CourseMembership(Base):
    """An official the tool has seen in a course, with the roles they held there when last seen.

    Kept after the launch that revealed it expires, so the course's roster can be listed while the platform's
    member list (NRPS) cannot be read.
    """

    __tablename__ = "course_memberships"
    __table_args__ = (UniqueConstraint("context_id", "official_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    context_id: Mapped[int] = mapped_column(ForeignKey("contexts.id", ondelete="CASCADE"), nullable=False)
    official_id: Mapped[int] = mapped_column(ForeignKey("officials.id", ondelete="CASCADE"), nullable=False)
    # Short role names as the tool classifies them: "learner", "instructor", "admin".
    roles: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    # Where the membership was last seen: "launch" or "nrps".
    source: Mapped[str] = mapped_column(short(), nullable=False)


class ResourceLink(CreatedAt, Base):
    """A placement of the tool in a course: a catalogue activity, or the progress page."""

    __tablename__ = "resource_links"
    __table_args__ = (UniqueConstraint("context_id", "lti_resource_link_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    context_id: Mapped[int] = mapped_column(ForeignKey("contexts.id", ondelete="CASCADE"), nullable=False)
    lti_resource_link_id: Mapped[str] = mapped_column(medium(), nullable=False)
    title: Mapped[str | None] = mapped_column(medium())
    # "activity" (a catalogue activity is marked here) or "progress" (My certification progress).
    kind: Mapped[str] = mapped_column(short(), nullable=False, default="progress")
    activity_id: Mapped[str | None] = mapped_column(ForeignKey("activities.id", ondelete="SET NULL"))
    # The line item the platform created for this placement (from the AGS claim).
    lineitem_url: Mapped[str | None] = mapped_column(url())

    context: Mapped[Context] = relationship()


class LineItem(CreatedAt, Base):
    """A gradebook column in a course that the tool posts scores to or reads results from."""

    __tablename__ = "line_items"
    __table_args__ = (UniqueConstraint("context_id", "url"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    context_id: Mapped[int] = mapped_column(ForeignKey("contexts.id", ondelete="CASCADE"), nullable=False)
    url: Mapped[str] = mapped_column(url(), nullable=False)
    label: Mapped[str] = mapped_column(medium(), nullable=False)
    score_maximum: Mapped[Decimal] = mapped_column(Hundredths(), nullable=False)
    tag: Mapped[str | None] = mapped_column(medium())
    resource_id: Mapped[str | None] = mapped_column(medium())
    resource_link_id: Mapped[int | None] = mapped_column(ForeignKey("resource_links.id", ondelete="SET NULL"))
    # What the column stands for: a catalogue activity, or a programme edition's certification.
    activity_id: Mapped[str | None] = mapped_column(ForeignKey("activities.id", ondelete="SET NULL"))
    edition_id: Mapped[str | None] = mapped_column(String(64))
