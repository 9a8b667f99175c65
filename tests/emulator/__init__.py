"""A Moodle 4.5 LTI 1.3 platform emulator for tests and benches.

It is a real HTTP server on 127.0.0.1 (ephemeral port, threaded, in a background thread) that answers like
the Moodle 4.5 captured in ``tests/fixtures/moodle-4.5`` (override with ``MOODLE_FIXTURES_DIR``),
quirks included, with its own RSA-2048 key generated at start-up and never written anywhere.

Quick start::

    from tests.emulator import PlatformEmulator, DELETE, parse_autopost

    with PlatformEmulator() as emu:                      # client_id="rIjFEw7HqGTeUYx", deployment_id="1"
        emu.register_tool(redirect_uris=["http://localhost/lti/launch"],
                          jwks_url="http://localhost/lti/jwks",      # or jwks={...} for a test-client tool
                          initiate_login_url="http://localhost/lti/login",
                          target_link_uri="http://localhost/lti/launch",
                          deep_link_url="http://localhost/lti/launch")
        fields = emu.login_initiation("learner1")        # POST these to the tool's login URL
        # ... the tool redirects to emu.auth_login_url?...; GET it and read the auto-posting form:
        action, form = parse_autopost(page_html)          # form == {"id_token": ..., "state": ...}

Or, in pytest: ``pytest_plugins = ["tests.emulator.pytest_plugin"]`` and use the ``platform_emulator``
fixture (a started emulator, stopped after the test).

API (all URLs are absolute, issuer = ``http://127.0.0.1:PORT``)
    PlatformEmulator(client_id="rIjFEw7HqGTeUYx", deployment_id="1", *, host="127.0.0.1", port=0,
                     require_session=False, outgoing_timeout=5.0)
    start() -> self; stop(); with-statement; reset()  (site back to the fixture's, tool unregistered, key kept);
        stop() then start() refuses connections meanwhile and reuses the port
    issuer, auth_login_url, token_url, jwks_url, openid_configuration_url, registration_url
    lineitems_url(context_id="2", type_id=1); lineitem_url(item_id); memberships_url(context_id="2", type_id=1)
    register_tool(redirect_uris, jwks_url=None, initiate_login_url=None, target_link_uri=None,
                  deep_link_url=None, *, jwks=None) -> ToolType
    claims(scenario, *, as_user=None, **overrides) -> dict
        scenarios: "learner1", "instructor1", "admin", "learner1_deep_linked", "deep_linking_instructor1",
        "submission_review_instructor1"; iss, aud, deployment and every Moodle URL re-pointed here, the
        tool URL at the registered one; fresh iat/exp (60 s), nonce, sesskey, sourcedid. Overrides replace
        top-level claims; DELETE removes one; as_user="5" launches as another enrolled user.
    sign(claims, headers=None, key=None, alg="RS256") -> str
        headers merge into {"typ", "alg", "kid"} (DELETE drops one, e.g. kid; add jku...), key = another RSA
        private key / PEM, or the secret for HS256; alg="none" leaves it unsigned.
    login_initiation(scenario, *, as_user=None, **claim_overrides) -> dict  (iss, target_link_uri,
        login_hint, lti_message_hint, client_id, lti_deployment_id); the overrides go into the id_token
        auth.php later issues for that lti_message_hint
    launch_url(scenario, ...) -> str   a launch.php page that auto-posts the initiation (for browsers)
    parse_autopost(html) -> (action_url, fields)     (also a module function)
    kid, signing_key, jwks(), rotate_key(keep_previous=False) -> new kid
    tokens, expire_tokens()
    add_member(context_id, user_id, roles=("Learner",), name=None, email=None, *, username=None,
        sourcedid=None);
        remove_member(context_id, user_id)
    add_lineitem(context_id, label, score_maximum, *, resource_id="", tag="", resource_link_id=None,
                 type_id=1) -> url   (type_id=None: a teacher's own column, invisible to the tool)
    scores(lineitem) -> [accepted score documents]; gradebook(context_id="2") -> {lineitem_url: {...,
        "grades": {user_id: {"score", "comment", "timemodified", "overridden"}}}}
    set_result(lineitem, user_id, score, comment=None)   an instructor's grade on the column's scale
    start_dynamic_registration(tool_register_url) -> url; registrations; deep_link_responses
    fault(path_prefix, mode, *, seconds=None, times=None)  mode "down" | "slow" | "500" | "401" | "409" | any
        status; clear_faults(); requests (RecordedRequest: method, path, query, headers, body, args, form,
        json()); clear_requests()

Site state at start (the fixture's): course 2 "CCMO"/"CCMO Academy" with instructor1 (3, Instructor),
learner1 (4) and learner2 (5) (Learners); admin (2) not enrolled; resource links 1 (cmid 2, "CCMO Stub
Activity", line item 2, max 100) and 2 (cmid 3, "CCMO deep-linked resource", line item 5, max 10, resourceId
"ccmo-dl-res-1", tag "ccmo-dl"); item 3 is a teacher's manual column; the next created line item gets id 4.

Moodle 4.5 behaviour reproduced (fixture file in brackets)
- auth.php [auth-request, auth-edge-cases]: missing parameters, bad scope/response_type, unknown or
  replayed launchid, unregistered redirect_uri -> 404 HTML error page (no form); wrong client_id
  (unauthorized_client), login_hint not the launching user (access_denied), response_mode other than
  form_post, even missing ("Invalid response_mode"), prompt other than none -> form posting error,
  error_description and state to redirect_uri; success -> form posting id_token and state. A launch is
  usable once. require_session=True adds the self-reposting page served without a MoodleSession cookie.
- token.php [token-endpoint]: only form-encoded POST (JSON -> 400 invalid_request); unsupported_grant_type;
  invalid_client for unknown sub; kid required ("error/Error: kid must be provided in JWT header.");
  verification errors in the PHP JWT library's words ("Expired token", '"kid" invalid, unable to lookup
  correct key' - a body that is not valid JSON, like Moodle's); aud and jti not checked; exp optional;
  scopes = requested ∩ permitted in request order, none -> invalid_scope; 400s and 200s as text/html with
  Moodle's spacing; expires_in 3600; the tool keyset is cached and refetched once when verification fails.
- services.php [ags-*, nrps-memberships]: Moodle's resource routing (a score posted to
  ".../lineitem?type_id=1/scores" -> 400 "No handler found for /2/lineitems/4/lineitem  <type>");
  status lines carry Moodle's reasons; bad/expired/insufficient tokens -> 401 JSON document; type_id in the
  URL must be the token's tool; only the tool's own columns are listed; tag/resource_id/resource_link_id
  filters; limit/from paging with Moodle's Link header (HTML-escaped &amp;, typographic quotes, last page
  off by one); POST echoes the body plus id (201); scores: 409 when the timestamp, truncated to the second,
  is not later than the stored one, 400 "Incorrect score received<raw body>" for users not enrolled as
  learners (body "[]"), rescaling to the column maximum with 5 decimals and bounding, non-FullyGraded
  scores clear the grade; results: only graded users, resultScore on the column scale, resultMaximum the
  column maximum, timestamp to the second with +00:00, a zero grade shows only id and userId; NRPS: role
  filter (Instructor, Learner = everyone who is not an instructor), limit/from with a well-formed
  rel="next" Link, rlid adds the message section, wrong scope -> 401.
- Dynamic registration [dynamic-registration]: registration token = platform-signed JWT {sub: new
  15-character client_id, scope "reg", exp +1 h}; openid-registration.php checks the Bearer token, required
  attributes ("missing required attribute X"), domain vs target_link_uri host:port
  ("domain_targetlinkuri_mismatch"), response_types, auth method, application_type; answers Moodle's
  document (deployment_id = new type id, messages without label, claims sub/iss/name/family_name/given_name/
  email, lineitem scope advertised with any grade scope); a used token -> 401 "token_already_used".
"""

from .autopost import parse_autopost
from .claims import DELETE
from .jose import SigningKey
from .platform import AccessToken, PlatformEmulator, RecordedRequest
from .registration import ToolType

__all__ = [
    "DELETE",
    "AccessToken",
    "PlatformEmulator",
    "RecordedRequest",
    "SigningKey",
    "ToolType",
    "parse_autopost",
]
