"""Assignment and Grade Services: line items, scores and results, as Moodle 4.5 serves them.

Moodle's quirks handled here: a line item URL carries its query string (`?type_id=1`), so `/scores` and
`/results` go before it; a score whose timestamp (truncated to the second) is not later than the stored one is
refused with 409; results carry `resultScore` on the column's own scale (rescaled from what the tool posted) and
omit it for a zero grade; listings show only the tool's own line items.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ..models import utcnow
from .client import ServiceCall, ServiceClient
from .errors import LmsError, PermanentLmsError, TransientLmsError

SCOPE_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCOPE_LINEITEM_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
SCOPE_RESULT_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
SCOPE_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
# One token serves every AGS call; the platform grants the subset the tool is allowed.
AGS_SCOPES = frozenset({SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY, SCOPE_RESULT_READONLY, SCOPE_SCORE})

LINEITEM_TYPE = "application/vnd.ims.lis.v2.lineitem+json"
LINEITEM_CONTAINER_TYPE = "application/vnd.ims.lis.v2.lineitemcontainer+json"
RESULT_CONTAINER_TYPE = "application/vnd.ims.lis.v2.resultcontainer+json"
SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"

# How many times a 409 score is re-stamped on the spot before the job is retried later.
RESTAMP_ATTEMPTS = 3


@dataclass(frozen=True)
class RemoteLineItem:
    """A gradebook column as the platform describes it."""

    url: str
    label: str
    score_maximum: Decimal
    tag: str = ""
    resource_id: str = ""
    resource_link_id: str = ""

    @classmethod
    def from_json(cls, document: Any, what: str) -> "RemoteLineItem":
        if not isinstance(document, dict) or not isinstance(document.get("id"), str):
            raise PermanentLmsError(f"{what}: a line item without an id: {json.dumps(document)[:200]}")
        return cls(
            url=document["id"],
            label=str(document.get("label") or ""),
            score_maximum=_decimal(document.get("scoreMaximum"), Decimal(0)),
            tag=str(document.get("tag") or ""),
            resource_id=str(document.get("resourceId") or ""),
            resource_link_id=str(document.get("resourceLinkId") or document.get("ltiLinkId") or ""),
        )


@dataclass(frozen=True)
class Result:
    """One user's grade in a line item; `score`/`maximum` are on the column's own scale (None: no grade
    or zero, which Moodle leaves out)."""

    user_id: str
    score: Decimal | None
    maximum: Decimal | None
    timestamp: datetime | None
    comment: str | None

    @property
    def fraction(self) -> Decimal | None:
        """The grade as a share of the maximum (0 when there is no grade), or None when unknown."""
        if self.score is None:
            return Decimal(0)
        if not self.maximum:
            return None
        return self.score / self.maximum


@dataclass(frozen=True)
class Score:
    """A score to post for one user. `score_given` None clears the user's grade."""

    user_id: str
    timestamp: datetime
    activity_progress: str = "Completed"
    grading_progress: str = "FullyGraded"
    score_given: Decimal | None = None
    score_maximum: Decimal | None = None
    comment: str | None = None

    def document(self, timestamp: datetime | None = None) -> dict[str, Any]:
        """The AGS score document."""
        document: dict[str, Any] = {"userId": self.user_id}
        if self.score_given is not None:
            document["scoreGiven"] = _number(self.score_given)
            document["scoreMaximum"] = _number(self.score_maximum if self.score_maximum is not None else 1)
        document["activityProgress"] = self.activity_progress
        document["gradingProgress"] = self.grading_progress
        document["timestamp"] = format_timestamp(timestamp or self.timestamp)
        if self.comment:
            document["comment"] = self.comment
        return document


def service_url(lineitem_url: str, resource: str, **params: str | None) -> str:
    """The URL of a line item's sub-resource ("scores", "results"): the segment goes before the query string;
    None values are left out."""
    parts = urlsplit(lineitem_url)
    path = parts.path.rstrip("/") + "/" + resource if resource else parts.path
    return urlunsplit(parts._replace(path=path, query=_merge_query(parts.query, params)))


def with_query(url: str, **params: str | None) -> str:
    """`url` with `params` added to (or replacing in) its query string; None values are left out."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(query=_merge_query(parts.query, params)))


def _merge_query(query: str, params: dict[str, str | None]) -> str:
    pairs = [(name, value) for name, value in parse_qsl(query, keep_blank_values=True) if name not in params]
    pairs += [(name, value) for name, value in params.items() if value is not None]
    return urlencode(pairs)


def list_line_items(
    client: ServiceClient,
    lineitems_url: str,
    *,
    tag: str | None = None,
    resource_id: str | None = None,
    resource_link_id: str | None = None,
    page_size: int | None = None,
) -> list[RemoteLineItem]:
    """The tool's line items in a course, filtered, across every page."""
    what = f"line items of {lineitems_url}"
    url = with_query(
        lineitems_url,
        tag=tag,
        resource_id=resource_id,
        resource_link_id=resource_link_id,
        limit=str(page_size) if page_size else None,
    )
    call = ServiceCall(what, AGS_SCOPES, frozenset({SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY}), "GET", url,
                       accept=LINEITEM_CONTAINER_TYPE)
    return [RemoteLineItem.from_json(entry, what) for entry in _listed(client, call, "line items")]


