"""Why an LTI request is refused: one stable code per failure, with its HTTP status and title.

Every refusal is rendered by `web.errors.error_response` as a plain page (or JSON) naming the code, so an
administrator can match what a user reports with the log line written for it.
"""

from __future__ import annotations

BAD_REQUEST, UNAUTHORIZED, FORBIDDEN = 400, 401, 403

# code -> (HTTP status, page title)
REFUSALS: dict[str, tuple[int, str]] = {
    # OIDC login initiation
    "missing_iss": (BAD_REQUEST, "The login request names no platform"),
    "missing_login_hint": (BAD_REQUEST, "The login request has no login_hint"),
    "missing_target_link_uri": (BAD_REQUEST, "The login request has no target_link_uri"),
    "bad_target_link_uri": (BAD_REQUEST, "The login request points outside this tool"),
    "unknown_platform": (BAD_REQUEST, "This platform is not registered"),
    "ambiguous_platform": (BAD_REQUEST, "The platform must say which registration it uses"),
    # The launch form
    "platform_error": (BAD_REQUEST, "The platform refused the login"),
    "missing_id_token": (BAD_REQUEST, "The launch carried no id_token"),
    "missing_state": (BAD_REQUEST, "The launch carried no state"),
    "unknown_state": (BAD_REQUEST, "The launch does not match a login of this tool"),
    "expired_state": (BAD_REQUEST, "The login took too long"),
    "state_used": (BAD_REQUEST, "This login was already used"),
    "missing_state_cookie": (UNAUTHORIZED, "Your browser did not keep this launch's cookie"),
    "state_mismatch": (UNAUTHORIZED, "The launch was started in another browser"),
    # The token itself
    "token_too_large": (BAD_REQUEST, "The id_token is too large"),
    "malformed_jwt": (BAD_REQUEST, "The id_token is not a JSON Web Token"),
    "unsupported_alg": (UNAUTHORIZED, "The id_token is not signed with RS256"),
    "forbidden_header": (UNAUTHORIZED, "The id_token header names its own key"),
    "missing_kid": (UNAUTHORIZED, "The id_token header has no key id"),
    "unknown_kid": (UNAUTHORIZED, "The id_token is signed with a key the platform does not publish"),
    "jwks_unavailable": (UNAUTHORIZED, "The platform's public keys could not be fetched"),
    "bad_signature": (UNAUTHORIZED, "The id_token signature is not valid"),
    "missing_exp": (UNAUTHORIZED, "The id_token has no expiry (exp)"),
    "missing_iat": (UNAUTHORIZED, "The id_token has no issue time (iat)"),
    "expired_token": (UNAUTHORIZED, "The id_token has expired"),
    "iat_in_future": (UNAUTHORIZED, "The id_token was issued in the future"),
    "bad_time_claim": (UNAUTHORIZED, "The id_token has an unreadable time claim"),
    "invalid_token": (UNAUTHORIZED, "The id_token could not be verified"),
    "wrong_issuer": (UNAUTHORIZED, "The id_token comes from another issuer"),
    "wrong_audience": (UNAUTHORIZED, "The id_token is not meant for this tool"),
    "untrusted_audience": (UNAUTHORIZED, "The id_token is also meant for someone else"),
    "missing_azp": (UNAUTHORIZED, "The id_token lists audiences without an authorized party (azp)"),
    "wrong_azp": (UNAUTHORIZED, "The id_token was issued to another client (azp)"),
    "missing_nonce": (UNAUTHORIZED, "The id_token has no nonce"),
    "replayed_nonce": (UNAUTHORIZED, "This id_token was already used"),
    "nonce_mismatch": (UNAUTHORIZED, "The id_token answers another login"),
    # LTI claims
    "missing_sub": (BAD_REQUEST, "The launch names no user (sub)"),
    "missing_version": (BAD_REQUEST, "The launch has no LTI version"),
    "wrong_version": (BAD_REQUEST, "The launch is not LTI 1.3.0"),
    "missing_message_type": (BAD_REQUEST, "The launch has no message type"),
    "unsupported_message_type": (BAD_REQUEST, "The tool does not handle this message type"),
    "missing_roles": (BAD_REQUEST, "The launch has no roles claim"),
    "missing_deployment_id": (BAD_REQUEST, "The launch has no deployment id"),
    "missing_resource_link_id": (BAD_REQUEST, "The launch has no resource link id"),
    "missing_deep_linking_settings": (BAD_REQUEST, "The deep-linking request has no settings"),
    "missing_for_user": (BAD_REQUEST, "The submission review does not say whose work (for_user)"),
    "target_link_mismatch": (BAD_REQUEST, "The launch points somewhere other than its login"),
    "invalid_message": (BAD_REQUEST, "The launch message is incomplete"),
    "deployment_pending": (FORBIDDEN, "This deployment is waiting for approval"),
    # Pages reached through a launch
    "no_launch": (UNAUTHORIZED, "Open this page from your learning platform"),
    "launch_expired": (UNAUTHORIZED, "Your session with the tool has ended"),
    "forbidden_role": (FORBIDDEN, "Your role does not allow this page"),
    "not_deep_linking": (BAD_REQUEST, "This launch is not a content selection"),
    "unknown_choice": (BAD_REQUEST, "Choose one of the listed items"),
    # Dynamic registration
    "missing_openid_configuration": (BAD_REQUEST, "The registration request has no openid_configuration"),
    "openid_configuration_unavailable": (BAD_REQUEST, "The platform configuration could not be fetched"),
    "invalid_openid_configuration": (BAD_REQUEST, "The platform configuration is incomplete"),
    "issuer_mismatch": (BAD_REQUEST, "The platform configuration names another issuer"),
    "registration_refused": (BAD_REQUEST, "The platform refused the registration"),
    "invalid_registration_response": (BAD_REQUEST, "The platform's registration answer is incomplete"),
    "already_registered": (BAD_REQUEST, "This registration already exists"),
}


class LtiRefusal(Exception):
    """A refused LTI request: `code` is stable, `reason` says in words what was wrong."""

    def __init__(self, code: str, reason: str) -> None:
        if code not in REFUSALS:
            raise KeyError(f"unknown refusal code {code!r}")
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason

    @property
    def status(self) -> int:
        return REFUSALS[self.code][0]

    @property
    def title(self) -> str:
        return REFUSALS[self.code][1]
