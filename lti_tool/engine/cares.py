"""CCM CARES in Action: a municipality's action items, their states, and the recognitions they earn.

An item is implemented only when the date, the evidence and the CCM reviewer who confirmed it are all
recorded (and the date is not after the day of the report); until then it is in progress. Each implemented
item earns a recognition on its implementation date, and all items implemented earn the all-items
recognition on the date of the last one. The town's officials who attended CARES trainings are listed with
its recognitions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Iterable

from .dates import iso
from .inputs import ActionItemProgress, TrainingAttendance
from .rules import CaresRules

NOT_STARTED = "not_started"
IN_PROGRESS = "in_progress"
IMPLEMENTED = "implemented"
STATES = (NOT_STARTED, IN_PROGRESS, IMPLEMENTED)


@dataclass(frozen=True)
class ItemStatus:
    """Where the municipality stands on one action item."""

    number: int
    item_id: str
    title: str
    state: str
    started_on: dt.date | None
    implemented_on: dt.date | None
    evidence: str | None
    reviewed_by: str | None
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "number": self.number,
            "id": self.item_id,
            "title": self.title,
            "state": self.state,
            "started_on": iso(self.started_on),
            "implemented_on": iso(self.implemented_on),
            "evidence": self.evidence,
            "reviewed_by": self.reviewed_by,
            "note": self.note,
        }


@dataclass(frozen=True)
class Recognition:
    """A recognition of the municipality and its CARES-trained leaders."""

    kind: str
    item_id: str | None
    text: str
    awarded_on: dt.date
    officials: tuple[tuple[str, str], ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "kind": self.kind,
            "item": self.item_id,
            "text": self.text,
            "awarded_on": self.awarded_on.isoformat(),
            "officials": [{"id": official_id, "name": name} for official_id, name in self.officials],
        }


@dataclass(frozen=True)
class CaresStatus:
    """A municipality's CARES in Action progress on a date."""

    municipality: str
    as_of: dt.date
    items: tuple[ItemStatus, ...]
    recognitions: tuple[Recognition, ...]
    trained_officials: tuple[tuple[str, str], ...]

    @property
    def implemented(self) -> int:
        """How many items are implemented."""
        return sum(1 for item in self.items if item.state == IMPLEMENTED)

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "municipality": self.municipality,
            "as_of": self.as_of.isoformat(),
            "implemented": self.implemented,
            "items": [item.to_dict() for item in self.items],
            "recognitions": [recognition.to_dict() for recognition in self.recognitions],
            "trained_officials": [{"id": official_id, "name": name} for official_id, name in self.trained_officials],
        }


def evaluate_cares(
    cares: CaresRules,
    municipality: str,
    progress: Iterable[ActionItemProgress],
    attendance: Iterable[TrainingAttendance],
    as_of: dt.date,
) -> CaresStatus:
    """The municipality's action items with their states and dates, its recognitions and trained leaders.

    Raises ValueError for an unknown item id or state, or an item given twice.
    """
    by_item: dict[str, ActionItemProgress] = {}
    known = {item.id for item in cares.items}
    for entry in progress:
        if entry.item_id not in known:
            raise ValueError(f"unknown CARES action item {entry.item_id!r} (known: {', '.join(sorted(known))})")
        if entry.state not in STATES:
            raise ValueError(f"unknown state {entry.state!r} for {entry.item_id} (known: {', '.join(STATES)})")
        if entry.item_id in by_item:
            raise ValueError(f"CARES action item {entry.item_id!r} is given twice")
        by_item[entry.item_id] = entry

    trained: dict[str, str] = {}
    for record in attendance:
        if record.activity_id in cares.trainings and not record.reversed and record.date <= as_of:
            trained.setdefault(record.official_id, record.official_name)
    officials = tuple(sorted(trained.items(), key=lambda official: (official[1].casefold(), official[0])))

    items = tuple(_item_status(item.number, item.id, item.title, by_item.get(item.id), as_of) for item in cares.items)
    recognitions = [
        Recognition("item", item.item_id,
                    cares.item_recognition.format(municipality=municipality, number=item.number, item=item.title),
                    item.implemented_on, officials)
        for item in sorted((item for item in items if item.state == IMPLEMENTED),
                           key=lambda item: (item.implemented_on, item.number))
    ]
    if items and all(item.state == IMPLEMENTED for item in items):
        recognitions.append(Recognition(
            "all_items", None,
            cares.all_items_recognition.format(municipality=municipality, count=len(items)),
            max(item.implemented_on for item in items), officials))
    return CaresStatus(municipality, as_of, items, tuple(recognitions), officials)


def _item_status(number: int, item_id: str, title: str, entry: ActionItemProgress | None,
                 as_of: dt.date) -> ItemStatus:
    if entry is None:
        return ItemStatus(number, item_id, title, NOT_STARTED, None, None, None, None)
    state, note = entry.state, None
    if state == IMPLEMENTED:
        missing = [name for name, value in (("date", entry.implemented_on), ("evidence", entry.evidence),
                                             ("reviewer", entry.reviewed_by)) if not value]
        if missing:
            state, note = IN_PROGRESS, f"not yet confirmed: missing the {' and '.join(missing)}"
        elif entry.implemented_on > as_of:
            state, note = IN_PROGRESS, "implementation is dated after this report"
    if state == IN_PROGRESS and entry.started_on is not None and entry.started_on > as_of:
        state, note = NOT_STARTED, "work is dated to start after this report"
    return ItemStatus(number, item_id, title, state, entry.started_on,
                      entry.implemented_on if state == IMPLEMENTED else None,
                      entry.evidence, entry.reviewed_by, note)
