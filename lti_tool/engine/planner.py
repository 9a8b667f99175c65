"""The planner: the fewest upcoming sessions that complete a programme before its deadline.

Method. The minimum slots (area minimums, attendances) form a transversal matroid over the candidate
sessions, contracted by what is already counted: a set of new sessions can fill the missing slots exactly
when it contains a basis of that matroid. Among sets of k sessions containing a basis, the one with the most
credit is a maximum-credit basis (greedy by credit) plus the k - d other sessions with the most credit
(d = missing slots). So taking the greedy basis and then the largest remaining credits until the totals are
met gives the fewest sessions for hour-based editions. For point categories, each category then takes its
own largest items first. Ties go to the earlier session, so the plan also finishes as early as it can.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, Iterable

from .dates import ONE_DAY, add_years, iso, long_date
from .evaluate import COMPLETE, EXPIRED, NOT_ELIGIBLE, Evaluation, amount, evaluate, json_number, repeat_key
from .inputs import Completion, Enrollment, HeldCertification
from .matching import SlotMatching
from .rules import Activity, Catalogue, Edition, Session


@dataclass(frozen=True)
class PlannedSession:
    """A session the plan proposes, and what it counts toward."""

    activity_id: str
    title: str
    dates: tuple[dt.date, ...]
    place: str
    format: str
    provider: str
    credit: float
    toward: str | None

    @property
    def date(self) -> dt.date:
        """The day the session is complete."""
        return self.dates[-1]

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "activity": self.activity_id,
            "title": self.title,
            "dates": [day.isoformat() for day in self.dates],
            "place": self.place,
            "format": self.format,
            "provider": self.provider,
            "credit": json_number(self.credit),
            "toward": self.toward,
        }


@dataclass(frozen=True)
class Plan:
    """The planner's answer: whether the programme can still be completed in time, and how."""

    edition_id: str
    feasible: bool
    sessions: tuple[PlannedSession, ...]
    completes_on: dt.date | None
    message: str
    evaluation: Evaluation

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "edition": self.edition_id,
            "feasible": self.feasible,
            "completes_on": iso(self.completes_on),
            "message": self.message,
            "sessions": [session.to_dict() for session in self.sessions],
        }


@dataclass(eq=False)
class _Candidate:
    """An upcoming session as a would-be completion (compared by identity)."""

    activity: Activity
    session: Session
    completion: Completion
    credit: float
    options: tuple[int, ...]


def _candidates(edition: Edition, catalogue: Catalogue, evaluation: Evaluation, as_of: dt.date,
                start: dt.date) -> list[_Candidate]:
    """One best upcoming session per activity (per year for yearly ones) that would count and is not a repeat."""
    deadline = evaluation.deadline
    counted_keys = {repeat_key(completion) for completion, _ in evaluation.counted}
    best: dict[tuple, _Candidate] = {}
    for activity in catalogue.activities.values():
        for session in activity.sessions:
            first, last = session.dates[0], session.last_day
            if first < as_of or first < start or (deadline is not None and last >= deadline):
                continue
            completion = activity.completion(f"plan:{activity.id}:{last.isoformat()}", last,
                                             format=session.format, provider=session.provider)
            credit = edition.credit_for(completion)
            if isinstance(credit, str):
                continue
            key = repeat_key(completion)
            if key in counted_keys:
                continue
            candidate = _Candidate(activity, session, completion, credit, edition.slot_options(completion))
            current = best.get(key)
            if current is None or _preference(candidate) < _preference(current):
                best[key] = candidate
    return list(best.values())


def _preference(candidate: _Candidate) -> tuple:
    return (-len(candidate.options), -candidate.credit, candidate.completion.date, candidate.activity.id)


