"""Recording a platform that registered the tool through LTI Dynamic Registration."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ..models import Platform
from .platforms import register_platform


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
    return register_platform(
        session,
        issuer=issuer,
        client_id=client_id,
        deployment_id=deployment_id or None,
        auth_login_url=auth_login_url,
        auth_token_url=auth_token_url,
        keyset_url=keyset_url,
        name=name,
        actor=actor,
        registered_by="dynamic",
        details=details,
    )
