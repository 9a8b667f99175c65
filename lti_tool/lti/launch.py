"""The launch: validate the id_token against its login, store it server-side, and pick the landing page.

Order of the checks (each refusal has its own code, see `lti/errors.py`):
form fields → token size, format and header → login state (known, not expired), read with the platform and
the deployment → platform key by kid → signature, exp, iat → iss, aud, azp → LTI claims → deployment known
and active → in one transaction:
nonce unused (a unique row), nonce matches the login, state unused (an UPDATE that must hit one row),
state bound to this browser → official, course, placement and launch rows written.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Mapping

from sqlalchemy import Row

from ..db import db
from ..models import utcnow
from ..services import launches
from . import browser
from . import claims as c
from .errors import LtiRefusal
from .jwks import platform_keys
from .roles import RoleSet
from .settings import setting
from .validation import check_header, check_issuer_and_audience, check_lti_message, parse_id_token, verify_signature

MAX_STATE_LENGTH = 128


class NeedsPlatformStorage(Exception):
    """The state cookie did not come back, but the platform's storage frame may hold the binding."""

    def __init__(self, *, id_token: str, state: str, storage_target: str, platform_origin: str) -> None:
        super().__init__("the state binding must be read from platform storage")
        self.id_token = id_token
        self.state = state
        self.storage_target = storage_target
        self.platform_origin = platform_origin


@dataclass(frozen=True)
class CompletedLaunch:
    """A launch stored server-side and the page its user lands on."""

    launch_id: str
    state: str
    landing_endpoint: str
    lifetime_seconds: int


def landing_endpoint(message_type: str, roles: RoleSet, placement: str | None) -> str:
    """The endpoint a launch lands on, by message type, role and placement."""
    if message_type == c.DEEP_LINKING_REQUEST:
        return "lti.deep_link"
    if message_type == c.SUBMISSION_REVIEW_REQUEST:
        return "instructor.submission"
    primary = roles.primary
    if primary == "admin":
        return "admin.home"
    if primary == "instructor":
        return "instructor.roster" if placement == launches.ACTIVITY else "instructor.overview"
    return "learner.progress"


def _form_fields(form: Mapping[str, str]) -> tuple[str, str]:
    id_token = form.get("id_token") or ""
    if not id_token and form.get("error"):
        description = form.get("error_description") or "no description"
        raise LtiRefusal("platform_error", f"{form.get('error')}: {description}")
    if not id_token:
        raise LtiRefusal("missing_id_token", "the launch form has no id_token field")
    state = form.get("state") or ""
    if not state:
        raise LtiRefusal("missing_state", "the launch form has no state field")
    return id_token, state


def _check_browser_binding(login: Row, id_token: str, form: Mapping[str, str], cookies: Mapping[str, str]) -> None:
    target = browser.storage_target_of(login.state)
    secret = cookies.get(browser.state_cookie_name(login.state))
    if secret is None and target:
        secret = form.get(browser.STORAGE_FIELD) or None
        if secret is None:
            raise NeedsPlatformStorage(
                id_token=id_token,
                state=login.state,
                storage_target=target,
                platform_origin=browser.origin_of(login.auth_login_url),
            )
    if secret is None:
        raise LtiRefusal(
            "missing_state_cookie",
            "the browser did not send back the cookie set at login (third-party cookies blocked?); "
            "open the activity in a new window",
        )
    if not hmac.compare_digest(browser.binding_hash(secret), login.browser_binding):
        raise LtiRefusal("state_mismatch", "the state cookie belongs to another login")


def complete_launch(form: Mapping[str, str], cookies: Mapping[str, str]) -> CompletedLaunch:
    """Validate a launch POST and store it; raises LtiRefusal or NeedsPlatformStorage."""
    id_token, state = _form_fields(form)
    token = parse_id_token(id_token, max_bytes=setting("LTI_MAX_TOKEN_BYTES"))
    kid = check_header(token.header)

    session = db.session
    # The deployment the (not yet verified) token names is looked up with the state, in the same query.
    claimed_deployment = token.payload.get(c.DEPLOYMENT_ID)
    claimed_deployment = claimed_deployment if isinstance(claimed_deployment, str) else ""
    login = launches.load_state(session, state, claimed_deployment) if len(state) <= MAX_STATE_LENGTH else None
    if login is None:
        raise LtiRefusal("unknown_state", "the state does not match any login started by this tool")
    now = utcnow()
    if login.expires_at <= now:
        raise LtiRefusal("expired_state", "the login was started too long ago; launch again from the platform")

    public_key = platform_keys.cached_key(login.keyset_url, kid)
    if public_key is None:
        # End the read before the platform is contacted for its keys: no database lock is held meanwhile.
        session.commit()
        public_key = platform_keys.key_for(
            login.keyset_url,
            kid,
            timeout=setting("HTTP_TIMEOUT_SECONDS"),
            refetch_cooldown=setting("LTI_JWKS_REFETCH_COOLDOWN_SECONDS"),
        )
    leeway = setting("LTI_LEEWAY_SECONDS")
    claims = verify_signature(token, public_key, leeway=leeway)
    check_issuer_and_audience(claims, issuer=login.issuer, client_id=login.client_id)
    check_lti_message(claims, target_link_uri=login.target_link_uri)

    if login.deployment_row_id is None:
        launches.record_pending_deployment(session, login.platform_id, claims[c.DEPLOYMENT_ID])
    if not login.deployment_active:
        raise LtiRefusal(
            "deployment_pending",
            f"deployment {claims[c.DEPLOYMENT_ID]!r} of {login.platform_name} is not approved yet; "
            "an administrator of this tool must activate it",
        )

    lifetime = setting("LTI_LAUNCH_LIFETIME_SECONDS")
    # A nonce must stay recorded while its token could still be accepted (exp + leeway), capped at a day.
    expires, moment = claims["exp"], now.timestamp()
    seconds_left = 86400.0 if expires > moment + 86400 else max(expires - moment, 0.0)
    nonce_expiry = now + timedelta(seconds=seconds_left + leeway)
    launch_id = secrets.token_urlsafe(32)
    with db.transaction():
        if not launches.claim_nonce(session, login.platform_id, claims["nonce"], nonce_expiry, now):
            raise LtiRefusal("replayed_nonce", "this id_token's nonce was already used")
        if claims["nonce"] != login.nonce:
            raise LtiRefusal("nonce_mismatch", "the id_token's nonce is not the one sent with this login")
        if not launches.consume_state(session, state, now):
            raise LtiRefusal("state_used", "this login was already completed")
        _check_browser_binding(login, id_token, form, cookies)
        stored = launches.store_launch(
            session,
            launch_id=launch_id,
            platform_id=login.platform_id,
            deployment_id=login.deployment_row_id,
            claims=claims,
            expires_at=now + timedelta(seconds=lifetime),
            now=now,
        )
    roles = RoleSet.from_claim(claims[c.ROLES], tool_admin=stored.is_tool_admin)
    return CompletedLaunch(
        launch_id=launch_id,
        state=state,
        landing_endpoint=landing_endpoint(claims[c.MESSAGE_TYPE], roles, stored.placement),
        lifetime_seconds=lifetime,
    )
