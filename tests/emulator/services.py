"""mod/lti/services.php: Assignment and Grade Services and Names and Role Provisioning, as Moodle 4.5 runs them.

Routing copies Moodle: each resource is tried in turn, skipped when the GET Accept (unless it contains */*)
or the body's Content-Type is not one of its formats, and taken when its path template is found anywhere in
the path. So a score POSTed to ``.../lineitem?type_id=1/scores`` finds no handler (400), and a results GET
with ``Accept: */*`` is answered by the line item resource.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from werkzeug.wrappers import Request, Response

from .claims import result_sourcedid
from .course_state import LineItem, ScoreRefused, is_numeric, php_number
from .moodle_http import media_type, php_date_c, php_json, service_response

if TYPE_CHECKING:
    from .platform import PlatformEmulator

LINEITEM = "application/vnd.ims.lis.v2.lineitem+json"
LINEITEM_CONTAINER = "application/vnd.ims.lis.v2.lineitemcontainer+json"
RESULT_CONTAINER = "application/vnd.ims.lis.v2.resultcontainer+json"
SCORE = "application/vnd.ims.lis.v1.score+json"
SCORE_CONTAINER = "application/vnd.ims.lis.v1.scorecontainer+json"
NRPS_CONTAINER = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
LIS_MEMBERSHIP_CONTAINER = "application/vnd.ims.lis.v2.membershipcontainer+json"

SCOPE_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCOPE_LINEITEM_READ = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
SCOPE_RESULT_READ = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
SCOPE_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
SCOPE_NRPS = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
SCOPE_BASIC_OUTCOME = "https://purl.imsglobal.org/spec/lti-bo/scope/basicoutcome"
SERVICES_PATH = "/mod/lti/services.php"


class ServiceError(Exception):
    """A resource gave up with this status and reason (Moodle's `throw new \\Exception($reason, $code)`)."""

    def __init__(self, status: int, reason: str = "") -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def php_int(value: str | None) -> int:
    """PHP's (int) cast of a request parameter: leading digits, else 0."""
    match = re.match(r"\s*([+-]?\d+)", value or "")
    return int(match.group(1)) if match else 0


def moodle_url(base: str, params: list[tuple[str, Any]]) -> str:
    """moodle_url::out(): parameters rawurlencoded and joined with &amp; (HTML-escaped, as Moodle sends it)."""
    query = "&amp;".join(
        f"{urllib.parse.quote(str(name), safe='')}={urllib.parse.quote(str(value), safe='')}" for name, value in params
    )
    return f"{base}?{query}" if query else base


def paging_link_header(base: str, params: list[tuple[str, Any]], limit: int, start: int, total: int,
                       with_last: bool = True) -> str:
    """The AGS paging Link value Moodle builds: HTML-escaped URLs, typographic quotes, off-by-one last page."""
    out_of_range = start >= total or start < 0
    previous = max(start - limit, 0)
    last = max(total - limit + 1, 0)
    following = start + limit
    paged = [*params, ("limit", limit)]
    links = [f"<{moodle_url(base, [*paged, ('from', 0)])}>; rel=\u201cfirst\u201d"]
    if start > 0 and not out_of_range:
        links.append(f"<{moodle_url(base, [*paged, ('from', previous)])}>; rel=\u201cprev\u201d")
    links.append(f"<{moodle_url(base, [*paged, ('from', start)])}>; rel=\u201ccanonical\u201d")
    if following <= total - 1 and not out_of_range:
        links.append(f"<{moodle_url(base, [*paged, ('from', following)])}>; rel=\u201cnext\u201d")
    if with_last:
        links.append(f"<{moodle_url(base, [*paged, ('from', last)])}>; rel=\u201clast\u201d")
    return ", ".join(links)


@dataclass(frozen=True)
class Resource:
    """One of Moodle's service resources: path template, accepted media types and methods."""

    name: str
    template: str
    formats: tuple[str, ...]
    methods: frozenset[str]

    @property
    def pattern(self) -> re.Pattern[str]:
        """The template as Moodle turns it into a regex: each {variable} matches one path segment, unanchored."""
        return re.compile(re.sub(r"\{([a-z_]+)\}", r"(?P<\1>[^/]+)", self.template))


RESOURCES = (
    Resource("lineitem", "/{context_id}/lineitems/{item_id}/lineitem", (LINEITEM,),
             frozenset({"GET", "PUT", "DELETE"})),
    Resource("lineitems", "/{context_id}/lineitems", (LINEITEM_CONTAINER, LINEITEM), frozenset({"GET", "POST"})),
    Resource("results", "/{context_id}/lineitems/{item_id}/lineitem/results", (RESULT_CONTAINER,),
             frozenset({"GET"})),
    Resource("scores", "/{context_id}/lineitems/{item_id}/lineitem/scores", (SCORE_CONTAINER, SCORE),
             frozenset({"POST"})),
    Resource("memberships", "/{context_type}/{context_id}/bindings/{tool_code}/memberships",
             (LIS_MEMBERSHIP_CONTAINER, NRPS_CONTAINER), frozenset({"GET"})),
)


class ServiceCall:
    """One request to services.php, with what Moodle derives from it before a resource runs."""

    def __init__(self, emulator: "PlatformEmulator", request: Request, path_info: str) -> None:
        self.emulator = emulator
        self.request = request
        self.path_info = path_info
        self.is_get = request.method == "GET"
        self.accept = request.headers.get("Accept", "") if self.is_get else ""
        self.content_type = "" if self.is_get else media_type(request.headers.get("Content-Type"))
        self.body = request.get_data(as_text=True)
        self.params: dict[str, str] = {}

    def arg(self, name: str) -> str | None:
        """A query parameter, or None when absent (PHP's optional_param with a null default)."""
        return self.request.args.get(name)

    def answer(self, status: int, **kwargs: Any) -> Response:
        """A services.php response for this call."""
        return service_response(self.request, status, **kwargs)

    def route(self) -> Response:
        """Find the resource Moodle would pick and run it."""
        for resource in RESOURCES:
            if self.is_get:
                if self.accept and "*/*" not in self.accept and self.accept not in resource.formats:
                    continue
            elif self.request.method != "DELETE" and self.content_type not in resource.formats:
                continue
            match = resource.pattern.search(self.path_info)
            if match is None:
                continue
            if self.request.method not in resource.methods:
                return self.answer(405)
            self.params = match.groupdict()
            handler: Callable[[], Response] = getattr(self, f"_{resource.name}")
            try:
                return handler()
            except ServiceError as error:
                return self.answer(error.status, reason=error.reason)
        return self.answer(400, reason=f"No handler found for {self.path_info} {self.accept} {self.content_type}")

    # -- shared checks -------------------------------------------------------------------------------------

    def authorised_type(self, type_id: int, scopes: list[str]) -> int:
        """The tool type of a valid bearer token holding one of `scopes` for tool `type_id`, else 401."""
        header = self.request.headers.get("Authorization", "")
        token = header[7:].strip() if header.startswith("Bearer ") else ""
        if not self.emulator._token_allows(token, type_id, scopes):
            raise ServiceError(401)
        return type_id

    def course_or_404(self, reason: str) -> Any:
        course = self.emulator.site.course(self.params["context_id"])
        if course is None:
            raise ServiceError(404, reason.format(context_id=self.params["context_id"]))
        return course

    def tool_item(self, type_id: int, missing: str, foreign_status: int, foreign: str) -> LineItem:
        """The grade item of the URL if it exists and belongs to the tool; Moodle's errors otherwise."""
        item_id = php_int(self.params["item_id"])
        item = self.emulator.site.line_items.get(item_id)
        if item is None:
            raise ServiceError(404, missing.format(item_id=self.params["item_id"]))
        if item.type_id != type_id:
            raise ServiceError(foreign_status, foreign)
        return item

    def lineitems_endpoint(self) -> str:
        return f"{self.emulator.issuer}{SERVICES_PATH}/{self.params['context_id']}/lineitems"

    def item_json(self, item: LineItem, type_id: int) -> dict[str, Any]:
        """A line item as Moodle describes it."""
        described: dict[str, Any] = {
            "id": f"{self.lineitems_endpoint()}/{item.item_id}/lineitem?type_id={type_id}",
            "label": item.label,
            "scoreMaximum": php_number(item.score_maximum),
            "resourceId": item.resource_id,
            "tag": item.tag,
        }
        if item.resource_link_id is not None:
            described["resourceLinkId"] = item.resource_link_id
            described["ltiLinkId"] = item.resource_link_id
        return described

    def json_body(self) -> Any:
        try:
            return json.loads(self.body) if self.body else None
        except ValueError:
            return None

    def link_must_exist(self, link_id: Any, context_id: str) -> None:
        course = self.emulator.site.course(context_id)
        if course is None or str(link_id) not in course.links:
            raise ServiceError(403)

    # -- resources -----------------------------------------------------------------------------------------

    def _lineitems(self) -> Response:
        media = self.accept if self.is_get else self.content_type
        is_container = not media or media == LINEITEM_CONTAINER
        scopes = [SCOPE_LINEITEM] + ([SCOPE_LINEITEM_READ] if self.is_get else [])
        type_id = self.authorised_type(php_int(self.arg("type_id")), scopes)
        if not self.params["context_id"] or not (is_container ^ (self.request.method == "POST")) or (
            media and media not in (LINEITEM_CONTAINER, LINEITEM)
        ):
            raise ServiceError(400, "No context or unsupported content type")
        self.course_or_404("Not Found: Course {context_id} doesn't exist")
        if self.is_get:
            return self._list_lineitems(type_id)
        return self._create_lineitem(type_id)

    def _list_lineitems(self, type_id: int) -> Response:
        resource_id = self.arg("resource_id")
        link_id = self.arg("resource_link_id")
        if link_id is None:
            link_id = self.arg("lti_link_id")
        tag = self.arg("tag")
        limit = php_int(self.arg("limit"))
        start = php_int(self.arg("from"))
        items = [
            item for item in self.emulator.site.tool_line_items(self.params["context_id"], type_id)
            if (tag is None or item.tag == tag)
            and (link_id is None or (item.resource_link_id or "") == link_id)
            and (resource_id is None or item.resource_id == resource_id)
        ]
        headers = []
        if limit > 0:
            filters = [(name, value) for name, value in
                       (("resource_id", resource_id), ("resource_link_id", link_id), ("tag", tag)) if value is not None]
            link = paging_link_header(self.lineitems_endpoint(), [*filters, ("type_id", type_id)], limit, start,
                                      len(items))
            headers.append(("Link", link))
            items = items[start:start + limit] if start >= 0 else []
        body = php_json([self.item_json(item, type_id) for item in items])
        return self.answer(200, body=body, content_type=LINEITEM_CONTAINER, headers=headers)

    def _create_lineitem(self, type_id: int) -> Response:
        document = self.json_body()
        if not isinstance(document, dict) or document.get("scoreMaximum") is None or document.get("label") is None:
            raise ServiceError(400, "No label or Score Maximum")
        if not is_numeric(document["scoreMaximum"]):
            raise ServiceError(400)
        link_id = document.get("resourceLinkId") or document.get("ltiLinkId")
        if link_id:
            self.link_must_exist(link_id, self.params["context_id"])
        with self.emulator._lock:
            item = self.emulator.site.create_line_item(
                self.params["context_id"], str(document["label"]), float(document["scoreMaximum"]),
                resource_id=str(document.get("resourceId") or ""), tag=str(document.get("tag") or ""),
                resource_link_id=str(link_id) if link_id else None, type_id=type_id,
            )
        document["id"] = f"{self.lineitems_endpoint()}/{item.item_id}/lineitem?type_id={type_id}"
        return self.answer(201, body=php_json(document, escape_slashes=False), content_type=LINEITEM)

    def _lineitem(self) -> Response:
        scopes = [SCOPE_LINEITEM] + ([SCOPE_LINEITEM_READ] if self.is_get else [])
        type_id = self.authorised_type(php_int(self.arg("type_id")), scopes)
        self.course_or_404("Not Found: Course {context_id} doesn't exist")
        item = self.tool_item(type_id, "Not Found: Grade item {item_id} doesn't exist", 404, "Line item does not exist")
        if self.is_get:
            return self.answer(200, body=php_json(self.item_json(item, type_id)), content_type=LINEITEM)
        if self.request.method == "PUT":
            return self._update_lineitem(item, type_id)
        with self.emulator._lock:
            self.emulator.site.line_items.pop(item.item_id, None)
        return self.answer(204)

    def _update_lineitem(self, item: LineItem, type_id: int) -> Response:
        document = self.json_body()
        if not isinstance(document, dict) or document.get("scoreMaximum") is None or document.get("label") is None:
            raise ServiceError(400)
        if not is_numeric(document["scoreMaximum"]):
            raise ServiceError(400)
        link_id = document.get("resourceLinkId", document.get("ltiLinkId"))
        if link_id is not None:
            if not is_numeric(link_id):
                raise ServiceError(400)
            self.link_must_exist(php_int(str(link_id)), item.context_id)
        with self.emulator._lock:
            item.label = str(document["label"])
            self.emulator.site.rescale(item, float(document["scoreMaximum"]))
            item.resource_id = str(document.get("resourceId") or "")
            item.tag = str(document.get("tag") or "")
            if link_id is not None:
                item.resource_link_id = str(php_int(str(link_id)))
        document["id"] = f"{self.lineitems_endpoint()}/{item.item_id}/lineitem?type_id={type_id}"
        return self.answer(200, body=php_json(document, escape_slashes=False), content_type=self.content_type)

    def _scores(self) -> Response:
        type_id = self.authorised_type(php_int(self.arg("type_id")), [SCOPE_SCORE])
        # Routing already required a score media type; the container type is for GET, which Moodle disables.
        if self.content_type != SCORE:
            raise ServiceError(400)
        self.course_or_404("Not Found: Course {context_id} doesn't exist.")
        item = self.tool_item(type_id, "Not Found: Grade item {item_id} doesn't exist.", 403,
                              "Line item does not exist.")
        score = self.json_body()
        try:
            with self.emulator._lock:
                self.emulator.site.record_score(item, self.params["context_id"], score, self.body)
        except ScoreRefused as refusal:
            return self.answer(refusal.status, reason=refusal.reason, body="[]", content_type=self.content_type)
        return self.answer(200, content_type=SCORE)

    def _results(self) -> Response:
        type_id = self.authorised_type(php_int(self.arg("type_id")), [SCOPE_RESULT_READ])
        if not self.params["context_id"] or (self.accept and self.accept not in (RESULT_CONTAINER,)):
            raise ServiceError(400, "Invalid request made.")
        self.course_or_404("Not Found: Course {context_id} doesn't exist.")
        item = self.tool_item(type_id, "Not Found: Grade item {item_id} doesn't exist.", 403,
                              "Line item does not exist.")
        user_filter = php_int(self.arg("user_id"))
        limit = php_int(self.arg("limit"))
        start = php_int(self.arg("from"))
        type_text = self.arg("type_id")
        endpoint = f"{self.lineitems_endpoint()}/{item.item_id}/lineitem"
        graded = [(user_id, grade) for user_id, grade in item.grades.items()
                  if grade.timemodified and (user_filter <= 0 or user_id == str(user_filter))]
        headers = []
        if graded and limit > 0:
            params: list[tuple[str, Any]] = [("type_id", type_text)] if type_text is not None else []
            # Moodle builds no last-page link when type_id is present; the other links are as for line items.
            headers.append(("Link", paging_link_header(f"{endpoint}/results", params, limit, start, len(graded),
                                                       with_last=type_text is None)))
            graded = graded[start:start + limit] if start >= 0 else []
        query = f"?type_id={type_text}" if type_text is not None else ""
        results = []
        for user_id, grade in graded:
            separator = "&" if query else "?"
            result: dict[str, Any] = {"id": f"{endpoint}/results{query}{separator}user_id={user_id}", "userId": user_id}
            if grade.final:
                result["resultScore"] = php_number(grade.final)
                result["resultMaximum"] = php_number(item.score_maximum)
                if grade.comment:
                    result["comment"] = grade.comment
                result["scoreOf"] = f"{endpoint}{query}"
                result["timestamp"] = php_date_c(grade.timemodified)
            results.append(result)
        return self.answer(200, body=php_json(results), content_type=RESULT_CONTAINER, headers=headers)

    def _memberships(self) -> Response:
        role = self.arg("role") or ""
        limit = php_int(self.arg("limit"))
        start = php_int(self.arg("from")) if limit > 0 else 0
        link_id = self.arg("rlid") or ""
        site = self.emulator.site
        course = site.course(self.params["context_id"])
        if course is None:
            raise ServiceError(404)
        type_id = php_int(self.params["tool_code"])
        if self.emulator._tool_by_type(type_id) is None:
            raise ServiceError(404)
        link = None
        if link_id:
            link = next((c.links[link_id] for c in site.courses.values() if link_id in c.links), None)
            if link is None:
                raise ServiceError(404)
        self.authorised_type(type_id, [SCOPE_NRPS])
        instructor_uri = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
        learner_uri = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
        if role and not role.startswith(("http://", "https://")):
            role = "http://purl.imsglobal.org/vocab/lis/v2/membership#" + role
        memberships = sorted(course.members.values(), key=lambda m: php_int(m.user.user_id))
        if role == instructor_uri:
            memberships = [m for m in memberships if m.is_instructor]
        elif role == learner_uri:
            memberships = [m for m in memberships if not m.is_instructor]
        endpoint = (f"{self.emulator.issuer}{SERVICES_PATH}/{self.params['context_type']}/"
                    f"{self.params['context_id']}/bindings/{self.params['tool_code']}/memberships")
        page = memberships[start:start + limit] if limit > 0 else memberships
        members = [self._member_json(membership, link, type_id) for membership in page]
        headers = []
        if limit > 0 and start + limit < len(memberships):
            next_page = f"{endpoint}?limit={limit}&from={start + limit}" + (f"&rlid={link.link_id}" if link else "")
            headers.append(("Link", f'<{next_page}>; rel="next"'))
        document = {
            "id": endpoint,
            "context": {"id": course.context_id, "label": course.label, "title": course.title},
            "members": members,
        }
        return self.answer(200, body=php_json(document), content_type=NRPS_CONTAINER, headers=headers)

    def _member_json(self, membership: Any, link: Any, type_id: int) -> dict[str, Any]:
        user = membership.user
        member: dict[str, Any] = {"status": "Active", "roles": list(membership.roles)}
        if link is not None:
            member["message"] = [{
                "https://purl.imsglobal.org/spec/lti/claim/message_type": "LtiResourceLinkRequest",
                "https://purl.imsglobal.org/spec/lti-bo/claim/basicoutcome": {
                    "lis_result_sourcedid": result_sourcedid(link.link_id, user.user_id, type_id,
                                                             self.emulator.service_salt),
                    "lis_outcome_service_url": f"{self.emulator.issuer}/mod/lti/service.php",
                },
            }]
        member.update({
            "user_id": user.user_id,
            "lis_person_sourcedid": user.sourcedid,
            "name": user.name,
            "given_name": user.given_name,
            "family_name": user.family_name,
            "email": user.email,
            "ext_user_username": user.username,
        })
        return member
