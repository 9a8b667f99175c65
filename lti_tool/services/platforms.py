"""Registering LMS platforms and their deployments."""

from __future__ import annotations

import threading
import time
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ..models import Deployment, Platform, utcnow
from .audit import record_audit


ORIGINS_TTL_SECONDS = 60


class _PlatformOrigins:
    """The web origins of every registered platform, cached for a minute (they change rarely, and are
    needed on every response for the frame-ancestors policy). A registration in this process clears it."""

    def __init__(self) -> None:
        self._value: tuple[str, ...] | None = None
        self._loaded_at = 0.0
        self._lock = threading.Lock()

    def get(self, session: Session) -> tuple[str, ...]:
        now = time.monotonic()
        value = self._value
        if value is None or now - self._loaded_at > ORIGINS_TTL_SECONDS:
            origins = set()
            for issuer, login_url in session.execute(select(Platform.issuer, Platform.auth_login_url)):
                for address in (issuer, login_url):
                    parts = urlsplit(address or "")
                    if parts.scheme in ("http", "https") and parts.netloc:
                        origins.add(f"{parts.scheme}://{parts.netloc}")
            value = tuple(sorted(origins))
            with self._lock:
                self._value, self._loaded_at = value, now
        return value

    def invalidate(self) -> None:
        with self._lock:
            self._value = None


platform_origins = _PlatformOrigins()


class PlatformError(ValueError):
    """A registration that cannot be accepted, with the reason in words."""


def _check_url(name: str, value: str) -> str:
    parts = urlsplit(value or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise PlatformError(f"{name} must be an absolute http(s) URL, got {value!r}")
    return value


def find_platform(session: Session, issuer: str, client_id: str) -> Platform | None:
    """The registration for (issuer, client_id), if any."""
    return session.scalars(
        select(Platform).where(Platform.issuer == issuer, Platform.client_id == client_id)
    ).first()


def register_platform(
    session: Session,
    *,
    issuer: str,
    client_id: str,
    deployment_id: str | None,
    auth_login_url: str,
    auth_token_url: str,
    keyset_url: str,
    name: str | None = None,
    actor: str,
    registered_by: str = "manual",
    details: dict | None = None,
) -> Platform:
    """Record a platform registration with one active deployment; without a deployment id (a dynamic
    registration that named none), its first launch records the deployment as pending for approval."""
    # The issuer is compared exactly at launch, so it is stored exactly as given.
    _check_url("--issuer", issuer)
    for label, value in (
        ("--auth-login-url", auth_login_url),
        ("--auth-token-url", auth_token_url),
        ("--keyset-url", keyset_url),
    ):
        _check_url(label, value)
    if not client_id or not client_id.strip():
        raise PlatformError("--client-id must not be empty")
    if deployment_id is not None and not deployment_id.strip():
        raise PlatformError("--deployment-id must not be empty")
    if find_platform(session, issuer, client_id) is not None:
        raise PlatformError(f"a platform with issuer {issuer} and client id {client_id} is already registered")
    platform = Platform(
        name=name or urlsplit(issuer).netloc,
        issuer=issuer,
        client_id=client_id,
        auth_login_url=auth_login_url,
        auth_token_url=auth_token_url,
        keyset_url=keyset_url,
        registered_by=registered_by,
        registration_details=details,
    )
    session.add(platform)
    session.flush()
    platform_origins.invalidate()
    if deployment_id is not None:
        add_deployment(session, platform, deployment_id, active=True, actor=actor)
    record_audit(
        session,
        actor=actor,
        action="platform.registered",
        subject_type="platform",
        subject_id=platform.id,
        details={"issuer": issuer, "client_id": client_id, "deployment_id": deployment_id, "by": registered_by},
    )
    return platform


def add_deployment(session: Session, platform: Platform, deployment_id: str, *, active: bool, actor: str) -> Deployment:
    """Record a deployment of a platform (inactive ones wait for an administrator)."""
    deployment = Deployment(
        platform_id=platform.id,
        deployment_id=deployment_id,
        active=active,
        activated_at=utcnow() if active else None,
        activated_by=actor if active else None,
    )
    session.add(deployment)
    session.flush()
    record_audit(
        session,
        actor=actor,
        action="deployment.added" if active else "deployment.pending",
        subject_type="deployment",
        subject_id=deployment.id,
        details={"platform_id": platform.id, "deployment_id": deployment_id, "active": active},
    )
    return deployment


def activate_deployment(session: Session, deployment: Deployment, *, actor: str) -> Deployment:
    """Allow launches from a deployment that was recorded inactive."""
    deployment.active = True
    deployment.activated_at = utcnow()
    deployment.activated_by = actor
    session.flush()
    record_audit(session, actor=actor, action="deployment.activated", subject_type="deployment", subject_id=deployment.id)
    return deployment


def list_platforms(session: Session) -> list[Platform]:
    """Every registration with its deployments, oldest first."""
    return list(session.scalars(select(Platform).options(selectinload(Platform.deployments)).order_by(Platform.id)))
