"""The WSGI application: Moodle 4.5's mod/lti endpoints with their checks, answers and quirks."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Callable

from werkzeug.wrappers import Request, Response

from .autopost import autopost_page
from .jose import JwtRejected, b64url_decode, verify
from .moodle_fixtures import FIXTURE_ISSUER, openid_configuration, repoint
from .moodle_http import (
    HTML_UTF8,
    JSON_UTF8,
    error_page,
    make_response,
    media_type,
    php_json,
    request_uri,
    text_response,
)
from .registration import RegistrationRefused, registration_to_tool, tool_to_registration
from .services import SERVICES_PATH, ServiceCall, php_int

if TYPE_CHECKING:
    from .platform import PlatformEmulator

CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
FORM_URLENCODED = "application/x-www-form-urlencoded"
DEEP_LINKING_RESPONSE = "LtiDeepLinkingResponse"
MESSAGE_TYPE = "https://purl.imsglobal.org/spec/lti/claim/message_type"


class KeysetUnavailable(Exception):
    """The tool's JWK Set could not be fetched or read."""


def token_endpoint_body(fields: dict[str, object]) -> str:
    """token.php's hand-written JSON: values pasted in unescaped, so an error with quotes is not valid JSON."""
    lines = []
    for name, value in fields.items():
        rendered = value if isinstance(value, int) else f'"{value}"'
        lines.append(f'  "{name}" : {rendered}')
    return "{\n" + ",\n".join(lines) + "\n}"


