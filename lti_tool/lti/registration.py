"""LTI Dynamic Registration, as Moodle 4.5 runs it.

The platform opens `/lti/register?openid_configuration=...&registration_token=...`; the tool fetches the
platform's configuration, checks that its issuer is where the configuration came from, posts its own
registration (Bearer registration_token), stores the platform and deployment the platform answers with,
and the page it returns asks the platform to close its dialog.
"""

from __future__ import annotations

from typing import Any, Mapping
from urllib.parse import urlsplit

from ..db import db
from ..models import Platform
from ..services.platforms import PlatformError, register_platform
from . import claims as c
from .errors import LtiRefusal
from .http import FetchError, request_json
from .settings import JWKS_PATH, LAUNCH_PATH, LOGIN_PATH, setting, tool_url

CLIENT_NAME = "Civic Credentials"
DESCRIPTION = "Certificate programmes for municipal officials: progress, credit hours and badges"
REQUESTED_CLAIMS = ["iss", "sub", "name", "given_name", "family_name", "email"]
REQUIRED_ENDPOINTS = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri", "registration_endpoint")


def _is_http_url(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _issuer_matches(issuer: str, configuration_url: str) -> bool:
    """The configuration must come from the issuer's own site (same origin, under the issuer's path)."""
    issuer_parts, url_parts = urlsplit(issuer), urlsplit(configuration_url)
    if (issuer_parts.scheme, issuer_parts.netloc) != (url_parts.scheme, url_parts.netloc):
        return False
    issuer_path = issuer_parts.path.rstrip("/")
    return url_parts.path == issuer_path or url_parts.path.startswith(issuer_path + "/")


def fetch_platform_configuration(url: str) -> dict[str, Any]:
    """The platform's OpenID configuration, checked for what registration and launches need."""
    if not _is_http_url(url):
        raise LtiRefusal("missing_openid_configuration", "openid_configuration must be an http(s) URL")
    try:
        fetched = request_json(
            "GET", url, timeout=setting("HTTP_TIMEOUT_SECONDS"), max_bytes=setting("LTI_MAX_CONFIGURATION_BYTES")
        )
    except FetchError as exc:
        raise LtiRefusal("openid_configuration_unavailable", str(exc)) from None
    if fetched.status != 200 or not isinstance(fetched.body, dict):
        raise LtiRefusal("openid_configuration_unavailable", f"{url} answered HTTP {fetched.status} without a JSON object")
    configuration = fetched.body
    for name in REQUIRED_ENDPOINTS:
        if not _is_http_url(configuration.get(name)):
            raise LtiRefusal("invalid_openid_configuration", f"the platform configuration has no usable {name}")
    algorithms = configuration.get("id_token_signing_alg_values_supported")
    if isinstance(algorithms, list) and "RS256" not in algorithms:
        raise LtiRefusal("invalid_openid_configuration", "the platform does not sign id_tokens with RS256")
    if not _issuer_matches(configuration["issuer"], url):
        raise LtiRefusal(
            "issuer_mismatch",
            f"the configuration at {url} names issuer {configuration['issuer']!r}, which is not where it came from",
        )
    return configuration


def registration_request(configuration: Mapping[str, Any]) -> dict[str, Any]:
    """The tool's client registration, asking only for scopes the platform offers."""
    wanted = [*c.AGS_SCOPES, c.NRPS_SCOPE]
    offered = configuration.get("scopes_supported")
    scopes = [scope for scope in wanted if scope in offered] if isinstance(offered, list) else wanted
    launch_url = tool_url(LAUNCH_PATH)
    return {
        "application_type": "web",
        "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": tool_url(LOGIN_PATH),
        "redirect_uris": [launch_url],
        "client_name": CLIENT_NAME,
        "jwks_uri": tool_url(JWKS_PATH),
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": " ".join(scopes),
        c.TOOL_CONFIGURATION: {
            # The host with its port, when there is one: Moodle matches launches to tools by this domain.
            "domain": urlsplit(launch_url).netloc,
            "target_link_uri": launch_url,
            "description": DESCRIPTION,
            "claims": REQUESTED_CLAIMS,
            "messages": [
                {"type": c.RESOURCE_LINK_REQUEST, "target_link_uri": launch_url, "label": CLIENT_NAME},
                {"type": c.DEEP_LINKING_REQUEST, "target_link_uri": launch_url, "label": f"{CLIENT_NAME}: add an activity"},
            ],
        },
    }


def _platform_name(configuration: Mapping[str, Any]) -> str:
    platform_configuration = configuration.get(c.PLATFORM_CONFIGURATION)
    product = platform_configuration.get("product_family_code") if isinstance(platform_configuration, dict) else None
    host = urlsplit(configuration["issuer"]).netloc
    return f"{product} at {host}" if isinstance(product, str) and product else host


def register(openid_configuration_url: str, registration_token: str | None, *, origin: str | None = None) -> Platform:
    """Run dynamic registration against a platform and store the result."""
    configuration = fetch_platform_configuration(openid_configuration_url)
    headers = {"Content-Type": "application/json"}
    if registration_token:
        headers["Authorization"] = f"Bearer {registration_token}"
    try:
        answered = request_json(
            "POST",
            configuration["registration_endpoint"],
            timeout=setting("HTTP_TIMEOUT_SECONDS"),
            max_bytes=setting("LTI_MAX_CONFIGURATION_BYTES"),
            headers=headers,
            json_body=registration_request(configuration),
        )
    except FetchError as exc:
        raise LtiRefusal("registration_refused", str(exc)) from None
    if not 200 <= answered.status < 300:
        said = " ".join(answered.text.split())[:200] or "no explanation"
        raise LtiRefusal("registration_refused", f"the platform answered HTTP {answered.status}: {said}")
    response = answered.body
    client_id = response.get("client_id") if isinstance(response, dict) else None
    if not isinstance(client_id, str) or not client_id:
        raise LtiRefusal("invalid_registration_response", "the platform's answer has no client_id")
    tool_configuration = response.get(c.TOOL_CONFIGURATION)
    deployment_id = tool_configuration.get("deployment_id") if isinstance(tool_configuration, dict) else None
    try:
        with db.transaction() as session:
            # Without a deployment id the platform is stored alone; its first launch records the deployment
            # as pending for an administrator to approve.
            return register_platform(
                session,
                issuer=configuration["issuer"],
                client_id=client_id,
                deployment_id=str(deployment_id) if deployment_id not in (None, "") else None,
                auth_login_url=configuration["authorization_endpoint"],
                auth_token_url=configuration["token_endpoint"],
                keyset_url=configuration["jwks_uri"],
                name=_platform_name(configuration),
                details={"openid_configuration": configuration, "registration": response},
                actor=f"dynamic-registration:{origin or configuration['issuer']}",
                registered_by="dynamic",
            )
    except PlatformError as exc:
        raise LtiRefusal("already_registered", str(exc)) from None
