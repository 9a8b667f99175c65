"""Browser-facing protections: CSRF tokens on every form, a Content-Security-Policy that lets only the
registered platforms frame the tool, and secure cookie attributes for LMS iframes.

CSRF: pages run under a launch (see session.py), so a form's token is an HMAC of the launch id under
the app's SECRET_KEY; another site can neither read it nor compute it. The LTI endpoints themselves
(login, launch) are cross-site POSTs by design and are protected by state and nonce instead.
"""

from __future__ import annotations

import hashlib
import hmac
from flask import Flask, current_app, request
from markupsafe import Markup, escape
from ..db import db
from ..services.platforms import platform_origins
from .errors import error_response
from .session import current_launch

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# Blueprints whose state-changing requests need a CSRF token.
PROTECTED_BLUEPRINTS = {"learner", "instructor", "admin"}


def csrf_token(launch_id: str | None = None) -> str:
    """The CSRF token of a launch (default: the current one); empty without a launch."""
    if launch_id is None:
        launch = current_launch()
        if launch is None:
            return ""
        launch_id = launch.id
    key = current_app.config["SECRET_KEY"].encode("utf-8")
    return hmac.new(key, f"csrf|{launch_id}".encode("utf-8"), hashlib.sha256).hexdigest()


def csrf_field() -> Markup:
    """The hidden inputs a form needs: the launch it runs under and its CSRF token."""
    launch = current_launch()
    if launch is None:
        return Markup("")
    return Markup(
        f'<input type="hidden" name="launch" value="{escape(launch.id)}">'
        f'<input type="hidden" name="{CSRF_FIELD}" value="{escape(csrf_token(launch.id))}">'
    )


def _check_csrf():
    if request.method not in UNSAFE_METHODS or request.blueprint not in PROTECTED_BLUEPRINTS:
        return None
    launch = current_launch()
    sent = request.form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or ""
    if launch is None or not sent or not hmac.compare_digest(sent, csrf_token(launch.id)):
        return error_response(
            400,
            "The form could not be accepted",
            "The form was not sent from this tool's own page, or the page is too old. Reload it and try again.",
            "csrf_failed",
        )
    return None


def _page_policy() -> str:
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'"
    )


def _secure_headers(response):
    ancestors = " ".join(["frame-ancestors 'self'", *platform_origins.get(db.session)])
    policy = response.headers.get("Content-Security-Policy")
    if policy is None:
        response.headers["Content-Security-Policy"] = f"{_page_policy()}; {ancestors}"
    elif "frame-ancestors" not in policy:
        response.headers["Content-Security-Policy"] = f"{policy}; {ancestors}"
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    if response.headers.get("Set-Cookie") and current_app.config.get("SESSION_COOKIE_SECURE"):
        cookies = response.headers.getlist("Set-Cookie")
        del response.headers["Set-Cookie"]
        for cookie in cookies:
            if "Partitioned" not in cookie and "SameSite=None" in cookie:
                cookie = f"{cookie}; Partitioned"
            response.headers.add("Set-Cookie", cookie)
    return response


def register_security(app: Flask) -> None:
    """Check CSRF tokens, set the security headers, and offer `csrf_field()` to templates."""
    app.before_request(_check_csrf)
    app.after_request(_secure_headers)
    app.jinja_env.globals.update(csrf_field=csrf_field, csrf_token=csrf_token)
