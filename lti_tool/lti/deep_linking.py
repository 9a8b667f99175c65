"""Deep linking: the content items an instructor can place, and the signed LtiDeepLinkingResponse.

The message is built with pylti1p3's DeepLink/DeepLinkResource (the shape Moodle 4.5 accepted in the
captured exchange) and signed with the tool's current key, its kid in the header.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import jwt
from pylti1p3.deep_link import DeepLink
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.lineitem import LineItem
from pylti1p3.registration import Registration

from ..keys import SigningKey
from ..models import Activity
from . import claims as c

PROGRESS_CHOICE = "progress"
PROGRESS_TITLE = "My certification progress"
LINE_ITEM_TAG = "civic-credentials-activity"


@dataclass(frozen=True)
class Choice:
    """One entry of the picker: the progress page or a catalogue activity."""

    value: str
    title: str
    detail: str


def choices(activities: list[Activity]) -> list[Choice]:
    """The picker's entries: "My certification progress" first, then the catalogue."""
    entries = [Choice(PROGRESS_CHOICE, PROGRESS_TITLE, "Each learner sees their own certificates and hours")]
    for activity in activities:
        detail = f"{_number(activity.hours)} h" if activity.hours is not None else "no credit hours"
        entries.append(Choice(f"activity:{activity.id}", activity.title, f"{activity.kind}, {detail}"))
    return entries


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def progress_item(launch_url: str) -> DeepLinkResource:
    """The placement that opens each learner's certification progress."""
    return (
        DeepLinkResource()
        .set_title(PROGRESS_TITLE)
        .set_url(launch_url)
        .set_custom_params({c.CUSTOM_PLACEMENT: c.PLACEMENT_PROGRESS})
    )


def activity_item(activity: Activity, launch_url: str) -> DeepLinkResource:
    """A placement of a catalogue activity, with a gradebook column worth its credit hours."""
    item = (
        DeepLinkResource()
        .set_title(activity.title)
        .set_url(launch_url)
        .set_custom_params({c.CUSTOM_ACTIVITY: activity.id})
    )
    if activity.hours is not None and activity.hours > 0:
        line_item = LineItem(
            {
                "scoreMaximum": _number(activity.hours),
                "label": activity.title,
                "resourceId": activity.id,
                "tag": LINE_ITEM_TAG,
            }
        )
        item.set_lineitem(line_item)
    return item


def response_jwt(
    *,
    issuer: str,
    client_id: str,
    deployment_id: str,
    settings: dict[str, Any],
    items: list[DeepLinkResource],
    key: SigningKey,
) -> str:
    """The signed LtiDeepLinkingResponse answering a deep-linking request."""
    registration = Registration().set_issuer(issuer).set_client_id(client_id)
    message = DeepLink(registration, deployment_id, settings).get_message_jwt(items)
    return jwt.encode(message, key.private_key, algorithm="RS256", headers={"kid": key.kid})
