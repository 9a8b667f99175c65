"""LTI Dynamic Registration as Moodle 4.5's openid-registration.php validates and answers it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .services import (
    SCOPE_BASIC_OUTCOME,
    SCOPE_LINEITEM,
    SCOPE_LINEITEM_READ,
    SCOPE_NRPS,
    SCOPE_RESULT_READ,
    SCOPE_SCORE,
)

TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
SCOPE_TOOL_SETTING = "https://purl.imsglobal.org/spec/lti-ts/scope/toolsetting"
DOMAIN_IN_URL = re.compile(r"(?:https?://)?(?:www\.)?([^/]+)(?:/|$)", re.IGNORECASE)


@dataclass
class ToolType:
    """A tool configured in Moodle (a row of lti_types): its client id, URLs and enabled services."""

    type_id: int
    client_id: str
    name: str = "CCMO Stub Tool"
    redirect_uris: list[str] = field(default_factory=list)
    jwks_url: str | None = None
    jwks: dict[str, Any] | None = None
    initiate_login_url: str | None = None
    target_link_uri: str | None = None
    deep_link_url: str | None = None
    domain: str = ""
    description: str = ""
    logo_uri: str = ""
    custom_parameters: str = ""
    grade_synchronization: int = 2
    memberships: int = 1
    tool_settings: int = 0
    accept_grades: int = 1
    send_name: int = 1
    send_email: int = 1
    content_item: int = 1
    pending: bool = False

    def permitted_scopes(self) -> list[str]:
        """The service scopes the token endpoint may grant this tool."""
        scopes = [SCOPE_BASIC_OUTCOME] if self.accept_grades else []
        if self.grade_synchronization:
            scopes += [SCOPE_LINEITEM_READ, SCOPE_RESULT_READ, SCOPE_SCORE]
            if self.grade_synchronization == 2:
                scopes.append(SCOPE_LINEITEM)
        if self.memberships == 1:
            scopes.append(SCOPE_NRPS)
        if self.tool_settings == 1:
            scopes.append(SCOPE_TOOL_SETTING)
        return scopes


class RegistrationRefused(Exception):
    """Moodle's registration_exception: the body is the message, the status its code."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def php_empty(value: Any) -> bool:
    """PHP's empty(): null, false, 0, "0", "", [] and {} are empty."""
    return value is None or value is False or value == 0 or value == "0" or value in ("", [], {})


def _parameter(payload: dict[str, Any], key: str, required: bool) -> Any:
    value = payload.get(key) if isinstance(payload, dict) else None
    if php_empty(value):
        if required:
            raise RegistrationRefused(400, f"missing required attribute {key}")
        return None
    return value


def domain_of(url: str) -> str | None:
    """Host[:port] of a URL or bare domain, without a leading www. (Moodle's lti_get_domain_from_url)."""
    match = DOMAIN_IN_URL.search(url or "")
    return match.group(1) if match else None


