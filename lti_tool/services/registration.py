"""Recording a platform that registered the tool through LTI Dynamic Registration."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ..models import Platform
from .audit import record_audit
from .platforms import PlatformError, find_platform, register_platform


def record_dynamic_registration(
    session: Session,
    *,
    issuer: str,
    client_id: str,
    deployment_id: str | None,
    auth_login_url: str,
    auth_token_url: str,
    keyset_url: str,
    name: str,
    details: dict,
    actor: str,
) -> Platform:
    """Store the registration and, when the platform named one, its deployment (active).

    Without a deployment id the platform is stored alone; its first launch records the deployment as
    pending for an administrator to approve. Raises PlatformError when the registration is unusable.
    """
    if deployment_id:
        return register_platform(
            session,
            issuer=issuer,
            client_id=client_id,
            deployment_id=deployment_id,
            auth_login_url=auth_login_url,
            auth_token_url=auth_token_url,
            keyset_url=keyset_url,
            name=name,
            actor=actor,
            registered_by="dynamic",
            details=details,
        )
    if find_platform(session, issuer, client_id) is not None:
        raise PlatformError(f"a platform with issuer {issuer} and client id {client_id} is already registered")
    platform = Platform(
        name=name,
        issuer=issuer,
        client_id=client_id,
        auth_login_url=auth_login_url,
        auth_token_url=auth_token_url,
        keyset_url=keyset_url,
        registered_by="dynamic",
        registration_details=details,
    )
    session.add(platform)
    session.flush()
    record_audit(
        session,
        actor=actor,
        action="platform.registered",
        subject_type="platform",
        subject_id=platform.id,
        details={"issuer": issuer, "client_id": client_id, "deployment_id": None, "by": "dynamic"},
    )
    return platform
