"""LTI settings with their defaults; any of them may be overridden in the app config."""

from __future__ import annotations

from typing import Any

from flask import current_app

DEFAULTS: dict[str, Any] = {
    # Clock skew allowed on exp and iat.
    "LTI_LEEWAY_SECONDS": 60,
    "LTI_MAX_TOKEN_BYTES": 64 * 1024,
    # How long a login may take between initiation and launch.
    "LTI_STATE_LIFETIME_SECONDS": 600,
    # How long pages stay reachable after a launch.
    "LTI_LAUNCH_LIFETIME_SECONDS": 4 * 3600,
    # Share of logins that also delete expired states, nonces and launches.
    "LTI_PURGE_PROBABILITY": 0.01,
    "LTI_MAX_CONFIGURATION_BYTES": 256 * 1024,
    # A key id missing from the cached platform key set triggers one refetch, at most this often per platform.
    "LTI_JWKS_REFETCH_COOLDOWN_SECONDS": 10,
}


def setting(name: str) -> Any:
    """The configured value of an LTI setting, else its default."""
    if name == "HTTP_TIMEOUT_SECONDS":
        return float(current_app.config.get(name, 5))
    return current_app.config.get(name, DEFAULTS[name])


def tool_url(path: str) -> str:
    """An absolute URL of the tool (TOOL_BASE_URL + path)."""
    return current_app.config["TOOL_BASE_URL"] + path


LOGIN_PATH = "/lti/login"
LAUNCH_PATH = "/lti/launch"
REGISTER_PATH = "/lti/register"
JWKS_PATH = "/.well-known/jwks.json"