def registration_to_tool(payload: dict[str, Any], client_id: str, type_id: int) -> ToolType:
    """The pending tool Moodle creates from a registration request, or RegistrationRefused with its message."""
    response_types = _parameter(payload, "response_types", True)
    initiate_login_uri = _parameter(payload, "initiate_login_uri", True)
    redirect_uris = _parameter(payload, "redirect_uris", True)
    client_name = _parameter(payload, "client_name", True)
    jwks_uri = _parameter(payload, "jwks_uri", True)
    auth_method = _parameter(payload, "token_endpoint_auth_method", True)
    application_type = _parameter(payload, "application_type", False)
    logo_uri = _parameter(payload, "logo_uri", False)
    configuration = _parameter(payload, TOOL_CONFIGURATION, True)
    domain = _parameter(configuration, "domain", False)
    target_link_uri = _parameter(configuration, "target_link_uri", False)
    custom_parameters = _parameter(configuration, "custom_parameters", False)
    scopes = str(_parameter(payload, "scope", False) or "").split(" ")
    claims = _parameter(configuration, "claims", False)
    messages = configuration.get("messages") or [] if isinstance(configuration, dict) else []
    description = _parameter(configuration, "description", False)

    if php_empty(domain):
        raise RegistrationRefused(400, "missing_domain")
    target_link_uri = target_link_uri or f"https://{domain}"
    domain = domain_of(str(domain))
    if domain != domain_of(str(target_link_uri)):
        raise RegistrationRefused(400, "domain_targetlinkuri_mismatch")
    if not isinstance(response_types, list) or "id_token" not in response_types:
        raise RegistrationRefused(400, "invalid_response_types")
    if not isinstance(redirect_uris, list):
        raise RegistrationRefused(400, "invalid_redirect_uris")
    if auth_method != "private_key_jwt":
        raise RegistrationRefused(400, "invalid_token_endpoint_auth_method")
    if application_type and application_type != "web":
        raise RegistrationRefused(400, "invalid_application_type")

    tool = ToolType(
        type_id=type_id,
        client_id=client_id,
        name=str(client_name),
        redirect_uris=[str(uri) for uri in redirect_uris],
        jwks_url=str(jwks_uri),
        initiate_login_url=str(initiate_login_uri),
        target_link_uri=str(target_link_uri),
        domain=domain or "",
        description=str(description or ""),
        logo_uri=str(logo_uri or ""),
        grade_synchronization=0,
        memberships=0,
        accept_grades=0,
        content_item=0,
        pending=True,
    )
    for message in messages if isinstance(messages, list) else []:
        if isinstance(message, dict) and message.get("type") == "LtiDeepLinkingRequest":
            tool.content_item = 1
            tool.deep_link_url = str(message.get("target_link_uri") or "")
    if isinstance(custom_parameters, dict):
        tool.custom_parameters = "\n".join(f"{key}={value}" for key, value in custom_parameters.items())
    if {SCOPE_SCORE, SCOPE_RESULT_READ, SCOPE_LINEITEM_READ} & set(scopes):
        tool.accept_grades, tool.grade_synchronization = 2, 1
    if SCOPE_LINEITEM in scopes:
        tool.accept_grades, tool.grade_synchronization = 2, 2
    tool.memberships = int(SCOPE_NRPS in scopes)
    tool.tool_settings = int(SCOPE_TOOL_SETTING in scopes)
    claim_names = claims if isinstance(claims, list) else []
    tool.send_name = int(bool({"name", "given_name", "family_name"} & set(claim_names)))
    tool.send_email = int("email" in claim_names)
    return tool


def tool_to_registration(tool: ToolType) -> dict[str, Any]:
    """Moodle's answer to a successful registration (its config_to_registration, precedence slips included:
    any grade synchronisation also advertises the lineitem scope)."""
    scopes: list[str] = []
    if tool.grade_synchronization:
        scopes += [SCOPE_SCORE, SCOPE_RESULT_READ, SCOPE_LINEITEM_READ, SCOPE_LINEITEM]
    if tool.memberships:
        scopes.append(SCOPE_NRPS)
    if tool.tool_settings:
        scopes.append(SCOPE_TOOL_SETTING)
    configuration: dict[str, Any] = {
        "version": "1.3.0",
        "deployment_id": str(tool.type_id),
        "target_link_uri": tool.target_link_uri or "",
        "domain": tool.domain,
        "description": tool.description,
    }
    if tool.content_item:
        configuration["messages"] = [{"type": "LtiDeepLinkingRequest", "target_link_uri": tool.deep_link_url or ""}]
    if tool.custom_parameters:
        parameters: dict[str, Any] = {}
        for line in tool.custom_parameters.split("\n"):
            parts = line.split("=")
            parameters[parts[0]] = parts[1] if len(parts) > 1 else None
        configuration["custom_parameters"] = parameters
    claims = ["sub", "iss"]
    if tool.send_name:
        claims += ["name", "family_name", "given_name"]
    if tool.send_email:
        claims.append("email")
    configuration["claims"] = claims
    return {
        "client_id": tool.client_id,
        "response_types": ["id_token"],
        "jwks_uri": tool.jwks_url,
        "initiate_login_uri": tool.initiate_login_url,
        "grant_types": ["client_credentials", "implicit"],
        "redirect_uris": list(tool.redirect_uris),
        "application_type": "web",
        "token_endpoint_auth_method": "private_key_jwt",
        "client_name": tool.name,
        "logo_uri": tool.logo_uri,
        "scope": " ".join(scopes),
        TOOL_CONFIGURATION: configuration,
    }
