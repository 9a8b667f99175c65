"""One-line makers of test data (gen_*): each flushes and returns the model object."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

from lti_tool.models import (
    Activity,
    Context,
    Deployment,
    Enrollment,
    Municipality,
    Official,
    Platform,
    ResourceLink,
)
from lti_tool.services import completions

_counter = itertools.count(1)


def _next() -> int:
    return next(_counter)


def gen_platform(session, *, issuer: str | None = None, client_id: str = "client-1", deployment_id: str = "1",
                 active: bool = True, name: str = "Test Moodle") -> Platform:
    n = _next()
    issuer = issuer or f"https://lms{n}.example.org"
    platform = Platform(
        name=name,
        issuer=issuer,
        client_id=client_id,
        auth_login_url=f"{issuer}/mod/lti/auth.php",
        auth_token_url=f"{issuer}/mod/lti/token.php",
        keyset_url=f"{issuer}/mod/lti/certs.php",
    )
    session.add(platform)
    session.flush()
    session.add(Deployment(platform_id=platform.id, deployment_id=deployment_id, active=active))
    session.flush()
    return platform


def gen_municipality(session, name: str | None = None, *, ccm_member: bool = True) -> Municipality:
    municipality = Municipality(name=name or f"Town {_next()}", ccm_member=ccm_member)
    session.add(municipality)
    session.flush()
    return municipality


def gen_official(session, *, platform: Platform | None = None, name: str | None = None, email: str | None = None,
                 municipality: Municipality | None = None, sub: str | None = None) -> Official:
    platform = platform or gen_platform(session)
    n = _next()
    official = Official(
        platform_id=platform.id,
        sub=sub or str(n),
        name=name or f"Official {n}",
        email=email,
        municipality_id=municipality.id if municipality else None,
    )
    session.add(official)
    session.flush()
    return official


def gen_activity(session, activity_id: str | None = None, *, title: str | None = None, hours: str = "3",
                 areas: list[str] | None = None, format: str = "in_person", provider: str = "ccm",
                 kind: str = "workshop", category: str | None = None) -> Activity:
    activity_id = activity_id or f"activity-{_next()}"
    activity = Activity(
        id=activity_id,
        title=title or activity_id.replace("-", " ").title(),
        kind=kind,
        hours=Decimal(hours),
        format=format,
        provider=provider,
        areas=areas or [],
        category=category,
    )
    session.add(activity)
    session.flush()
    return activity


def gen_completion(session, official: Official, activity: Activity, on: date | str, *, source: str = "admin",
                   hours: str | None = None, source_key: str | None = None, recorded_by: str = "test"):
    day = date.fromisoformat(on) if isinstance(on, str) else on
    row, _ = completions.record_completion(
        session,
        official=official,
        activity=activity,
        completed_on=day,
        hours=hours,
        source=source,
        source_key=source_key or f"test:{_next()}",
        recorded_by=recorded_by,
    )
    return row


def gen_enrollment(session, official: Official, edition_id: str = "ccmo-classic", on: date | str = "2025-03-15",
                   program: str | None = None) -> Enrollment:
    day = date.fromisoformat(on) if isinstance(on, str) else on
    enrollment = Enrollment(
        official_id=official.id,
        program=program or edition_id.split("-")[0],
        edition_id=edition_id,
        enrolled_on=day,
        recorded_by="test",
    )
    session.add(enrollment)
    session.flush()
    return enrollment


def gen_context(session, platform: Platform, lti_context_id: str = "2", title: str = "CCMO Academy") -> Context:
    deployment = platform.deployments[0] if platform.deployments else None
    context = Context(platform_id=platform.id, deployment_id=deployment.id, lti_context_id=lti_context_id, title=title)
    session.add(context)
    session.flush()
    return context


def gen_resource_link(session, context: Context, lti_resource_link_id: str | None = None, *,
                      activity: Activity | None = None, title: str = "Workshop") -> ResourceLink:
    link = ResourceLink(
        context_id=context.id,
        lti_resource_link_id=lti_resource_link_id or str(_next()),
        title=title,
        kind="activity" if activity else "progress",
        activity_id=activity.id if activity else None,
    )
    session.add(link)
    session.flush()
    return link


LEARNER_ROLE = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
INSTRUCTOR_ROLE = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
ADMIN_ROLE = "http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator"


def gen_launch(session, official: Official, *, roles: list[str] | None = None, context: Context | None = None,
               resource_link: ResourceLink | None = None, message_type: str = "LtiResourceLinkRequest",
               claims: dict | None = None, minutes: int = 60):
    """A validated launch as the LTI endpoint stores it; pages find it by `?launch=<id>`."""
    from datetime import timedelta

    from lti_tool.models import Launch, Platform, utcnow

    platform = session.get(Platform, official.platform_id)
    launch = Launch(
        platform_id=platform.id,
        deployment_id=platform.deployments[0].id,
        official_id=official.id,
        context_id=context.id if context else None,
        resource_link_id=resource_link.id if resource_link else None,
        message_type=message_type,
        roles=roles if roles is not None else [LEARNER_ROLE],
        claims=claims or {},
        expires_at=utcnow() + timedelta(minutes=minutes),
    )
    session.add(launch)
    session.flush()
    return launch
