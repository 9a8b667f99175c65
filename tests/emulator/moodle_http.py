"""How Moodle's PHP writes its HTTP answers: status reasons, JSON flavours, error pages."""

from __future__ import annotations

import html
import json
import time
from typing import Any

from werkzeug.wrappers import Request, Response

# mod/lti's service response class knows these reasons; other codes fall back to their class (x00).
SERVICE_REASONS = {
    200: "OK",
    201: "Created",
    202: "Accepted",
    300: "Multiple Choices",
    400: "Bad Request",
    401: "Unauthorized",
    402: "Payment Required",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    415: "Unsupported Media Type",
    500: "Internal Server Error",
    501: "Not Implemented",
}
HTML_UTF8 = "text/html; charset=utf-8"
JSON_UTF8 = "application/json; charset=utf-8"
SITE_NAME = "CCMOTEST"


def wire_text(text: str) -> str:
    """`text` as a header/status string whose bytes on the wire are its UTF-8 (PHP sends bytes as given)."""
    return " ".join(text.splitlines()).encode("utf-8").decode("latin-1")


def service_reason(status: int, reason: str = "") -> str:
    """The reason phrase Moodle's service response class puts on the status line."""
    if reason:
        return reason
    code = status if 200 <= status < 600 else 500
    return SERVICE_REASONS.get(code) or SERVICE_REASONS.get(code // 100 * 100, "")


def php_json(value: Any, *, escape_slashes: bool = True) -> str:
    """PHP json_encode output: compact, non-ASCII escaped, "/" escaped unless JSON_UNESCAPED_SLASHES."""
    encoded = json.dumps(value, separators=(",", ":"))
    return encoded.replace("/", "\\/") if escape_slashes else encoded


def php_date_c(timestamp: float) -> str:
    """PHP date('c') on a UTC server: 2026-11-22T17:13:32+00:00."""
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(int(timestamp)))


def media_type(header_value: str | None) -> str:
    """The media type of a Content-Type value without its parameters."""
    return (header_value or "").split(";", 1)[0].strip()


def make_response(
    status: int,
    reason: str,
    body: str | bytes = b"",
    content_type: str | None = None,
    headers: list[tuple[str, str]] | None = None,
) -> Response:
    """A response with an exact status line, body and headers (nothing added but what is given)."""
    response = Response(body, status=f"{status} {wire_text(reason)}")
    del response.headers["Content-Type"]
    if content_type:
        response.headers["Content-Type"] = content_type
    for name, value in headers or []:
        response.headers.add(name, wire_text(value))
    return response


def service_response(
    request: Request,
    status: int,
    *,
    reason: str = "",
    body: str = "",
    content_type: str = "",
    headers: list[tuple[str, str]] | None = None,
) -> Response:
    """An answer of mod/lti/services.php: body as given on success or when set, else Moodle's JSON error document."""
    phrase = service_reason(status, reason)
    if 200 <= status < 300 or body:
        return make_response(
            status, phrase, body, f"{content_type}; charset=utf-8" if content_type else None, headers
        )
    if status < 400:
        return make_response(status, phrase, b"", None, headers)
    described: dict[str, Any] = {"method": request.method, "url": request_uri(request)}
    if "Accept" in request.headers:
        described["accept"] = request.headers["Accept"]
    described["contentType"] = media_type(request.headers.get("Content-Type"))
    document = {"status": status, "reason": phrase, "request": described}
    return make_response(status, phrase, json.dumps(document, indent=4), JSON_UTF8, headers)


def request_uri(request: Request) -> str:
    """The path and query exactly as the client sent them (PHP's REQUEST_URI)."""
    raw = request.environ.get("REQUEST_URI") or request.environ.get("RAW_URI")
    if raw:
        return raw
    query = request.query_string.decode("latin-1")
    return request.path + (f"?{query}" if query else "")


def error_page(message: str, status: int = 404) -> Response:
    """Moodle's HTML error page: what any uncaught exception produces (404 unless told otherwise)."""
    page = (
        '<!DOCTYPE html> <html dir="ltr" lang="en" xml:lang="en"> <head> '
        f"<title>Error | {SITE_NAME}</title> </head> <body> "
        f'<div class="box errorbox"><p class="errormessage">{html.escape(message)}</p></div> '
        "</body> </html>"
    )
    return make_response(status, SERVICE_REASONS.get(status, "Error"), page, HTML_UTF8)


def text_response(status: int, body: str, content_type: str = HTML_UTF8) -> Response:
    """A plain PHP echo with the default reason phrase and content type."""
    return make_response(status, service_reason(status), body, content_type)
