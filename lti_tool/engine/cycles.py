"""Continuing education: the cycles that keep a certification, and whether it is current, due or lapsed.

- Academy editions (`calendar_year`): each calendar year after the year of certification is a cycle; its fee
  is due in January and its hours must be done by 31 December.
- Classic (`after_certification`): the two years following certification are a cycle, with a fee and hours.

A cycle is `met` (hours, attendances and fee all done), `current` (open, fee paid or none, hours still to
do), `due` (open, fee not yet paid) or `lapsed` (closed without being met: the certification lapses at its
end and no later cycle follows). Completions count in the cycle they are dated in; a repeat within one
cycle is not counted again, but the same activity counts again in a later cycle.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, Iterable

from .dates import ONE_DAY, add_years, iso, long_date
from .evaluate import amount, json_number, repeat_key
from .inputs import Completion, FeePayment, HeldCertification
from .matching import SlotMatching
from .rules import Edition, SlotGroup

MET = "met"
CURRENT = "current"
DUE = "due"
LAPSED = "lapsed"


@dataclass(frozen=True)
class Cycle:
    """One continuing-education cycle: [starts_on, ends_on) with what it asks and what was done."""

    number: int
    starts_on: dt.date
    ends_on: dt.date
    hours_required: float
    hours_done: float
    attendance: tuple[tuple[str, int, int], ...]
    fee_amount: float | None
    fee_due_by: dt.date | None
    fee_paid_on: dt.date | None
    state: str
    met_on: dt.date | None
    counted_completion_ids: tuple[str, ...]
    unmet: tuple[str, ...]

    @property
    def last_day(self) -> dt.date:
        """The last day of the cycle."""
        return self.ends_on - ONE_DAY

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "number": self.number,
            "starts_on": self.starts_on.isoformat(),
            "last_day": self.last_day.isoformat(),
            "hours": {"required": json_number(self.hours_required), "done": json_number(self.hours_done)},
            "attendance": [{"id": key, "required": required, "done": done} for key, required, done in self.attendance],
            "fee": None if self.fee_amount is None else {
                "amount": json_number(self.fee_amount),
                "due_by": iso(self.fee_due_by),
                "paid_on": iso(self.fee_paid_on),
            },
            "state": self.state,
            "met_on": iso(self.met_on),
            "counted": list(self.counted_completion_ids),
            "unmet": list(self.unmet),
        }


@dataclass(frozen=True)
class ContinuingEducation:
    """The continuing-education record of one certification on a date."""

    edition_id: str
    certified_on: dt.date
    as_of: dt.date
    standing: str
    lapsed_on: dt.date | None
    cycles: tuple[Cycle, ...]
    next_cycle_starts_on: dt.date | None

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "edition": self.edition_id,
            "certified_on": self.certified_on.isoformat(),
            "as_of": self.as_of.isoformat(),
            "standing": self.standing,
            "lapsed_on": iso(self.lapsed_on),
            "next_cycle_starts_on": iso(self.next_cycle_starts_on),
            "cycles": [cycle.to_dict() for cycle in self.cycles],
        }


def first_cycle_start(edition: Edition, certified_on: dt.date) -> dt.date:
    """The day the first continuing-education cycle starts."""
    rule = edition.continuing_education
    if rule is None:
        raise ValueError(f"{edition.id} has no continuing education")
    if rule.cycle == "calendar_year":
        return dt.date(certified_on.year + 1, 1, 1)
    return certified_on


def evaluate_cycles(
    edition: Edition,
    certification: HeldCertification,
    completions: Iterable[Completion],
    fee_payments: Iterable[FeePayment],
    as_of: dt.date,
) -> ContinuingEducation:
    """The cycles of a certification up to `as_of`, each with its state, and the certification's standing."""
    rule = edition.continuing_education
    if rule is None:
        raise ValueError(f"{edition.id} has no continuing education")
    ordered = sorted(
        (completion for completion in completions
         if not completion.reversed and completion.id not in certification.used_completion_ids),
        key=attrgetter("date", "id"),
    )
    payments = sorted(fee_payments, key=attrgetter("paid_on"))
    used_payments: set[int] = set()
    cycles: list[Cycle] = []
    start = first_cycle_start(edition, certification.certified_on)
    lapsed_on = None
    while start <= as_of:
        end = add_years(start, rule.cycle_years)
        cycle = _cycle(edition, len(cycles) + 1, start, end, ordered, payments, used_payments, as_of)
        cycles.append(cycle)
        if cycle.state == LAPSED:
            lapsed_on = end
            break
        start = end
    if lapsed_on is not None:
        standing = LAPSED
    elif cycles and cycles[-1].state == DUE:
        standing = DUE
    else:
        standing = CURRENT
    return ContinuingEducation(
        edition_id=edition.id,
        certified_on=certification.certified_on,
        as_of=as_of,
        standing=standing,
        lapsed_on=lapsed_on,
        cycles=tuple(cycles),
        next_cycle_starts_on=None if lapsed_on is not None else start,
    )


