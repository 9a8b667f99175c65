"""Clients for a platform's services (OAuth2 tokens, AGS, NRPS) used by the outbox jobs.

Every call has a timeout and a response size cap; failures raise `TransientLmsError` (retry later) or
`PermanentLmsError` (retrying will not help). Clients make network calls: call them with no database
transaction open, never from a web request.
"""

from .ags import (
    AGS_SCOPES,
    RemoteLineItem,
    Result,
    Score,
    create_line_item,
    find_or_create_line_item,
    list_line_items,
    post_score,
    read_results,
    service_url,
)
from .client import ServiceClient
from .errors import LmsError, PermanentLmsError, TransientLmsError
from .nrps import NRPS_SCOPES, Member, list_members

__all__ = [
    "AGS_SCOPES",
    "LmsError",
    "Member",
    "NRPS_SCOPES",
    "PermanentLmsError",
    "RemoteLineItem",
    "Result",
    "Score",
    "ServiceClient",
    "TransientLmsError",
    "create_line_item",
    "find_or_create_line_item",
    "list_line_items",
    "list_members",
    "post_score",
    "read_results",
    "service_url",
]
