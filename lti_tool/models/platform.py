"""LMS platforms the tool is registered with, the tool's own keys, and launch bookkeeping."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, CreatedAt, UTCDateTime, medium, new_uuid, short, url


class Platform(CreatedAt, Base):
    """A registration of the tool with one LMS (issuer + client_id)."""

    __tablename__ = "platforms"
    __table_args__ = (UniqueConstraint("issuer", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(medium(), nullable=False)
    issuer: Mapped[str] = mapped_column(url(), nullable=False)
    client_id: Mapped[str] = mapped_column(medium(), nullable=False)
    auth_login_url: Mapped[str] = mapped_column(url(), nullable=False)
    auth_token_url: Mapped[str] = mapped_column(url(), nullable=False)
    keyset_url: Mapped[str] = mapped_column(url(), nullable=False)
    # Some platforms expect another audience than the token URL in client assertions.
    auth_audience: Mapped[str | None] = mapped_column(url())
    # Where the registration came from: "manual" (CLI or admin page) or "dynamic".
    registered_by: Mapped[str] = mapped_column(short(), nullable=False, default="manual")
    # The platform's openid-configuration and registration response, kept for support.
    registration_details: Mapped[dict | None] = mapped_column(JSON)

    deployments: Mapped[list["Deployment"]] = relationship(back_populates="platform", order_by="Deployment.id")


class Deployment(CreatedAt, Base):
    """A deployment id of a platform; launches from an inactive one are refused."""

    __tablename__ = "deployments"
    __table_args__ = (UniqueConstraint("platform_id", "deployment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id", ondelete="CASCADE"), nullable=False)
    deployment_id: Mapped[str] = mapped_column(medium(), nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    activated_by: Mapped[str | None] = mapped_column(medium())

    platform: Mapped[Platform] = relationship(back_populates="deployments")


class ToolKey(CreatedAt, Base):
    """A public key of the tool; the private part is the file `<kid>.pem` in KEYS_DIR."""

    __tablename__ = "tool_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    public_jwk: Mapped[dict] = mapped_column(JSON, nullable=False)
    # Set when a newer key takes over signing; the key is still published until the grace period ends.
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class LaunchState(CreatedAt, Base):
    """An OIDC login in flight: the state and nonce the tool sent to the platform."""

    __tablename__ = "launch_states"

    state: Mapped[str] = mapped_column(String(128), primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id", ondelete="CASCADE"), nullable=False)
    nonce: Mapped[str] = mapped_column(String(128), nullable=False)
    # Hash of the browser-bound value set in the state cookie (or platform storage).
    browser_binding: Mapped[str] = mapped_column(String(128), nullable=False)
    target_link_uri: Mapped[str] = mapped_column(url(), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class UsedNonce(CreatedAt, Base):
    """A nonce seen in an accepted id_token; the unique key makes replays fail on every worker."""

    __tablename__ = "used_nonces"
    __table_args__ = (UniqueConstraint("platform_id", "nonce"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id", ondelete="CASCADE"), nullable=False)
    nonce: Mapped[str] = mapped_column(String(255), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, index=True)


class Launch(CreatedAt, Base):
    """A validated launch kept server-side; the browser holds only its random id."""

    __tablename__ = "launches"

    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_uuid)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id", ondelete="CASCADE"), nullable=False)
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployments.id", ondelete="CASCADE"), nullable=False)
    official_id: Mapped[int | None] = mapped_column(ForeignKey("officials.id", ondelete="CASCADE"))
    context_id: Mapped[int | None] = mapped_column(ForeignKey("contexts.id", ondelete="CASCADE"))
    resource_link_id: Mapped[int | None] = mapped_column(ForeignKey("resource_links.id", ondelete="CASCADE"))
    message_type: Mapped[str] = mapped_column(short(), nullable=False)
    roles: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    claims: Mapped[dict] = mapped_column(JSON, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, index=True)


class AccessToken(CreatedAt, Base):
    """An OAuth2 access token from a platform, shared by every process until it expires."""

    __tablename__ = "access_tokens"
    __table_args__ = (UniqueConstraint("platform_id", "scopes"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id", ondelete="CASCADE"), nullable=False)
    scopes: Mapped[str] = mapped_column(Text, nullable=False)
    token: Mapped[str] = mapped_column(Text, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


Index("ix_launch_states_platform", LaunchState.platform_id)
