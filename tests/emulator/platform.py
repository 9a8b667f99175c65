"""PlatformEmulator: a Moodle 4.5 LTI 1.3 platform on a loopback port, driven from tests."""

from __future__ import annotations

import json
import re
import secrets
import socket
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any, Iterable

import requests
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from .autopost import parse_autopost as _parse_autopost
from .claims import (
    CONTEXT,
    DEEP_LINKING_REQUEST,
    DELETE,
    MESSAGE_TYPE,
    RESOURCE_LINK,
    TARGET_LINK_URI,
    apply_overrides,
    fresh_claims,
    impersonate,
    scenario_template,
)
from .course_state import LineItem, MoodleSite
from .http_app import KeysetUnavailable, MoodleApp
from .jose import JwtRejected, PublicKey, SigningKey, encode_jws, parse_key_set, split_unverified, verify
from .moodle_fixtures import FIXTURE_CLIENT_ID, FIXTURE_DEPLOYMENT_ID, check_scenario, launch_payload
from .moodle_http import service_response
from .registration import ToolType
from .services import SERVICES_PATH

ITEM_IN_URL = re.compile(r"/lineitems/(\d+)/lineitem")
STATUS_FAULT = re.compile(r"^[1-5]\d\d$")


@dataclass
class AccessToken:
    """An access token issued by token.php."""

    token: str
    type_id: int
    scopes: tuple[str, ...]
    valid_until: float


@dataclass
class PendingLaunch:
    """A login initiation waiting for the tool's authentication request (Moodle keeps it in the session)."""

    launch_id: str
    scenario: str
    type_id: int
    login_hint: str
    as_user: str | None
    overrides: dict[str, Any]
    initiation: dict[str, str]


@dataclass
class RecordedRequest:
    """One request the emulator received."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: str

    @property
    def args(self) -> dict[str, str]:
        """The query parameters (first value of each)."""
        return dict(urllib.parse.parse_qsl(self.query, keep_blank_values=True))

    @property
    def form(self) -> dict[str, str]:
        """The body parsed as a URL-encoded form (first value of each)."""
        return dict(urllib.parse.parse_qsl(self.body, keep_blank_values=True))

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


@dataclass
class Fault:
    """An injected failure for requests whose path starts with `prefix`."""

    prefix: str
    mode: str
    seconds: float | None = None
    remaining: int | None = None


class _QuietRequestHandler(WSGIRequestHandler):
    """No access log line per request (benches drive thousands of requests)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


@dataclass
class _State:
    site: MoodleSite = field(default_factory=MoodleSite)
    tools: dict[int, ToolType] = field(default_factory=dict)
    tokens: dict[str, AccessToken] = field(default_factory=dict)
    launches: dict[str, PendingLaunch] = field(default_factory=dict)
    sessions: dict[str, str] = field(default_factory=dict)
    keysets: dict[str, dict[str, PublicKey]] = field(default_factory=dict)
    templates: dict[str, dict[str, Any]] = field(default_factory=dict)


