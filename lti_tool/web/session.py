"""How a page finds the launch it runs under, and who may see it.

Pages run inside the LMS iframe, where cookies are often blocked, so the launch travels in the URL: every link
and form carries `launch=<id>` (an unguessable id of the server-side `Launch` row, valid until it expires).
The `lti_launch` cookie set at launch is accepted when the parameter is absent.

- `current_launch()` → `LaunchSession` or None (no id, unknown id, or expired).
- `@role_required("learner" | "instructor" | "admin")` refuses pages without a valid launch (401) or without
  the role (403), and marks the response `Referrer-Policy: same-origin` and `Cache-Control: no-store`.
- `launch_url_for(endpoint, **values)` builds a link that carries the launch; templates also get it, and
  `launch_field()` for the hidden input of a form.

Tenancy: a launch belongs to one platform registration (`platform_id`); an instructor's rights hold only in the
launch's course (`context_id`). Pages must scope every lookup by these (`same_platform`, `can_instruct`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

from flask import Flask, g, make_response, request, url_for
from markupsafe import Markup, escape

from ..db import db
from ..lti import claims as c
from ..lti.browser import LAUNCH_COOKIE
from ..lti.errors import LtiRefusal
from ..lti.roles import RoleSet
from ..models import Context, Official, ResourceLink, utcnow
from ..services import launches
from .errors import error_response

LAUNCH_PARAM = "launch"
ROLES = ("learner", "instructor", "admin")
_NOT_LOOKED_UP = object()


@dataclass(frozen=True)
class LaunchSession:
    """The launch a page runs under: who, from which platform, in which course and placement, with which rights."""

    id: str
    platform_id: int
    deployment_id: int
    official: Official | None
    context: Context | None
    resource_link: ResourceLink | None
    message_type: str
    claims: dict[str, Any]
    roles: RoleSet
    expires_at: datetime

    @property
    def context_id(self) -> int | None:
        return self.context.id if self.context else None

    @property
    def placement(self) -> str | None:
        """"activity" or "progress" for a resource link launch, else None."""
        return self.resource_link.kind if self.resource_link else None

    @property
    def activity_id(self) -> str | None:
        """The catalogue activity of the placement, if it is one."""
        return self.resource_link.activity_id if self.resource_link else None

    @property
    def for_user_sub(self) -> str | None:
        """The LMS user id whose work a submission review launch is about."""
        for_user = self.claims.get(c.FOR_USER)
        return for_user.get("user_id") if isinstance(for_user, dict) else None

    def same_platform(self, row: Any) -> bool:
        """Whether a row with a `platform_id` (official, context, ...) belongs to this launch's registration."""
        return getattr(row, "platform_id", None) == self.platform_id

    def can_instruct(self, context_id: int | None) -> bool:
        """Whether this launch grants instructor rights in the course `context_id` (only its own course)."""
        return self.roles.is_instructor and context_id is not None and context_id == self.context_id


def _launch_id_from_request() -> str | None:
    return request.args.get(LAUNCH_PARAM) or request.form.get(LAUNCH_PARAM) or request.cookies.get(LAUNCH_COOKIE)


def _load(launch_id: str) -> tuple[LaunchSession | None, str | None]:
    record = launches.load_launch(db.session, launch_id) if len(launch_id) <= 64 else None
    if record is None:
        return None, "no_launch"
    if record.launch.expires_at <= utcnow():
        return None, "launch_expired"
    launch = record.launch
    tool_admin = bool(record.official and record.official.is_tool_admin)
    return (
        LaunchSession(
            id=launch.id,
            platform_id=launch.platform_id,
            deployment_id=launch.deployment_id,
            official=record.official,
            context=record.context,
            resource_link=record.resource_link,
            message_type=launch.message_type,
            claims=launch.claims,
            roles=RoleSet.from_claim(launch.roles, tool_admin=tool_admin),
            expires_at=launch.expires_at,
        ),
        None,
    )


def _lookup() -> tuple[LaunchSession | None, str | None]:
    launch_id = _launch_id_from_request()
    cached = g.get("_lti_launch", _NOT_LOOKED_UP)
    if cached is _NOT_LOOKED_UP or cached[0] != launch_id:
        found = _load(launch_id) if launch_id else (None, "no_launch")
        cached = (launch_id, found)
        g._lti_launch = cached
    return cached[1]


def current_launch() -> LaunchSession | None:
    """The valid launch this request carries, or None."""
    return _lookup()[0]


def protect_launch_page(response):
    """Keep the launch id out of other sites' Referer headers and out of caches."""
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store"
    return response


def refusal_response(refusal: LtiRefusal):
    """The error page for a refused LTI request."""
    return error_response(refusal.status, refusal.title, refusal.reason, refusal.code)


def role_required(role: str) -> Callable:
    """Let the view run only under a valid launch whose roles allow `role`."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; use one of {', '.join(ROLES)}")

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            launch, problem = _lookup()
            if launch is None:
                reason = (
                    "your launch has expired; open the tool again from your course"
                    if problem == "launch_expired"
                    else "this page needs a launch from your learning platform; open the tool from your course"
                )
                response = make_response(refusal_response(LtiRefusal(problem or "no_launch", reason)))
            elif not launch.roles.allows(role):
                refusal = LtiRefusal("forbidden_role", f"this page is for the {role} role of a course")
                response = make_response(refusal_response(refusal))
            else:
                response = make_response(view(*args, **kwargs))
            return protect_launch_page(response)

        return wrapper

    return decorator


def launch_url_for(endpoint: str, **values: Any) -> str:
    """`url_for` that carries the current launch, so the link works without cookies."""
    launch = current_launch()
    if launch is not None and LAUNCH_PARAM not in values:
        values[LAUNCH_PARAM] = launch.id
    return url_for(endpoint, **values)


def launch_field() -> Markup:
    """The hidden form input that carries the current launch."""
    launch = current_launch()
    if launch is None:
        return Markup("")
    return Markup(f'<input type="hidden" name="{LAUNCH_PARAM}" value="{escape(launch.id)}">')


def register_launch_session(app: Flask) -> None:
    """Make `launch_url_for`, `launch_field` and `current_launch` available to templates."""
    app.jinja_env.globals.update(
        launch_url_for=launch_url_for, launch_field=launch_field, current_launch=current_launch
    )
