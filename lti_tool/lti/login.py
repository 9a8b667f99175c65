"""OIDC third-party login initiation: remember the login, then send the browser to the platform."""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Mapping
from urllib.parse import urlencode

from ..db import db
from ..models import utcnow
from ..services import launches
from . import browser
from .errors import LtiRefusal
from .settings import LAUNCH_PATH, setting, tool_url


MAX_URL_LENGTH = 2048


@dataclass(frozen=True)
class LoginStarted:
    """A recorded login: where the browser goes next and what it must keep."""

    auth_url: str
    state: str
    binding_secret: str
    storage_target: str | None
    platform_origin: str


def _required(params: Mapping[str, str], name: str) -> str:
    value = (params.get(name) or "").strip()
    if not value:
        raise LtiRefusal(f"missing_{name}", f"the login initiation has no {name} parameter")
    return value


def start_login(params: Mapping[str, str]) -> LoginStarted:
    """Check a login initiation, record its state and nonce, and build the platform's authentication URL."""
    issuer = _required(params, "iss")
    login_hint = _required(params, "login_hint")
    target_link_uri = _required(params, "target_link_uri")
    outside_tool = browser.origin_of(target_link_uri) != browser.origin_of(tool_url("/"))
    if len(target_link_uri) > MAX_URL_LENGTH or outside_tool:
        raise LtiRefusal("bad_target_link_uri", f"{target_link_uri!r} is not an address of this tool")
    client_id = (params.get("client_id") or "").strip() or None
    session = db.session
    try:
        platform = launches.find_login_platform(session, issuer, client_id)
    except launches.AmbiguousPlatform:
        raise LtiRefusal("ambiguous_platform", f"{issuer} has several registrations; the login must send client_id") from None
    if platform is None:
        known = f"issuer {issuer!r}" + (f" with client id {client_id!r}" if client_id else "")
        raise LtiRefusal("unknown_platform", f"no platform is registered for {known}")

    storage_target = browser.valid_storage_target(params.get("lti_storage_target"))
    state = browser.new_state(storage_target)
    nonce = secrets.token_urlsafe(32)
    secret = browser.new_secret()
    now = utcnow()
    with db.transaction():
        launches.create_login_state(
            session,
            platform_id=platform.id,
            state=state,
            nonce=nonce,
            browser_binding=browser.binding_hash(secret),
            target_link_uri=target_link_uri,
            expires_at=now + timedelta(seconds=setting("LTI_STATE_LIFETIME_SECONDS")),
            now=now,
        )
        if random.random() < setting("LTI_PURGE_PROBABILITY"):
            launches.purge_expired(session, now)

    query = {
        "scope": "openid",
        "response_type": "id_token",
        "response_mode": "form_post",
        "prompt": "none",
        "client_id": platform.client_id,
        "redirect_uri": tool_url(LAUNCH_PATH),
        "state": state,
        "nonce": nonce,
        "login_hint": login_hint,
    }
    message_hint = params.get("lti_message_hint")
    if message_hint:
        query["lti_message_hint"] = message_hint
    separator = "&" if "?" in platform.auth_login_url else "?"
    return LoginStarted(
        auth_url=platform.auth_login_url + separator + urlencode(query),
        state=state,
        binding_secret=secret,
        storage_target=storage_target,
        platform_origin=browser.origin_of(platform.auth_login_url),
    )