def _options(groups: tuple[SlotGroup, ...], completion: Completion) -> tuple[int, ...]:
    return tuple(index for index, group in enumerate(groups) if group.filter.accepts(completion))


def _cycle(edition: Edition, number: int, start: dt.date, end: dt.date, ordered: list[Completion],
           payments: list[FeePayment], used_payments: set[int], as_of: dt.date) -> Cycle:
    rule = edition.continuing_education
    groups = rule.groups
    matching = SlotMatching([group.minimum for group in groups])
    seen: set[tuple] = set()
    counted: list[str] = []
    hours = 0.0
    work_done_on = start if rule.hours <= 0 and not groups else None
    for completion in ordered:
        if completion.date < start or completion.date >= end or completion.date > as_of:
            continue
        credit = edition.credit_for(completion)
        if isinstance(credit, str):
            continue
        key = repeat_key(completion)
        if key in seen:
            continue
        seen.add(key)
        counted.append(completion.id)
        hours += credit
        matching.add(_options(groups, completion))
        if work_done_on is None and hours >= rule.hours and matching.complete:
            work_done_on = completion.date

    fee = rule.fee
    fee_due_by = paid_on = None
    if fee is not None:
        fee_due_by = start + dt.timedelta(days=fee.due_within_days - 1) if fee.due_within_days else end - ONE_DAY
        opens = start - dt.timedelta(days=fee.payable_days_before)
        paid = 0.0
        for index, payment in enumerate(payments):
            if index in used_payments or not opens <= payment.paid_on < end or payment.paid_on > as_of:
                continue
            if paid >= fee.amount and payment.amount > 0:
                continue  # this cycle is paid: the payment is left for the next one
            used_payments.add(index)
            paid += payment.amount
            if paid < fee.amount:
                paid_on = None  # a refund can un-settle a paid cycle
            elif paid_on is None:
                paid_on = payment.paid_on

    fee_settled = fee is None or paid_on is not None
    met_on = None
    if work_done_on is not None and fee_settled:
        met_on = max(work_done_on, paid_on) if paid_on is not None else work_done_on
    if met_on is not None:
        state = MET
    elif as_of >= end:
        state = LAPSED
    elif not fee_settled:
        state = DUE
    else:
        state = CURRENT

    unmet: list[str] = []
    if state != MET:
        by = f"by {long_date(end - ONE_DAY)}"
        if not fee_settled:
            unmet.append(f"pay the ${amount(fee.amount)} continuing-education fee (due by {long_date(fee_due_by)})")
        if hours < rule.hours:
            short = rule.hours - hours
            unmet.append(f"{amount(short)} more credit {'hour' if short == 1 else 'hours'} {by}")
        for index, group in enumerate(groups):
            missing = group.minimum - matching.count(index)
            if missing > 0:
                unmet.append(f"{missing} more {group.noun(missing)} {by}")
    return Cycle(
        number=number,
        starts_on=start,
        ends_on=end,
        hours_required=rule.hours,
        hours_done=hours,
        attendance=tuple((group.id, group.minimum, matching.count(index)) for index, group in enumerate(groups)),
        fee_amount=fee.amount if fee is not None else None,
        fee_due_by=fee_due_by,
        fee_paid_on=paid_on,
        state=state,
        met_on=met_on,
        counted_completion_ids=tuple(counted),
        unmet=tuple(unmet),
    )