class MoodleApp:
    """Dispatches requests to the mod/lti endpoint handlers; every request is logged, then faults apply."""

    def __init__(self, emulator: "PlatformEmulator") -> None:
        self.emulator = emulator
        self.routes: dict[str, Callable[[Request], Response]] = {
            "/mod/lti/auth.php": self.auth,
            "/mod/lti/certs.php": self.certs,
            "/mod/lti/token.php": self.token,
            "/mod/lti/openid-configuration.php": self.openid_configuration,
            "/mod/lti/openid-registration.php": self.openid_registration,
            "/mod/lti/contentitem_return.php": self.content_item_return,
            "/mod/lti/launch.php": self.launch_page,
        }

    def __call__(self, environ: dict, start_response: Callable) -> object:
        request = Request(environ)
        self.emulator._record(request)
        response = self.emulator._fault_response(request)
        if response is None:
            response = self.dispatch(request)
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        """The answer of the endpoint the path names."""
        path = request.path
        if path == SERVICES_PATH or path.startswith(SERVICES_PATH + "/"):
            return ServiceCall(self.emulator, request, path[len(SERVICES_PATH):]).route()
        handler = self.routes.get(path)
        if handler is None:
            return error_page(f"Not found: {path}")
        return handler(request)

    @staticmethod
    def param(request: Request, name: str) -> str:
        """A request parameter as PHP's optional_param reads it: POST body first, then query string."""
        if name in request.form:
            return request.form[name]
        return request.args.get(name, "")

    # -- OIDC authentication -------------------------------------------------------------------------------

    def auth(self, request: Request) -> Response:
        """mod/lti/auth.php: answer the tool's authentication request with an auto-posted id_token or error."""
        emulator = self.emulator
        session_user = emulator._session_user(request.cookies.get("MoodleSession"))
        if emulator.require_session and session_user is None and not request.form.get("repost"):
            fields = {**request.form.to_dict(), "repost": "true"}
            return make_response(200, "OK", autopost_page(request_uri(request), fields, "repostForm"), HTML_UTF8)
        value = {name: self.param(request, name) for name in (
            "scope", "response_type", "client_id", "redirect_uri", "login_hint", "lti_message_hint",
            "state", "response_mode", "nonce", "prompt")}
        ok = all(value[name] for name in ("scope", "response_type", "client_id", "redirect_uri", "login_hint", "nonce"))
        error, description = ("" if ok else "invalid_request"), ""
        try:
            hint = json.loads(value["lti_message_hint"])
        except ValueError:
            hint = None
        launch_id = hint.get("launchid") if isinstance(hint, dict) else None
        ok = ok and launch_id is not None
        if not ok:
            error, description = "invalid_request", "No launch id in LTI hint"
        if ok and value["scope"] != "openid":
            ok, error = False, "invalid_scope"
        if ok and value["response_type"] != "id_token":
            ok, error = False, "unsupported_response_type"
        pending = tool = None
        if ok:
            pending = emulator._take_launch(str(launch_id))
            tool = emulator._tool_by_type(pending.type_id) if pending else None
            ok = tool is not None and value["client_id"] == tool.client_id
            if not ok:
                error = "unauthorized_client"
        user = session_user or (pending.login_hint if pending else None)
        if ok and value["login_hint"] != user:
            ok, error = False, "access_denied"
        # Without the launch's tool configuration Moodle cannot trust redirect_uri and throws (error page).
        if tool is None or value["redirect_uri"] not in [uri.strip() for uri in tool.redirect_uris]:
            return error_page("Invalid request")
        if ok and value["response_mode"] != "form_post":
            ok, error, description = False, "invalid_request", "Invalid response_mode"
        if ok and value["prompt"] and value["prompt"] != "none":
            ok, error, description = False, "invalid_request", "Invalid prompt"
        if ok and pending is not None:
            fields = {"id_token": emulator._launch_id_token(pending, value["nonce"])}
        else:
            fields = {"error": error}
            if description:
                fields["error_description"] = description
        fields["state"] = value["state"]
        return make_response(200, "OK", autopost_page(value["redirect_uri"], fields), HTML_UTF8)

    def launch_page(self, request: Request) -> Response:
        """mod/lti/launch.php: the page that auto-posts a prepared login initiation to the tool (for browsers)."""
        emulator = self.emulator
        pending = emulator._peek_launch(request.args.get("launchid", ""))
        tool = emulator._tool_by_type(pending.type_id) if pending else None
        if pending is None or tool is None or not tool.initiate_login_url:
            return error_page("Invalid request")
        page = autopost_page(tool.initiate_login_url, pending.initiation, "ltiInitiateLoginForm")
        response = make_response(200, "OK", page, HTML_UTF8)
        if emulator.require_session:
            response.set_cookie("MoodleSession", emulator._open_session(pending.login_hint), path="/")
        return response

    # -- keys, tokens, configuration -----------------------------------------------------------------------

    def certs(self, request: Request) -> Response:
        """mod/lti/certs.php: the platform's public keys."""
        return make_response(200, "OK", self.emulator._jwks_body(), JSON_UTF8)

    def token(self, request: Request) -> Response:
        """mod/lti/token.php: client_credentials grant with a JWT client assertion."""
        emulator = self.emulator
        ok = request.method == "POST" and media_type(request.headers.get("Content-Type")) == FORM_URLENCODED
        error = "invalid_request"
        assertion = self.param(request, "client_assertion") if ok else ""
        assertion_type = self.param(request, "client_assertion_type") if ok else ""
        grant_type = self.param(request, "grant_type") if ok else ""
        scope = self.param(request, "scope") if ok else ""
        ok = ok and all((assertion, assertion_type, grant_type, scope))
        if ok:
            ok = assertion_type == CLIENT_ASSERTION_TYPE and grant_type == "client_credentials"
            error = "unsupported_grant_type"
        claims = None
        if ok:
            parts = assertion.split(".")
            try:
                claims = json.loads(b64url_decode(parts[1])) if len(parts) == 3 else None
            except ValueError:
                claims = None
            ok = isinstance(claims, dict) and bool(claims.get("sub"))
            error = "invalid_request"
        tool = None
        if ok and isinstance(claims, dict):
            error = "invalid_client"
            tool = emulator._tool_by_client(str(claims["sub"]))
            ok = tool is not None
            if tool is not None:
                try:
                    emulator._verify_tool_jwt(tool, assertion)
                except JwtRejected as rejection:
                    ok, error = False, str(rejection)
                except KeysetUnavailable as failure:
                    return error_page(str(failure))
        granted: list[str] = []
        if ok and tool is not None:
            permitted = tool.permitted_scopes()
            granted = [name for name in scope.split(" ") if name in permitted]
            ok, error = bool(granted), "invalid_scope"
        if not ok or tool is None:
            return text_response(400, token_endpoint_body({"error": error}))
        issued = emulator._issue_token(tool, granted)
        body = token_endpoint_body({
            "access_token": issued.token,
            "token_type": "Bearer",
            "expires_in": emulator.TOKEN_LIFETIME,
            "scope": " ".join(granted),
        })
        return text_response(200, body)

    def openid_configuration(self, request: Request) -> Response:
        """mod/lti/openid-configuration.php: the platform configuration used by dynamic registration."""
        document = repoint(openid_configuration(), {FIXTURE_ISSUER: self.emulator.issuer})
        return make_response(200, "OK", php_json(document, escape_slashes=False), JSON_UTF8)

    def openid_registration(self, request: Request) -> Response:
        """mod/lti/openid-registration.php: register a tool from its registration request."""
        emulator = self.emulator
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return text_response(401, "missing_registration_token")
        try:
            token = verify(header[7:].strip(), emulator._platform_keyset())
        except JwtRejected as rejection:
            return error_page(str(rejection))
        client_id = str(token.get("sub", ""))
        if token.get("scope") == "reg":
            if emulator._tool_by_client(client_id) is not None:
                return text_response(401, "token_already_used")
        elif token.get("scope") == "reg-update":
            if emulator._tool_by_type(php_int(client_id)) is None:
                return text_response(400, "Unknown client")
            return error_page("Updating a registration is not emulated")
        else:
            return text_response(403, "Incorrect scope")
        try:
            payload = json.loads(request.get_data(as_text=True) or "null")
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            return error_page("The registration request is not a JSON object")
        try:
            with emulator._lock:
                tool = registration_to_tool(payload, client_id, emulator._next_type_id())
                emulator._add_tool(tool)
        except RegistrationRefused as refusal:
            return text_response(refusal.status, refusal.message)
        answer = tool_to_registration(tool)
        emulator.registrations.append({
            "client_id": tool.client_id,
            "deployment_id": str(tool.type_id),
            "request": payload,
            "response": answer,
        })
        return make_response(200, "OK", php_json(answer), JSON_UTF8)

    def content_item_return(self, request: Request) -> Response:
        """mod/lti/contentitem_return.php: receive the tool's LtiDeepLinkingResponse JWT."""
        emulator = self.emulator
        tool = emulator._tool_by_type(php_int(request.args.get("id")))
        if tool is None:
            return error_page("Invalid request")
        token = self.param(request, "JWT")
        try:
            parts = token.split(".")
            unverified = json.loads(b64url_decode(parts[1])) if len(parts) == 3 else None
        except ValueError:
            unverified = None
        if not isinstance(unverified, dict) or not unverified.get("iss"):
            return error_page("Invalid JWT")
        if unverified["iss"] != tool.client_id:
            return error_page("Consumer key is incorrect.")
        try:
            payload = emulator._verify_tool_jwt(tool, token)
        except (JwtRejected, KeysetUnavailable) as failure:
            return error_page(str(failure))
        if payload.get(MESSAGE_TYPE) != DEEP_LINKING_RESPONSE:
            return error_page("Invalid message type")
        emulator.deep_link_responses.append({
            "type_id": tool.type_id,
            "context_id": request.args.get("course", ""),
            "payload": payload,
        })
        notice = "Successfully fetched tool configuration from the selected content."
        return make_response(200, "OK", f"<html><body><div class=\"alert\">{notice}</div></body></html>", HTML_UTF8)
