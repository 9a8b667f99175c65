"""What the tool keeps in the browser during a launch: a state cookie, a cookie probe, and the launch id.

The tool runs in an LMS iframe, where browsers often block third-party cookies. So:

- the state cookie binds a login to the browser that started it (`lti_state_<state>` holds a random secret,
  the database holds its SHA-256); over HTTPS it is `Secure; HttpOnly; SameSite=None; Partitioned`;
- where the platform offers LTI platform storage (`lti_storage_target` at login), the same secret is kept in
  the platform's storage frame through postMessage, and the state says which frame (`<random>.<target>`);
- a harmless probe cookie tells the login whether cookies reach the tool in this browser context.

Over plain HTTP (development) SameSite is left unset: browsers refuse `SameSite=None` without `Secure`.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from urllib.parse import urlsplit

from flask import Response, current_app

STATE_COOKIE_PREFIX = "lti_state_"
PROBE_COOKIE = "lti_cookies_ok"
LAUNCH_COOKIE = "lti_launch"
STORAGE_FIELD = "lti_storage_binding"
STORAGE_TARGET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
PROBE_MAX_AGE = 365 * 24 * 3600


def _attributes(*, httponly: bool = True) -> dict:
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        return {"secure": True, "httponly": httponly, "samesite": "None", "partitioned": True, "path": "/"}
    return {"secure": False, "httponly": httponly, "samesite": None, "path": "/"}


def new_secret() -> str:
    """A random value nobody can guess."""
    return secrets.token_urlsafe(32)


def binding_hash(secret: str) -> str:
    """What the database keeps of a browser-binding secret."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_state(storage_target: str | None) -> str:
    """A fresh OIDC state, naming the platform storage frame when there is one."""
    state = secrets.token_urlsafe(24)
    return f"{state}.{storage_target}" if storage_target else state


def storage_target_of(state: str) -> str | None:
    """The platform storage frame a state was created for, if any."""
    _, dot, target = state.partition(".")
    return target if dot and STORAGE_TARGET_PATTERN.match(target) else None


def valid_storage_target(value: str | None) -> str | None:
    """The `lti_storage_target` login parameter when it is a plain frame name, else None."""
    return value if value and STORAGE_TARGET_PATTERN.match(value) else None


def state_cookie_name(state: str) -> str:
    return STATE_COOKIE_PREFIX + state


def set_state_cookie(response: Response, state: str, secret: str, max_age: int) -> None:
    """Bind the login `state` to this browser."""
    response.set_cookie(state_cookie_name(state), secret, max_age=max_age, **_attributes())


def clear_state_cookie(response: Response, state: str) -> None:
    """Forget a login's state cookie once the launch is done."""
    response.set_cookie(state_cookie_name(state), "", max_age=0, expires=0, **_attributes())


def set_probe_cookie(response: Response) -> None:
    """Set the cookie whose return proves cookies work in this browser context (readable by script)."""
    response.set_cookie(PROBE_COOKIE, "1", max_age=PROBE_MAX_AGE, **_attributes(httponly=False))


def set_launch_cookie(response: Response, launch_id: str, max_age: int) -> None:
    """Remember the latest launch, for pages reached without `launch=` in their URL."""
    response.set_cookie(LAUNCH_COOKIE, launch_id, max_age=max_age, **_attributes())


def origin_of(url: str) -> str:
    """The scheme and host (with port) of a URL: what postMessage targets and same-site checks compare."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def storage_key(state: str) -> str:
    """The platform storage key under which a login's binding is kept."""
    return "state_" + state
