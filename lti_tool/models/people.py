"""Officials (LMS users of a platform) and the municipalities they serve."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, CreatedAt, medium


class Municipality(CreatedAt, Base):
    """A town or city; some programmes are open only to CCM member municipalities."""

    __tablename__ = "municipalities"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(medium(), nullable=False, unique=True)
    ccm_member: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)


class Official(CreatedAt, Base):
    """A person known through an LMS: one per (platform, sub)."""

    __tablename__ = "officials"
    __table_args__ = (UniqueConstraint("platform_id", "sub"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id", ondelete="CASCADE"), nullable=False)
    sub: Mapped[str] = mapped_column(medium(), nullable=False)
    name: Mapped[str | None] = mapped_column(medium())
    given_name: Mapped[str | None] = mapped_column(medium())
    family_name: Mapped[str | None] = mapped_column(medium())
    email: Mapped[str | None] = mapped_column(medium())
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipalities.id", ondelete="SET NULL"))
    # A tool-level administrator, independent of LMS roles (granted from the CLI).
    is_tool_admin: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    municipality: Mapped[Municipality | None] = relationship()

    @property
    def public_name(self) -> str | None:
        """The person's name as the LMS gave it (whole, else given + family); never an email address."""
        if self.name:
            return self.name
        return " ".join(part for part in (self.given_name, self.family_name) if part) or None

    @property
    def display_name(self) -> str:
        """The name to show inside the tool: the public name, else the email, else the LMS id."""
        return self.public_name or self.email or f"LMS user {self.sub}"
