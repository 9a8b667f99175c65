"""Launch bookkeeping: login states, single-use nonces, and what a validated launch writes.

Everything a second worker would need lives in the database: a state is consumed by an UPDATE that must hit
exactly one unused row, a nonce by an INSERT on a unique key, so two workers can never both accept the same
login or token. Upserts are single `INSERT ... ON CONFLICT` statements (SQLite and PostgreSQL).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import Activity, Context, Deployment, Launch, LaunchState, Official, Platform, ResourceLink, UsedNonce
from ..lti import claims as c
from .platforms import add_deployment

log = logging.getLogger(__name__)

MEDIUM = 255
URL = 2048
PROGRESS, ACTIVITY = "progress", "activity"


class AmbiguousPlatform(LookupError):
    """Several registrations share the issuer and the login did not say which client it is for."""


def find_login_platform(session: Session, issuer: str, client_id: str | None) -> Platform | None:
    """The registration a login initiation is for: by issuer and client id, or by issuer alone if unique."""
    query = select(Platform).where(Platform.issuer == issuer)
    if client_id:
        return session.scalars(query.where(Platform.client_id == client_id)).first()
    candidates = list(session.scalars(query.limit(2)))
    if len(candidates) > 1:
        raise AmbiguousPlatform(issuer)
    return candidates[0] if candidates else None


def create_login_state(
    session: Session,
    *,
    platform_id: int,
    state: str,
    nonce: str,
    browser_binding: str,
    target_link_uri: str,
    expires_at: datetime,
) -> None:
    """Record an OIDC login in flight."""
    session.execute(
        LaunchState.__table__.insert().values(
            state=state,
            platform_id=platform_id,
            nonce=nonce,
            browser_binding=browser_binding,
            target_link_uri=target_link_uri,
            expires_at=expires_at,
        )
    )


def load_state(session: Session, state: str) -> tuple[LaunchState, Platform] | None:
    """The login state (used or not) and its platform."""
    row = session.execute(
        select(LaunchState, Platform).join(Platform, Platform.id == LaunchState.platform_id).where(LaunchState.state == state)
    ).first()
    return (row[0], row[1]) if row else None


def find_deployment(session: Session, platform_id: int, deployment_id: str) -> Deployment | None:
    """A deployment of the platform by the id the platform uses."""
    return session.scalars(
        select(Deployment).where(Deployment.platform_id == platform_id, Deployment.deployment_id == deployment_id)
    ).first()


def record_pending_deployment(session: Session, platform: Platform, deployment_id: str) -> None:
    """Record an unknown deployment inactive, for an administrator to approve (idempotent across workers)."""
    try:
        add_deployment(session, platform, deployment_id, active=False, actor=f"lti-launch:{platform.issuer}")
        session.commit()
    except IntegrityError:
        session.rollback()  # another worker recorded it first


def claim_nonce(session: Session, platform_id: int, nonce: str, expires_at: datetime, now: datetime) -> bool:
    """Mark a token nonce used; False when it was used before (on any worker)."""
    table = UsedNonce.__table__
    statement = (
        _insert(session, table)
        .values(platform_id=platform_id, nonce=nonce, expires_at=expires_at, created_at=now)
        .on_conflict_do_nothing(index_elements=["platform_id", "nonce"])
        .returning(table.c.id)
    )
    return session.execute(statement).first() is not None


def consume_state(session: Session, state: str, now: datetime) -> bool:
    """Mark a login state used; False when it was already used."""
    table = LaunchState.__table__
    result = session.execute(
        update(table).where(table.c.state == state, table.c.used_at.is_(None)).values(used_at=now)
    )
    return result.rowcount == 1


@dataclass(frozen=True)
class StoredLaunch:
    launch_id: str
    official_id: int
    is_tool_admin: bool
    context_id: int | None
    resource_link_id: int | None
    placement: str | None


def store_launch(
    session: Session,
    *,
    launch_id: str,
    platform_id: int,
    deployment_id: int,
    claims: dict[str, Any],
    expires_at: datetime,
    now: datetime,
) -> StoredLaunch:
    """Upsert the official, course and placement named by a validated launch, and keep the launch server-side."""
    official_id, is_tool_admin = _upsert_official(session, platform_id, claims, now)
    context_id = resource_link_id = placement = None
    context_claim = claims.get(c.CONTEXT)
    if isinstance(context_claim, dict):
        context_id = _upsert_context(session, platform_id, deployment_id, context_claim, claims, now)
        link_claim = claims.get(c.RESOURCE_LINK)
        if isinstance(link_claim, dict) and link_claim.get("id"):
            resource_link_id, placement = _upsert_resource_link(session, context_id, link_claim, claims, now)
    session.execute(
        Launch.__table__.insert().values(
            id=launch_id,
            platform_id=platform_id,
            deployment_id=deployment_id,
            official_id=official_id,
            context_id=context_id,
            resource_link_id=resource_link_id,
            message_type=claims[c.MESSAGE_TYPE],
            roles=claims.get(c.ROLES) or [],
            claims=claims,
            expires_at=expires_at,
            created_at=now,
        )
    )
    return StoredLaunch(launch_id, official_id, is_tool_admin, context_id, resource_link_id, placement)


def _insert(session: Session, table):
    return (postgresql if session.get_bind().dialect.name == "postgresql" else sqlite).insert(table)


def _text(value: Any, limit: int = MEDIUM) -> str | None:
    return value[:limit] if isinstance(value, str) and value else None


def _upsert_official(session: Session, platform_id: int, claims: dict[str, Any], now: datetime) -> tuple[int, bool]:
    table = Official.__table__
    details = {
        name: _text(claims.get(name)) for name in ("name", "given_name", "family_name", "email") if _text(claims.get(name))
    }
    statement = _insert(session, table).values(
        platform_id=platform_id, sub=claims["sub"], is_tool_admin=False, created_at=now, **details
    )
    # Only the personal details the platform sent are refreshed: a launch without them keeps what was known.
    changes = {name: statement.excluded[name] for name in details} or {"sub": statement.excluded.sub}
    statement = statement.on_conflict_do_update(index_elements=["platform_id", "sub"], set_=changes).returning(
        table.c.id, table.c.is_tool_admin
    )
    row = session.execute(statement).one()
    return row.id, bool(row.is_tool_admin)


def _keep_unless_sent(statement, table, name: str):
    return func.coalesce(statement.excluded[name], table.c[name])


def _upsert_context(
    session: Session, platform_id: int, deployment_id: int, context_claim: dict, claims: dict[str, Any], now: datetime
) -> int:
    table = Context.__table__
    ags = claims.get(c.AGS_ENDPOINT) if isinstance(claims.get(c.AGS_ENDPOINT), dict) else {}
    nrps = claims.get(c.NRPS) if isinstance(claims.get(c.NRPS), dict) else {}
    statement = _insert(session, table).values(
        platform_id=platform_id,
        deployment_id=deployment_id,
        lti_context_id=context_claim["id"],
        label=_text(context_claim.get("label")),
        title=_text(context_claim.get("title")),
        memberships_url=_text(nrps.get("context_memberships_url"), URL),
        lineitems_url=_text(ags.get("lineitems"), URL),
        created_at=now,
    )
    changes = {
        name: _keep_unless_sent(statement, table, name) for name in ("label", "title", "memberships_url", "lineitems_url")
    }
    statement = statement.on_conflict_do_update(index_elements=["platform_id", "lti_context_id"], set_=changes)
    return session.execute(statement.returning(table.c.id)).scalar_one()


def placement_of(session: Session, custom: Any) -> tuple[str, str | None]:
    """The kind of placement and catalogue activity named by a launch's custom parameters."""
    custom = custom if isinstance(custom, dict) else {}
    activity_id = custom.get(c.CUSTOM_ACTIVITY)
    if isinstance(activity_id, str) and activity_id:
        known = session.scalar(select(Activity.id).where(Activity.id == activity_id))
        if known is not None:
            return ACTIVITY, known
        log.warning("a placement names activity %r, which is not in the catalogue", activity_id)
    return PROGRESS, None


