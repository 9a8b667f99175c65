"""Launch bookkeeping: login states, single-use nonces, and what a validated launch writes.

Everything a second worker would need lives in the database: a state is consumed by an UPDATE that must hit
exactly one unused row, a nonce by an INSERT on a unique key, so two workers can never both accept the same
login or token. Upserts are single `INSERT ... ON CONFLICT` statements (SQLite and PostgreSQL).
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import Activity, Context, Deployment, Launch, LaunchState, Official, Platform, ResourceLink, UsedNonce
from ..models.base import MEDIUM, URL
from ..lti import claims as c
from .members import course_role_names, membership_upsert
from .platforms import add_deployment

log = logging.getLogger(__name__)

PROGRESS, ACTIVITY = "progress", "activity"


class AmbiguousPlatform(LookupError):
    """Several registrations share the issuer and the login did not say which client it is for."""


def find_login_platform(session: Session, issuer: str, client_id: str | None) -> Row | None:
    """The registration (id, client_id, auth_login_url) a login initiation is for: by issuer and client id,
    or by issuer alone when it has a single registration."""
    statements, connection = _statements(session), session.connection()
    if client_id:
        return connection.execute(statements.find_platform, {"wanted_issuer": issuer, "wanted_client": client_id}).first()
    candidates = connection.execute(statements.find_platforms_of_issuer, {"wanted_issuer": issuer}).fetchall()
    if len(candidates) > 1:
        raise AmbiguousPlatform(issuer)
    return candidates[0] if candidates else None


class _Statements:
    """The launch path's statements, built once per database dialect (building them costs more than running them)."""

    def __init__(self, dialect: str) -> None:
        insert = (postgresql if dialect == "postgresql" else sqlite).insert
        states, platforms = LaunchState.__table__, Platform.__table__
        login_columns = select(platforms.c.id, platforms.c.client_id, platforms.c.auth_login_url)
        self.find_platforms_of_issuer = login_columns.where(platforms.c.issuer == bindparam("wanted_issuer")).limit(2)
        self.find_platform = login_columns.where(
            platforms.c.issuer == bindparam("wanted_issuer"), platforms.c.client_id == bindparam("wanted_client")
        )
        self.insert_state = states.insert()
        deployments = Deployment.__table__
        self.load_state = (
            select(
                states.c.state,
                states.c.nonce,
                states.c.browser_binding,
                states.c.target_link_uri,
                states.c.expires_at,
                platforms.c.id.label("platform_id"),
                platforms.c.name.label("platform_name"),
                platforms.c.issuer,
                platforms.c.client_id,
                platforms.c.keyset_url,
                platforms.c.auth_login_url,
                deployments.c.id.label("deployment_row_id"),
                deployments.c.active.label("deployment_active"),
            )
            .join(platforms, platforms.c.id == states.c.platform_id)
            .outerjoin(
                deployments,
                (deployments.c.platform_id == states.c.platform_id)
                & (deployments.c.deployment_id == bindparam("wanted_deployment")),
            )
            .where(states.c.state == bindparam("wanted_state"))
        )
        nonces = UsedNonce.__table__
        self.claim_nonce = (
            insert(nonces).on_conflict_do_nothing(index_elements=["platform_id", "nonce"]).returning(nonces.c.id)
        )
        self.consume_state = (
            update(states)
            .where(states.c.state == bindparam("wanted_state"), states.c.used_at.is_(None))
            .values(used_at=bindparam("now"))
        )
        officials = Official.__table__
        upsert = insert(officials)
        # Personal details the platform did not send (NULL) keep what was known.
        self.upsert_official = upsert.on_conflict_do_update(
            index_elements=["platform_id", "sub"],
            set_={name: _sent_or_kept(upsert, officials, name) for name in PERSONAL_DETAILS},
        ).returning(officials.c.id, officials.c.is_tool_admin)
        contexts = Context.__table__
        upsert = insert(contexts)
        self.upsert_context = upsert.on_conflict_do_update(
            index_elements=["platform_id", "lti_context_id"],
            set_={name: _sent_or_kept(upsert, contexts, name) for name in ("label", "title", "memberships_url", "lineitems_url")},
        ).returning(contexts.c.id)
        self.upsert_membership = membership_upsert(insert)
        links = ResourceLink.__table__
        upsert = insert(links)
        self.upsert_resource_link = upsert.on_conflict_do_update(
            index_elements=["context_id", "lti_resource_link_id"],
            set_={
                "title": _sent_or_kept(upsert, links, "title"),
                "lineitem_url": _sent_or_kept(upsert, links, "lineitem_url"),
                "kind": upsert.excluded.kind,
                "activity_id": upsert.excluded.activity_id,
            },
        ).returning(links.c.id)
        self.activity_exists = select(Activity.__table__.c.id).where(Activity.__table__.c.id == bindparam("wanted_activity"))
        self.insert_launch = Launch.__table__.insert()


PERSONAL_DETAILS = ("name", "given_name", "family_name", "email")


def _sent_or_kept(upsert, table, name: str):
    return func.coalesce(upsert.excluded[name], table.c[name])


@functools.cache
def _statements_for(dialect: str) -> _Statements:
    return _Statements(dialect)


def _statements(session: Session) -> _Statements:
    return _statements_for(session.get_bind().dialect.name)


def create_login_state(
    session: Session,
    *,
    platform_id: int,
    state: str,
    nonce: str,
    browser_binding: str,
    target_link_uri: str,
    expires_at: datetime,
    now: datetime,
) -> None:
    """Record an OIDC login in flight."""
    session.connection().execute(
        _statements(session).insert_state,
        {
            "state": state,
            "platform_id": platform_id,
            "nonce": nonce,
            "browser_binding": browser_binding,
            "target_link_uri": target_link_uri,
            "expires_at": expires_at,
            "created_at": now,
        },
    )