def _listed(client: ServiceClient, call: ServiceCall, plural: str) -> list[Any]:
    """The entries of a paged JSON list, across every page."""
    entries: list[Any] = []
    for answer in client.pages(call):
        document = answer.json(call.what)
        if not isinstance(document, list):
            raise PermanentLmsError(f"{call.what}: expected a list of {plural}, got {answer.excerpt()!r}")
        entries.extend(document)
    return entries


def create_line_item(
    client: ServiceClient,
    lineitems_url: str,
    *,
    label: str,
    score_maximum: Decimal | int,
    tag: str | None = None,
    resource_id: str | None = None,
    resource_link_id: str | None = None,
) -> RemoteLineItem:
    """Create a line item in a course and return it as the platform recorded it."""
    what = f"create line item {label!r} at {lineitems_url}"
    document: dict[str, Any] = {"label": label, "scoreMaximum": _number(Decimal(score_maximum))}
    if tag:
        document["tag"] = tag
    if resource_id:
        document["resourceId"] = resource_id
    if resource_link_id:
        document["resourceLinkId"] = resource_link_id
    call = ServiceCall(what, AGS_SCOPES, frozenset({SCOPE_LINEITEM}), "POST", lineitems_url,
                       accept=LINEITEM_TYPE, content_type=LINEITEM_TYPE, document=document)
    return RemoteLineItem.from_json(client.call(call).json(what), what)


def find_or_create_line_item(
    client: ServiceClient,
    lineitems_url: str,
    *,
    tag: str,
    label: str,
    score_maximum: Decimal | int,
    resource_id: str | None = None,
) -> RemoteLineItem:
    """The course's line item with `tag` (the oldest if several), created when there is none."""
    existing = list_line_items(client, lineitems_url, tag=tag)
    if existing:
        return existing[0]
    return create_line_item(
        client, lineitems_url, label=label, score_maximum=score_maximum, tag=tag, resource_id=resource_id
    )


def read_results(
    client: ServiceClient, lineitem_url: str, *, user_id: str | None = None, page_size: int | None = None
) -> list[Result]:
    """Every result of a line item (or of one user), across every page."""
    what = f"results of {lineitem_url}"
    url = service_url(lineitem_url, "results", user_id=user_id, limit=str(page_size) if page_size else None)
    call = ServiceCall(what, AGS_SCOPES, frozenset({SCOPE_RESULT_READONLY}), "GET", url,
                       accept=RESULT_CONTAINER_TYPE)
    results = []
    for entry in _listed(client, call, "results"):
        if not isinstance(entry, dict) or entry.get("userId") in (None, ""):
            continue
        results.append(
            Result(
                user_id=str(entry["userId"]),
                score=_decimal(entry.get("resultScore"), None),
                maximum=_decimal(entry.get("resultMaximum"), None),
                timestamp=parse_timestamp(entry.get("timestamp")),
                comment=entry.get("comment") if isinstance(entry.get("comment"), str) else None,
            )
        )
    return results


def post_score(client: ServiceClient, lineitem_url: str, score: Score, *, now: datetime | None = None) -> datetime:
    """Post a score and return the timestamp it was accepted with.

    When the platform refuses it as not newer than the stored grade (409: Moodle keeps whole seconds, so two
    scores within one second collide, and a retried post meets its own earlier success), the score is
    re-stamped just after the stored grade and posted again: the tool's newest state always lands.
    """
    what = f"score for user {score.user_id} on {lineitem_url}"
    url = service_url(lineitem_url, "scores")
    timestamp = score.timestamp
    for _ in range(RESTAMP_ATTEMPTS + 1):
        call = ServiceCall(what, AGS_SCOPES, frozenset({SCOPE_SCORE}), "POST", url,
                           content_type=SCORE_TYPE, document=score.document(timestamp))
        answer = client.call(call, accept_statuses={409})
        if answer.status != 409:
            return timestamp
        timestamp = _restamped(client, lineitem_url, score.user_id, timestamp, now)
    raise TransientLmsError(
        f"{what}: the platform kept refusing the score as not newer than its stored grade (409)", status=409
    )


def _restamped(client: ServiceClient, lineitem_url: str, user_id: str, refused: datetime,
               now: datetime | None) -> datetime:
    """A timestamp later than both the refused one and the platform's stored grade, to the second."""
    candidates = [(now or utcnow()), _next_second(refused)]
    try:
        stored = [result.timestamp for result in read_results(client, lineitem_url, user_id=user_id)
                  if result.user_id == user_id and result.timestamp is not None]
    except LmsError:
        stored = []  # without result.readonly the next second after the refused one still usually works
    candidates += [_next_second(moment) for moment in stored]
    return max(candidates)


def _next_second(moment: datetime) -> datetime:
    return moment.replace(microsecond=0) + timedelta(seconds=1)


def format_timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds, as AGS scores carry it."""
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_timestamp(text: Any) -> datetime | None:
    """A platform's ISO 8601 timestamp as an aware datetime (naive ones are UTC), None if unreadable."""
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace(" ", "T"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _decimal(value: Any, default: Decimal | None) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return default
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return default


def _number(value: Decimal | int) -> int | float:
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value)