class PlatformEmulator:
    """A Moodle 4.5 LTI 1.3 platform. See the package docstring for the API and the reproduced quirks."""

    TOKEN_LIFETIME = 3600

    def __init__(
        self,
        client_id: str = FIXTURE_CLIENT_ID,
        deployment_id: str = FIXTURE_DEPLOYMENT_ID,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        require_session: bool = False,
        outgoing_timeout: float = 5.0,
    ) -> None:
        self.client_id = client_id
        self.deployment_id = deployment_id
        self.host = host
        self.port = port
        self.require_session = require_session
        self.outgoing_timeout = outgoing_timeout
        self.service_salt = secrets.token_hex(8)
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._keys = [SigningKey.generate()]
        self._jwks_cache: bytes | None = None
        self.reset()

    # -- lifecycle -----------------------------------------------------------------------------------------

    def start(self) -> "PlatformEmulator":
        """Listen on the loopback port (a free one the first time, the same one after a stop)."""
        if self._server is not None:
            return self
        try:
            server = make_server(self.host, self.port, MoodleApp(self), threaded=True,
                                 request_handler=_QuietRequestHandler)
        except SystemExit:
            raise RuntimeError(f"the emulator cannot listen on {self.host}:{self.port}") from None
        self.port = server.port
        self._stopping.clear()
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"moodle-emulator-{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening (connections are then refused); start() again reuses the port and keeps all state."""
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> "PlatformEmulator":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def reset(self) -> None:
        """Forget everything but the signing key and the port: site back to the fixture's, tool unregistered."""
        with self._lock:
            self._state = _State()
            self._state.tools[1] = ToolType(1, self.client_id)
            self.registrations: list[dict[str, Any]] = []
            self.deep_link_responses: list[dict[str, Any]] = []
            self.requests: list[RecordedRequest] = []
            self._faults: list[Fault] = []

    @property
    def site(self) -> MoodleSite:
        """Users, courses and gradebook."""
        return self._state.site

    # -- URLs ----------------------------------------------------------------------------------------------

    @property
    def issuer(self) -> str:
        """The platform issuer: its base URL, without trailing slash."""
        if not self.port:
            raise RuntimeError("start() the emulator first: its URLs depend on the port it listens on")
        return f"http://{self.host}:{self.port}"

    @property
    def auth_login_url(self) -> str:
        """OIDC authentication endpoint (mod/lti/auth.php)."""
        return f"{self.issuer}/mod/lti/auth.php"

    @property
    def token_url(self) -> str:
        """OAuth2 token endpoint (mod/lti/token.php)."""
        return f"{self.issuer}/mod/lti/token.php"

    @property
    def jwks_url(self) -> str:
        """Platform JWK Set (mod/lti/certs.php)."""
        return f"{self.issuer}/mod/lti/certs.php"

    @property
    def openid_configuration_url(self) -> str:
        """Platform OpenID configuration (mod/lti/openid-configuration.php)."""
        return f"{self.issuer}/mod/lti/openid-configuration.php"

    @property
    def registration_url(self) -> str:
        """Dynamic registration endpoint (mod/lti/openid-registration.php)."""
        return f"{self.issuer}/mod/lti/openid-registration.php"

    def lineitems_url(self, context_id: str | int = "2", type_id: int = 1) -> str:
        """AGS line items container of a course, as Moodle advertises it."""
        return f"{self.issuer}{SERVICES_PATH}/{context_id}/lineitems?type_id={type_id}"

    def lineitem_url(self, item_id: int, type_id: int | None = None) -> str:
        """A line item's URL (its AGS `id`)."""
        item = self._line_item(item_id)
        owner = type_id or item.type_id or 1
        return f"{self.issuer}{SERVICES_PATH}/{item.context_id}/lineitems/{item.item_id}/lineitem?type_id={owner}"

    def memberships_url(self, context_id: str | int = "2", type_id: int = 1) -> str:
        """NRPS context memberships URL of a course."""
        return f"{self.issuer}{SERVICES_PATH}/CourseSection/{context_id}/bindings/{type_id}/memberships"

    # -- the tool ------------------------------------------------------------------------------------------

    def register_tool(
        self,
        redirect_uris: str | Iterable[str],
        jwks_url: str | None = None,
        initiate_login_url: str | None = None,
        target_link_uri: str | None = None,
        deep_link_url: str | None = None,
        *,
        jwks: dict[str, Any] | None = None,
    ) -> ToolType:
        """Configure the tool (type 1) as an administrator would from what it publishes.

        `jwks` is a JWK Set document to use instead of fetching `jwks_url` (for tools served by a test client).
        """
        uris = [redirect_uris] if isinstance(redirect_uris, str) else list(redirect_uris)
        with self._lock:
            tool = self._state.tools[1]
            tool.redirect_uris = uris
            tool.jwks_url = jwks_url
            tool.jwks = jwks
            tool.initiate_login_url = initiate_login_url
            tool.target_link_uri = target_link_uri or (uris[0] if uris else None)
            tool.deep_link_url = deep_link_url
            self._state.templates.clear()
            self._state.keysets.pop(tool.client_id, None)
        return tool

    @property
    def tools(self) -> dict[int, ToolType]:
        """Configured tools by type id (1 is the tool under test; dynamic registrations add more)."""
        return dict(self._state.tools)

    # -- launches ------------------------------------------------------------------------------------------

    def claims(self, scenario: str, *, as_user: str | int | None = None, **overrides: Any) -> dict[str, Any]:
        """id_token claims of a captured scenario for this platform: fresh iat/exp/nonce, overrides applied.

        `as_user` launches as another enrolled user (identity and roles from their enrolment).
        """
        return self._build_claims(scenario, as_user, overrides, secrets.token_hex(32))

    def sign(
        self,
        claims: dict[str, Any],
        headers: dict[str, Any] | None = None,
        key: Any = None,
        alg: str = "RS256",
    ) -> str:
        """A JWT of `claims`, by default exactly as Moodle signs an id_token.

        `headers` are merged into {typ, alg, kid} (DELETE removes one); `key` is another RSA private key
        (object or PEM) or, for HS256, the secret; alg="none" gives an unsigned token.
        """
        header: dict[str, Any] = {"typ": "JWT", "alg": alg, "kid": self.kid}
        for name, value in (headers or {}).items():
            if value is DELETE:
                header.pop(name, None)
            else:
                header[name] = value
        if key is None and alg.startswith("HS"):
            raise ValueError(f"{alg} needs key=<shared secret>")
        return encode_jws(header, claims, key if key is not None else self._keys[-1], alg)

    def login_initiation(self, scenario: str, *, as_user: str | int | None = None,
                         **claim_overrides: Any) -> dict[str, str]:
        """The fields Moodle POSTs to the tool's initiate-login URL; the overrides apply to the id_token that
        auth.php will issue for this lti_message_hint (once: Moodle forgets a launch when it is used)."""
        check_scenario(scenario)
        tool = self._state.tools[1]
        if not tool.redirect_uris:
            raise RuntimeError("register_tool(redirect_uris=...) first: auth.php only posts to registered URIs")
        template = self._template(scenario)
        login_hint = str(as_user) if as_user is not None else str(template["sub"])
        if as_user is not None:
            self._user_in_context(login_hint, template)
        number = secrets.randbelow(2**31)
        if template[MESSAGE_TYPE] == DEEP_LINKING_REQUEST:
            hint: dict[str, Any] = {"launchid": f"ltilaunch_ContentItemSelectionRequest{number}"}
        else:
            link_id = str(template[RESOURCE_LINK]["id"])
            course = self.site.course(template[CONTEXT]["id"])
            link = course.links.get(link_id) if course else None
            hint = {"cmid": link.cmid if link else int(link_id) + 1, "launchid": f"ltilaunch{link_id}_{number}"}
        initiation = {
            "iss": self.issuer,
            "target_link_uri": template[TARGET_LINK_URI],
            "login_hint": login_hint,
            "lti_message_hint": json.dumps(hint, separators=(",", ":")),
            "client_id": tool.client_id,
            "lti_deployment_id": self.deployment_id,
        }
        pending = PendingLaunch(hint["launchid"], scenario, tool.type_id, login_hint,
                                None if as_user is None else str(as_user), dict(claim_overrides), initiation)
        with self._lock:
            self._state.launches[pending.launch_id] = pending
        return dict(initiation)

    def launch_url(self, scenario: str, *, as_user: str | int | None = None, **claim_overrides: Any) -> str:
        """A mod/lti/launch.php URL whose page auto-posts a fresh login initiation to the tool (for browsers)."""
        initiation = self.login_initiation(scenario, as_user=as_user, **claim_overrides)
        launch_id = json.loads(initiation["lti_message_hint"])["launchid"]
        return f"{self.issuer}/mod/lti/launch.php?" + urllib.parse.urlencode({"launchid": launch_id})

    parse_autopost = staticmethod(_parse_autopost)

    # -- keys ----------------------------------------------------------------------------------------------

    @property
    def kid(self) -> str:
        """Key id of the current signing key."""
        return self._keys[-1].kid

    @property
    def signing_key(self) -> SigningKey:
        """The current signing key pair."""
        return self._keys[-1]

    def jwks(self) -> dict[str, Any]:
        """The JWK Set certs.php publishes."""
        return {"keys": [dict(key.public_jwk) for key in self._keys]}

    def rotate_key(self, keep_previous: bool = False) -> str:
        """Sign with a new key from now on; certs.php lists only it unless `keep_previous`. Returns its kid."""
        new_key = SigningKey.generate()
        with self._lock:
            self._keys = [*self._keys, new_key] if keep_previous else [new_key]
            self._jwks_cache = None
        return new_key.kid

    # -- access tokens -------------------------------------------------------------------------------------

    @property
    def tokens(self) -> list[AccessToken]:
        """Access tokens issued so far."""
        return list(self._state.tokens.values())

    def expire_tokens(self) -> None:
        """Make every issued access token expired: the next service call with one answers 401."""
        with self._lock:
            for issued in self._state.tokens.values():
                issued.valid_until = 0

    # -- course and gradebook ------------------------------------------------------------------------------

    def add_member(
        self,
        context_id: str | int,
        user_id: str | int,
        roles: Iterable[str] = ("Learner",),
        name: str | None = None,
        email: str | None = None,
        *,
        username: str | None = None,
        sourcedid: str | None = None,
    ) -> None:
        """Enrol a user in a course (created when missing) with LIS roles ("Learner", "Instructor" or URIs)."""
        if str(user_id).strip() == "":
            raise ValueError("add_member needs a non-empty user_id")
        with self._lock:
            self.site.add_member(str(context_id), str(user_id), list(roles), name=name, email=email,
                                 username=username, sourcedid=sourcedid)

    def remove_member(self, context_id: str | int, user_id: str | int) -> None:
        """Unenrol a user from a course."""
        with self._lock:
            self.site.remove_member(str(context_id), str(user_id))

    def add_lineitem(
        self,
        context_id: str | int,
        label: str,
        score_maximum: float,
        *,
        resource_id: str = "",
        tag: str = "",
        resource_link_id: str | None = None,
        type_id: int | None = 1,
    ) -> str:
        """Create a gradebook column (owned by tool `type_id`; None for a teacher's own column); returns its URL."""
        with self._lock:
            self.site.ensure_course(str(context_id))
            item = self.site.create_line_item(str(context_id), label, score_maximum, resource_id=resource_id,
                                              tag=tag, resource_link_id=resource_link_id, type_id=type_id)
        return self.lineitem_url(item.item_id)

    def scores(self, lineitem: str | int) -> list[dict[str, Any]]:
        """The score documents the tool posted to a line item and Moodle accepted, oldest first."""
        return [dict(score) for score in self._line_item(lineitem).scores]

    def gradebook(self, context_id: str | int = "2") -> dict[str, dict[str, Any]]:
        """The course's LTI columns by line item URL, each with its grades by user id (on the column's scale)."""
        book: dict[str, dict[str, Any]] = {}
        with self._lock:
            for item in sorted(self.site.line_items.values(), key=lambda entry: entry.item_id):
                if item.context_id != str(context_id) or item.type_id is None:
                    continue
                book[self.lineitem_url(item.item_id)] = {
                    "label": item.label,
                    "scoreMaximum": item.score_maximum,
                    "resourceId": item.resource_id,
                    "tag": item.tag,
                    "resourceLinkId": item.resource_link_id,
                    "grades": {
                        user_id: {"score": grade.final, "comment": grade.comment, "timemodified": grade.timemodified,
                                  "overridden": grade.overridden}
                        for user_id, grade in item.grades.items()
                    },
                }
        return book

    def set_result(self, lineitem: str | int, user_id: str | int, score: float | None,
                   comment: str | None = None) -> None:
        """An instructor enters a grade in Moodle's gradebook for a tool column (score on the column's scale)."""
        with self._lock:
            self.site.set_result(self._line_item(lineitem), str(user_id), score, comment, int(time.time()))

    # -- dynamic registration ------------------------------------------------------------------------------

    def start_dynamic_registration(self, tool_register_url: str) -> str:
        """The URL Moodle opens in the admin's browser to start registering the tool at `tool_register_url`."""
        now = int(time.time())
        client_id = "".join(secrets.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
                            for _ in range(15))
        token = self.sign({"sub": client_id, "scope": "reg", "iat": now, "exp": now + 3600})
        query = urllib.parse.urlencode({"openid_configuration": self.openid_configuration_url,
                                        "registration_token": token})
        return f"{tool_register_url}{'&' if '?' in tool_register_url else '?'}{query}"

    # -- faults and request log ----------------------------------------------------------------------------

    def fault(self, path_prefix: str, mode: str, *, seconds: float | None = None, times: int | None = None) -> None:
        """Make requests whose path starts with `path_prefix` fail.

        mode: "down" (connection dropped without an answer), "slow" (answer after `seconds`), or an HTTP
        status such as "500", "401", "409" (answered with Moodle's JSON error document). `times` limits how
        many requests are affected (default: all until clear_faults()).
        """
        if mode not in ("down", "slow") and not STATUS_FAULT.match(str(mode)):
            raise ValueError(f"unknown fault mode {mode!r}: use 'down', 'slow' or an HTTP status like '500'")
        if mode == "slow" and (seconds is None or seconds <= 0):
            raise ValueError("a 'slow' fault needs seconds=<delay before answering>")
        with self._lock:
            self._faults.append(Fault(path_prefix, str(mode), seconds, times))

    def clear_faults(self) -> None:
        """Remove every injected fault."""
        with self._lock:
            self._faults.clear()

    def clear_requests(self) -> None:
        """Empty the request log."""
        with self._lock:
            self.requests.clear()

    # -- internals used by the HTTP handlers ---------------------------------------------------------------

    def _record(self, request: Request) -> None:
        recorded = RecordedRequest(
            method=request.method,
            path=request.path,
            query=request.query_string.decode("latin-1"),
            headers=dict(request.headers),
            body=request.get_data(cache=True, as_text=True),
        )
        with self._lock:
            self.requests.append(recorded)

    def _fault_response(self, request: Request) -> Response | None:
        with self._lock:
            fault = next((f for f in self._faults if request.path.startswith(f.prefix)), None)
            if fault is None:
                return None
            if fault.remaining is not None:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
        if fault.mode == "down":
            connection = request.environ.get("werkzeug.socket")
            if connection is not None:
                try:
                    connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            raise ConnectionAbortedError("injected fault: down")
        if fault.mode == "slow":
            self._stopping.wait(fault.seconds)
            return None
        return service_response(request, int(fault.mode))

    def _template(self, scenario: str) -> dict[str, Any]:
        check_scenario(scenario)
        with self._lock:
            template = self._state.templates.get(scenario)
            if template is None:
                tool = self._state.tools[1]
                is_deep_linking = launch_payload(scenario)[MESSAGE_TYPE] == DEEP_LINKING_REQUEST
                launch_url = (tool.deep_link_url or tool.target_link_uri) if is_deep_linking else tool.target_link_uri
                template = scenario_template(scenario, self.issuer, launch_url)
                self._state.templates[scenario] = template
        return template

    def _user_in_context(self, user_id: str, template: dict[str, Any]) -> Any:
        course = self.site.course(template[CONTEXT]["id"])
        user = self.site.users.get(user_id)
        if user is None or course is None or user_id not in course.members:
            raise ValueError(f"user {user_id!r} is not enrolled in course {template[CONTEXT]['id']}: "
                             "add_member(...) first")
        return user, course

    def _build_claims(self, scenario: str, as_user: Any, overrides: dict[str, Any], nonce: str) -> dict[str, Any]:
        template = self._template(scenario)
        claims = fresh_claims(template, client_id=self.client_id, deployment_id=self.deployment_id, nonce=nonce,
                              now=int(time.time()), type_id=1, salt=self.service_salt)
        if as_user is not None:
            user, course = self._user_in_context(str(as_user), template)
            impersonate(claims, user, course, 1, self.service_salt)
        return apply_overrides(claims, overrides)

    def _take_launch(self, launch_id: str) -> PendingLaunch | None:
        with self._lock:
            return self._state.launches.pop(launch_id, None)

    def _peek_launch(self, launch_id: str) -> PendingLaunch | None:
        return self._state.launches.get(launch_id)

    def _launch_id_token(self, pending: PendingLaunch, nonce: str) -> str:
        return self.sign(self._build_claims(pending.scenario, pending.as_user, pending.overrides, nonce))

    def _open_session(self, user_id: str) -> str:
        session_id = secrets.token_hex(13)
        with self._lock:
            self._state.sessions[session_id] = user_id
        return session_id

    def _session_user(self, session_id: str | None) -> str | None:
        return self._state.sessions.get(session_id) if session_id else None

    def _jwks_body(self) -> bytes:
        body = self._jwks_cache
        if body is None:
            body = json.dumps(self.jwks(), separators=(",", ":")).encode()
            self._jwks_cache = body
        return body

    def _platform_keyset(self) -> dict[str, PublicKey]:
        return {key.kid: PublicKey(key.private_key.public_key(), "RS256") for key in self._keys}

    def _tool_by_type(self, type_id: int) -> ToolType | None:
        return self._state.tools.get(type_id)

    def _tool_by_client(self, client_id: str) -> ToolType | None:
        return next((tool for tool in self._state.tools.values() if tool.client_id == client_id), None)

    def _next_type_id(self) -> int:
        return max(self._state.tools) + 1

    def _add_tool(self, tool: ToolType) -> None:
        with self._lock:
            self._state.tools[tool.type_id] = tool

    def _issue_token(self, tool: ToolType, scopes: list[str]) -> AccessToken:
        issued = AccessToken(secrets.token_hex(16), tool.type_id, tuple(scopes), time.time() + self.TOKEN_LIFETIME)
        with self._lock:
            self._state.tokens[issued.token] = issued
        return issued

    def _token_allows(self, token: str, type_id: int, scopes: list[str]) -> bool:
        issued = self._state.tokens.get(token)
        return (
            issued is not None
            and issued.type_id == type_id
            and issued.valid_until > time.time()
            and any(scope in issued.scopes for scope in scopes)
        )

    def _verify_tool_jwt(self, tool: ToolType, token: str) -> dict[str, Any]:
        """Check a JWT signed by the tool like Moodle: kid required, cached JWK Set, refetched once on failure."""
        try:
            header, _ = split_unverified(token)
        except JwtRejected:
            header = {}
        if not header.get("kid"):
            raise JwtRejected("error/Error: kid must be provided in JWT header.")
        cached = self._state.keysets.get(tool.client_id)
        if cached:
            try:
                return verify(token, cached)
            except JwtRejected:
                pass
        keys = self._fetch_keyset(tool)
        payload = verify(token, keys)
        with self._lock:
            self._state.keysets[tool.client_id] = keys
        return payload

    def _fetch_keyset(self, tool: ToolType) -> dict[str, PublicKey]:
        if tool.jwks is not None:
            return parse_key_set(tool.jwks)
        if not tool.jwks_url:
            raise JwtRejected("error/No public keyset configured")
        try:
            answer = requests.get(tool.jwks_url, timeout=self.outgoing_timeout)
            document = answer.json()
        except (requests.RequestException, ValueError) as failure:
            raise KeysetUnavailable(f"Could not read the tool keyset at {tool.jwks_url}: {failure}") from None
        return parse_key_set(document)

    def _line_item(self, reference: str | int) -> LineItem:
        if isinstance(reference, int) or str(reference).isdigit():
            item_id = int(reference)
        else:
            match = ITEM_IN_URL.search(str(reference))
            if match is None:
                raise ValueError(f"not a line item id or URL: {reference!r}")
            item_id = int(match.group(1))
        item = self.site.line_items.get(item_id)
        if item is None:
            raise KeyError(f"no line item {item_id} in the gradebook")
        return item