def plan(
    edition: Edition,
    enrollment: Enrollment,
    completions: Iterable[Completion],
    as_of: dt.date,
    catalogue: Catalogue,
    held_certifications: Iterable[HeldCertification] = (),
) -> Plan:
    """The smallest set of upcoming catalogue sessions that completes the programme before its deadline."""
    held = tuple(held_certifications)
    evaluation = evaluate(edition, enrollment, completions, as_of, held)

    def answer(feasible: bool, sessions: tuple[PlannedSession, ...], completes_on: dt.date | None,
               message: str) -> Plan:
        return Plan(edition.id, feasible, sessions, completes_on, message, evaluation)

    if evaluation.status == COMPLETE:
        return answer(True, (), evaluation.completed_on, f"already complete on {long_date(evaluation.completed_on)}")
    if evaluation.status == NOT_ELIGIBLE:
        return answer(False, (), None, "not eligible: " + "; ".join(evaluation.unmet))
    if evaluation.status == EXPIRED:
        return answer(False, (), None, evaluation.unmet[0])

    candidates = _candidates(edition, catalogue, evaluation, as_of, evaluation.context.start)
    matching = SlotMatching([group.minimum for group in edition.groups])
    for completion, _ in evaluation.counted:
        matching.add(edition.slot_options(completion))
    base_items = len(matching.group_of)

    by_credit = sorted(candidates, key=lambda candidate: (-candidate.credit, candidate.completion.date,
                                                          candidate.activity.id))
    chosen: list[_Candidate] = []
    for candidate in by_credit:
        if matching.complete:
            break
        if candidate.options and matching.try_add(candidate.options):
            chosen.append(candidate)
    by = f" by {long_date(evaluation.deadline - ONE_DAY)}" if evaluation.deadline else ""
    if not matching.complete:
        missing = [
            f"{group.minimum - matching.count(index)} {edition.area_title(group.area) + ' ' if group.area else ''}"
            f"{group.noun(group.minimum - matching.count(index))}"
            for index, group in enumerate(edition.groups)
            if matching.count(index) < group.minimum
        ]
        return answer(False, (), None, f"cannot be completed{by}: not enough upcoming sessions for "
                                       + ", ".join(missing))

    # Among equal credits, prefer activities the official has not attended (from any provider) yet.
    attended = {completion.activity_id for completion, _ in evaluation.counted}
    attended.update(candidate.activity.id for candidate in chosen)
    remaining = sorted((candidate for candidate in by_credit if candidate not in chosen),
                       key=lambda candidate: (-candidate.credit, candidate.activity.id in attended,
                                              candidate.completion.date, candidate.activity.id))
    earned = {category: earned for category, (earned, _) in evaluation.categories.items()}
    for candidate in chosen:
        if candidate.completion.category in earned:
            earned[candidate.completion.category] += candidate.credit
    for category, required in edition.category_minimums.items():
        for candidate in [c for c in remaining if c.completion.category == category]:
            if earned[category] >= required:
                break
            chosen.append(candidate)
            remaining.remove(candidate)
            earned[category] += candidate.credit
        if earned[category] < required:
            title = edition.vocabulary.categories[category].title
            return answer(False, (), None, f"cannot be completed{by}: not enough upcoming {title} "
                                           f"sessions ({amount(required - earned[category])} points short)")
    total = evaluation.earned + sum(candidate.credit for candidate in chosen)
    for candidate in remaining:
        if total >= edition.required_total:
            break
        chosen.append(candidate)
        total += candidate.credit
    if total < edition.required_total:
        unit = "credit hours" if edition.unit == "hours" else "points"
        return answer(False, (), None, f"cannot be completed{by}: the upcoming sessions offer "
                                       f"{amount(total - evaluation.earned)} of the "
                                       f"{amount(edition.required_total - evaluation.earned)} {unit} still needed")

    toward = {}
    for item in range(base_items, len(matching.group_of)):
        group_index = matching.group_of[item]
        toward[id(chosen[item - base_items])] = edition.groups[group_index].id if group_index >= 0 else None
    sessions = tuple(
        PlannedSession(
            activity_id=candidate.activity.id,
            title=candidate.activity.title,
            dates=candidate.session.dates,
            place=candidate.session.place,
            format=candidate.completion.format,
            provider=candidate.completion.provider,
            credit=candidate.credit,
            toward=toward.get(id(candidate)),
        )
        for candidate in sorted(chosen, key=lambda candidate: candidate.completion.date)
    )
    completes_on = sessions[-1].date if sessions else as_of
    membership = next((requirement for requirement in evaluation.requirements if requirement.id == "membership"), None)
    if membership is not None and not membership.met and evaluation.enrollment.member_since is not None:
        completes_on = max(completes_on, add_years(evaluation.enrollment.member_since, edition.membership_years))
    count = len(sessions)
    return answer(True, sessions, completes_on,
                  f"{count} {'session' if count == 1 else 'sessions'} complete the {edition.program_abbreviation} "
                  f"on {long_date(completes_on)}")