def _upsert_resource_link(
    session: Session, context_id: int, link_claim: dict, claims: dict[str, Any], now: datetime
) -> tuple[int, str]:
    table = ResourceLink.__table__
    kind, activity_id = placement_of(session, claims.get(c.CUSTOM))
    ags = claims.get(c.AGS_ENDPOINT) if isinstance(claims.get(c.AGS_ENDPOINT), dict) else {}
    statement = _insert(session, table).values(
        context_id=context_id,
        lti_resource_link_id=link_claim["id"],
        title=_text(link_claim.get("title")),
        kind=kind,
        activity_id=activity_id,
        lineitem_url=_text(ags.get("lineitem"), URL),
        created_at=now,
    )
    changes = {
        "title": _keep_unless_sent(statement, table, "title"),
        "lineitem_url": _keep_unless_sent(statement, table, "lineitem_url"),
        "kind": statement.excluded.kind,
        "activity_id": statement.excluded.activity_id,
    }
    statement = statement.on_conflict_do_update(index_elements=["context_id", "lti_resource_link_id"], set_=changes)
    return session.execute(statement.returning(table.c.id)).scalar_one(), kind


@dataclass(frozen=True)
class LaunchRecord:
    """A stored launch with the rows it names."""

    launch: Launch
    official: Official | None
    context: Context | None
    resource_link: ResourceLink | None


def load_launch(session: Session, launch_id: str) -> LaunchRecord | None:
    """A stored launch with its official, course and placement (expired or not)."""
    row = session.execute(
        select(Launch, Official, Context, ResourceLink)
        .outerjoin(Official, Official.id == Launch.official_id)
        .outerjoin(Context, Context.id == Launch.context_id)
        .outerjoin(ResourceLink, ResourceLink.id == Launch.resource_link_id)
        .where(Launch.id == launch_id)
    ).first()
    return LaunchRecord(*row) if row else None


def find_official(session: Session, platform_id: int, sub: str) -> Official | None:
    """The official a platform knows as `sub` (never one of another platform)."""
    return session.scalars(select(Official).where(Official.platform_id == platform_id, Official.sub == sub)).first()


def deep_link_choices(session: Session) -> list[Activity]:
    """Catalogue activities an instructor can place in a course, by title."""
    return list(session.scalars(select(Activity).where(Activity.active.is_(True)).order_by(Activity.title, Activity.id)))


def find_activity(session: Session, activity_id: str) -> Activity | None:
    """A catalogue activity by id."""
    return session.get(Activity, activity_id)


def purge_expired(session: Session, now: datetime) -> None:
    """Delete expired login states, nonces and launches."""
    for model in (LaunchState, UsedNonce, Launch):
        session.execute(delete(model.__table__).where(model.__table__.c.expires_at < now))
