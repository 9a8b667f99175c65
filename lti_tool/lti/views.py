"""The LTI endpoints an LMS is configured with: login, launch, dynamic registration, and deep linking pages."""

from __future__ import annotations

import logging
import re
from urllib.parse import urlencode, urlsplit

from flask import Blueprint, current_app, make_response, redirect, render_template, request, url_for

from ..db import db
from ..keys import KeyProblem, signing_key
from ..models import Platform
from ..services import launches
from ..web.errors import error_response
from ..web.session import current_launch, protect_launch_page, refusal_response, role_required
from . import browser
from . import claims as c
from . import deep_linking
from .errors import LtiRefusal
from .launch import NeedsPlatformStorage, complete_launch
from .login import start_login
from .registration import register
from .settings import LAUNCH_PATH, LOGIN_PATH, REGISTER_PATH, setting, tool_url

log = logging.getLogger(__name__)

bp = Blueprint("lti", __name__)

LOGIN_PARAMS = ("iss", "login_hint", "target_link_uri", "lti_message_hint", "client_id", "lti_deployment_id")
CONTENT_SECURITY_POLICY = "script-src 'self'; object-src 'none'; base-uri 'none'"
CSP_SOURCE = re.compile(r"^[A-Za-z0-9.\-]+(:[0-9]+)?$")


@bp.after_request
def _lti_headers(response):
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def _refuse(refusal: LtiRefusal, what: str):
    log.warning("%s refused: %s (%s) from %s", what, refusal.code, refusal.reason, request.remote_addr)
    return refusal_response(refusal)


@bp.route(LOGIN_PATH, methods=["GET", "POST"])
def login():
    """OIDC third-party login initiation: record the login and send the browser to the platform."""
    try:
        started = start_login(request.values)
    except LtiRefusal as refusal:
        return _refuse(refusal, "login")
    max_age = setting("LTI_STATE_LIFETIME_SECONDS")
    if request.cookies.get(browser.PROBE_COOKIE) == "1":
        # Cookies came back from this browser context before: they will on the launch too.
        response = redirect(started.auth_url, 302)
    else:
        retry = {name: request.values[name] for name in LOGIN_PARAMS if request.values.get(name)}
        response = make_response(
            render_template(
                "lti/login.html",
                login=started,
                probe_cookie=browser.PROBE_COOKIE,
                storage_key=browser.storage_key(started.state),
                new_window_url=tool_url(LOGIN_PATH) + "?" + urlencode(retry),
            )
        )
        browser.set_probe_cookie(response)
    browser.set_state_cookie(response, started.state, started.binding_secret, max_age)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get(LAUNCH_PATH)
def launch_info():
    """A short page: Moodle fetches the tool URL when an activity is saved."""
    return render_template("lti/launch_info.html")


@bp.post(LAUNCH_PATH)
def launch():
    """The launch: validate the id_token, keep the launch server-side, send the user to their page."""
    try:
        completed = complete_launch(request.form, request.cookies)
    except NeedsPlatformStorage as pending:
        page = render_template(
            "lti/platform_storage.html",
            pending=pending,
            storage_key=browser.storage_key(pending.state),
            launch_url=url_for("lti.launch"),
        )
        response = make_response(page)
        response.headers["Cache-Control"] = "no-store"
        return response
    except LtiRefusal as refusal:
        return _refuse(refusal, "launch")
    response = redirect(url_for(completed.landing_endpoint, launch=completed.launch_id), 303)
    browser.set_launch_cookie(response, completed.launch_id, completed.lifetime_seconds)
    browser.clear_state_cookie(response, completed.state)
    return protect_launch_page(response)


@bp.get(REGISTER_PATH)
def register_tool():
    """LTI Dynamic Registration: register with the platform that opened this page, then close its dialog."""
    configuration_url = request.args.get("openid_configuration", "").strip()
    if not configuration_url:
        return _refuse(
            LtiRefusal("missing_openid_configuration", "open this address from the platform's tool registration"),
            "registration",
        )
    try:
        platform = register(configuration_url, request.args.get("registration_token") or None, origin=request.remote_addr)
    except LtiRefusal as refusal:
        response = _refuse(refusal, "registration")
    else:
        deployment_id = platform.deployments[0].deployment_id if platform.deployments else None
        log.info("registered platform %s (%s, client %s) dynamically", platform.id, platform.issuer, platform.client_id)
        response = render_template("lti/registered.html", platform=platform, deployment_id=deployment_id)
    return _framed_by_registering_platform(make_response(response), configuration_url)


def _framed_by_registering_platform(response, configuration_url: str):
    # The platform shows this page in its own dialog before it is registered, so its origin is not yet
    # among the registered ones the site-wide frame-ancestors policy allows.
    parts = urlsplit(configuration_url)
    if parts.scheme in ("http", "https") and parts.netloc and CSP_SOURCE.match(parts.netloc):
        response.headers["Content-Security-Policy"] = (
            f"{CONTENT_SECURITY_POLICY}; frame-ancestors 'self' {parts.scheme}://{parts.netloc}"
        )
    return response


def _deep_linking_launch():
    launch = current_launch()
    if launch.message_type != c.DEEP_LINKING_REQUEST:
        raise LtiRefusal("not_deep_linking", "this launch did not come from the platform's content selection")
    return launch


@bp.get("/lti/deep-link")
@role_required("instructor")
def deep_link():
    """The picker: a catalogue activity, or "My certification progress"."""
    try:
        launch = _deep_linking_launch()
    except LtiRefusal as refusal:
        return refusal_response(refusal)
    choices = deep_linking.choices(launches.deep_link_choices(db.session))
    return render_template("lti/deep_link_picker.html", launch=launch, choices=choices)


@bp.post("/lti/deep-link")
@role_required("instructor")
def deep_link_respond():
    """Sign the LtiDeepLinkingResponse for the chosen item and post it back to the platform."""
    try:
        launch = _deep_linking_launch()
        item = _chosen_item(request.form.get("choice", ""))
    except LtiRefusal as refusal:
        return refusal_response(refusal)
    platform = db.session.get(Platform, launch.platform_id)
    try:
        key = signing_key(db.session, current_app.config["KEYS_DIR"])
    except KeyProblem as exc:
        log.error("deep linking cannot sign: %s", exc)
        return error_response(503, "The tool cannot sign its answer", str(exc), "no_signing_key")
    settings = launch.claims[c.DEEP_LINKING_SETTINGS]
    token = deep_linking.response_jwt(
        issuer=platform.issuer,
        client_id=platform.client_id,
        deployment_id=launch.claims[c.DEPLOYMENT_ID],
        settings=settings,
        items=[item],
        key=key,
    )
    return render_template("lti/autopost.html", action=settings["deep_link_return_url"], fields={"JWT": token})


def _chosen_item(choice: str):
    launch_url = tool_url(LAUNCH_PATH)
    if choice == deep_linking.PROGRESS_CHOICE:
        return deep_linking.progress_item(launch_url)
    if choice.startswith("activity:"):
        activity = launches.find_activity(db.session, choice[len("activity:"):])
        if activity is not None and activity.active:
            return deep_linking.activity_item(activity, launch_url)
    raise LtiRefusal("unknown_choice", f"{choice!r} is not one of the listed items")