def load_state(session: Session, state: str, deployment_id: str) -> Row | None:
    """The login state (used or not) with what the launch needs of its platform and of the deployment the
    token names: state, nonce, browser_binding, target_link_uri, expires_at, platform_id, platform_name, issuer,
    client_id, keyset_url, auth_login_url, deployment_row_id and deployment_active (None when unknown)."""
    parameters = {"wanted_state": state, "wanted_deployment": deployment_id}
    return session.connection().execute(_statements(session).load_state, parameters).first()


def find_deployment(session: Session, platform_id: int, deployment_id: str) -> Deployment | None:
    """A deployment of the platform by the id the platform uses."""
    return session.scalars(
        select(Deployment).where(Deployment.platform_id == platform_id, Deployment.deployment_id == deployment_id)
    ).first()


def record_pending_deployment(session: Session, platform_id: int, deployment_id: str) -> None:
    """Record an unknown deployment inactive, for an administrator to approve (idempotent across workers)."""
    platform = session.get(Platform, platform_id)
    try:
        add_deployment(session, platform, deployment_id, active=False, actor=f"lti-launch:{platform.issuer}")
        session.commit()
    except IntegrityError:
        session.rollback()  # another worker recorded it first


def claim_nonce(session: Session, platform_id: int, nonce: str, expires_at: datetime, now: datetime) -> bool:
    """Mark a token nonce used; False when it was used before (on any worker)."""
    row = (
        session.connection()
        .execute(
            _statements(session).claim_nonce,
            {"platform_id": platform_id, "nonce": nonce, "expires_at": expires_at, "created_at": now},
        )
        .first()
    )
    return row is not None


def consume_state(session: Session, state: str, now: datetime) -> bool:
    """Mark a login state used; False when it was already used."""
    result = session.connection().execute(_statements(session).consume_state, {"wanted_state": state, "now": now})
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
    """Upsert the official, course, the official's membership of the course (with the launch's roles) and
    placement named by a validated launch, and keep the launch server-side."""
    statements, connection = _statements(session), session.connection()
    official = connection.execute(
        statements.upsert_official,
        {
            "platform_id": platform_id,
            "sub": claims["sub"],
            "is_tool_admin": False,
            "created_at": now,
            **{name: _text(claims.get(name)) for name in PERSONAL_DETAILS},
        },
    ).one()
    context_id = resource_link_id = placement = None
    context_claim = claims.get(c.CONTEXT)
    ags = _claim_dict(claims, c.AGS_ENDPOINT)
    if isinstance(context_claim, dict):
        nrps = _claim_dict(claims, c.NRPS)
        context_id = connection.execute(
            statements.upsert_context,
            {
                "platform_id": platform_id,
                "deployment_id": deployment_id,
                "lti_context_id": context_claim["id"],
                "label": _text(context_claim.get("label")),
                "title": _text(context_claim.get("title")),
                "memberships_url": _text(nrps.get("context_memberships_url"), URL),
                "lineitems_url": _text(ags.get("lineitems"), URL),
                "created_at": now,
            },
        ).scalar_one()
        connection.execute(
            statements.upsert_membership,
            {
                "context_id": context_id,
                "official_id": official.id,
                "roles": course_role_names(claims.get(c.ROLES)),
                "first_seen_at": now,
                "last_seen_at": now,
                "source": "launch",
            },
        )
        link_claim = claims.get(c.RESOURCE_LINK)
        if isinstance(link_claim, dict) and link_claim.get("id"):
            placement, activity_id = placement_of(session, claims.get(c.CUSTOM))
            resource_link_id = connection.execute(
                statements.upsert_resource_link,
                {
                    "context_id": context_id,
                    "lti_resource_link_id": link_claim["id"],
                    "title": _text(link_claim.get("title")),
                    "kind": placement,
                    "activity_id": activity_id,
                    "lineitem_url": _text(ags.get("lineitem"), URL),
                    "created_at": now,
                },
            ).scalar_one()
    connection.execute(
        statements.insert_launch,
        {
            "id": launch_id,
            "platform_id": platform_id,
            "deployment_id": deployment_id,
            "official_id": official.id,
            "context_id": context_id,
            "resource_link_id": resource_link_id,
            "message_type": claims[c.MESSAGE_TYPE],
            "roles": claims.get(c.ROLES) or [],
            "claims": claims,
            "expires_at": expires_at,
            "created_at": now,
        },
    )
    return StoredLaunch(launch_id, official.id, bool(official.is_tool_admin), context_id, resource_link_id, placement)


def _claim_dict(claims: dict[str, Any], name: str) -> dict[str, Any]:
    value = claims.get(name)
    return value if isinstance(value, dict) else {}


def _text(value: Any, limit: int = MEDIUM) -> str | None:
    return value[:limit] if isinstance(value, str) and value else None


def placement_of(session: Session, custom: Any) -> tuple[str, str | None]:
    """The kind of placement and catalogue activity named by a launch's custom parameters."""
    custom = custom if isinstance(custom, dict) else {}
    activity_id = custom.get(c.CUSTOM_ACTIVITY)
    if isinstance(activity_id, str) and activity_id:
        known = session.connection().execute(_statements(session).activity_exists, {"wanted_activity": activity_id}).scalar()
        if known is not None:
            return ACTIVITY, known
        log.warning("a placement names activity %r, which is not in the catalogue", activity_id)
    return PROGRESS, None


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
