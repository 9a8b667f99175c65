"""What the engine is told: completions, enrollments, certifications held, fee payments, CARES progress.

All are frozen values; the engine never changes them and never looks anything up elsewhere.
Credit is a float (hours or points, as the catalogue and the completion give it); results round to 2 places.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

FORMAT_EVENT = "event"


@dataclass(frozen=True, slots=True)
class Completion:
    """An official completed an activity on a date.

    `areas`, `format`, `provider`, `kind` and `category` are the values that apply to this completion (the
    catalogue's, unless the record says otherwise). `counts_once_per` says when attending the same activity again
    earns credit again: `programme` (never within one requirement set), `year` (once per calendar year, as for
    a yearly event) or `completion` (every completion is a different item). A reversed completion is still passed in, with
    `reversed=True`, so that it is listed as not counted.
    """

    id: str
    activity_id: str
    date: dt.date
    hours: float = 0.0
    areas: frozenset[str] = frozenset()
    format: str = "in_person"
    provider: str = "ccm"
    kind: str = "workshop"
    title: str = ""
    category: str | None = None
    points: float = 0.0
    counts_once_per: str = "programme"
    reversed: bool = False


@dataclass(frozen=True, slots=True)
class Enrollment:
    """An official in a programme edition from an enrollment (application) date.

    `member_since` is the start of the official's membership of the issuing organisation (IIMC editions need
    it); `member_municipality` says whether the official's municipality is a member (None: not known, not
    checked).
    """

    edition_id: str
    enrolled_on: dt.date
    member_since: dt.date | None = None
    member_municipality: bool | None = None


@dataclass(frozen=True, slots=True)
class HeldCertification:
    """A certification the official holds (or held): needed for prerequisites and continuing education."""

    program: str
    edition_id: str
    certified_on: dt.date
    used_completion_ids: frozenset[str] = frozenset()
    lapsed_on: dt.date | None = None

    def held_on(self, day: dt.date) -> bool:
        """Whether the certification was in force on `day`."""
        return self.certified_on <= day and (self.lapsed_on is None or day < self.lapsed_on)


@dataclass(frozen=True, slots=True)
class FeePayment:
    """A continuing-education fee payment."""

    paid_on: dt.date
    amount: float


@dataclass(frozen=True, slots=True)
class ActionItemProgress:
    """Where a municipality stands on one CARES action item.

    An item counts as implemented only with the date, the evidence and the CCM reviewer who confirmed it.
    """

    item_id: str
    state: str = "not_started"
    started_on: dt.date | None = None
    implemented_on: dt.date | None = None
    evidence: str | None = None
    reviewed_by: str | None = None


@dataclass(frozen=True, slots=True)
class TrainingAttendance:
    """An official of the municipality attended a training (used to list a town's CARES-trained leaders)."""

    official_id: str
    official_name: str
    activity_id: str
    date: dt.date
    reversed: bool = False
