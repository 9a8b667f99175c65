"""Evaluating one enrollment: what counts, toward what, and whether the programme is complete.

Counting rules (PROGRAMS.md, Decisions):
- a completion counts only if dated on or after the start (the enrollment date; for IIMC the membership start
  or the day after the prerequisite certification) and before the window closes (enrollment date + window,
  exclusive), and not after the evaluation date;
- the same activity counts once per requirement set (per year for yearly events and records); a repeat is
  listed, not credited again;
- reversed completions, formats and providers the edition does not accept, events it gives no credit, and
  completions used toward the prerequisite are listed as not counted, with the reason;
- each completion fills at most one minimum slot (area minimums, attendances), placed by maximum matching;
- the completion date is the date of the completion that satisfied the last requirement (or the day the
  membership requirement is met, when that is later).
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from dataclasses import dataclass, field
from functools import cached_property
from operator import attrgetter
from typing import Any, Iterable

from .dates import ONE_DAY, add_years, iso, long_date
from .inputs import Completion, Enrollment, HeldCertification
from .matching import SlotMatching
from .rules import Edition, SlotGroup

IN_PROGRESS = "in_progress"
COMPLETE = "complete"
EXPIRED = "expired"
NOT_ELIGIBLE = "not_eligible"

# Completions are taken in date order; completions of one day keep the order they were given in.
_ORDER = attrgetter("date")


def amount(value: float) -> str:
    """A credit amount for people: `3`, `1.5`."""
    return f"{value:g}" if value == int(value) else f"{round(value, 2):g}"


def json_number(value: float) -> int | float:
    """A credit amount for JSON: whole numbers as integers, others rounded to 2 places."""
    rounded = round(value, 2)
    return int(rounded) if rounded == int(rounded) else rounded


@dataclass(frozen=True)
class Requirement:
    """One requirement of the edition, how much of it is done, and what is missing in plain words."""

    id: str
    text: str
    required: float
    earned: float
    met: bool
    unmet: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "id": self.id,
            "text": self.text,
            "required": json_number(self.required),
            "earned": json_number(self.earned),
            "met": self.met,
            "unmet": self.unmet,
        }


@dataclass(frozen=True)
class ListedCompletion:
    """A completion as a result lists it: which one, of what, on what day, and why it was treated so."""

    completion_id: str
    activity_id: str
    title: str
    date: dt.date
    why: str

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "completion": self.completion_id,
            "activity": self.activity_id,
            "title": self.title,
            "date": self.date.isoformat(),
            "why": self.why,
        }


@dataclass(frozen=True)
class Assignment(ListedCompletion):
    """A counted completion, its credit, and the area (or attendance) it was counted toward."""

    credit: float
    area: str | None
    toward: str | None

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {**super().to_dict(), "credit": json_number(self.credit), "area": self.area, "toward": self.toward}


@dataclass(frozen=True)
class NotCounted(ListedCompletion):
    """A completion listed but not counted, with a stable reason code (`why` says it in plain words)."""

    reason: str

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {**super().to_dict(), "reason": self.reason}


@dataclass(frozen=True)
class AreaProgress:
    """Progress in one development area: the minimum (if any), how many count toward it, all counted there."""

    area: str
    title: str
    required: int
    earned: int
    met: bool
    completions: int
    credit: float

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "title": self.title,
            "required": self.required,
            "earned": self.earned,
            "met": self.met,
            "completions": self.completions,
            "credit": json_number(self.credit),
        }


@dataclass(frozen=True)
class _Context:
    """What the reasons and explanations of one evaluation refer to, and the completions in date order with
    the bounds of those dated inside the window (`ordered[first:last]`)."""

    start: dt.date
    start_label: str
    before_code: str
    deadline: dt.date | None
    prerequisite: str | None
    ordered: list[Completion]
    first: int
    last: int


@dataclass(frozen=True)
class Evaluation:
    """The result of evaluating one enrollment on a date. `to_dict()` gives the JSON form."""

    edition: Edition = field(repr=False)
    enrollment: Enrollment
    as_of: dt.date
    status: str
    completed_on: dt.date | None
    deadline: dt.date | None
    earned: float
    required: float
    requirements: tuple[Requirement, ...]
    unmet: tuple[str, ...]
    counted: tuple[tuple[Completion, float], ...] = field(repr=False)
    skipped_in_window: tuple[tuple[Completion, str, Completion | None], ...] = field(repr=False)
    matching: SlotMatching = field(repr=False)
    context: _Context = field(repr=False)

    @property
    def unit(self) -> str:
        """`hours` or `points`."""
        return self.edition.unit

    @property
    def last_day(self) -> dt.date | None:
        """The last day inside the window (the day before the exclusive deadline)."""
        return self.deadline - ONE_DAY if self.deadline is not None else None

    @cached_property
    def counted_completion_ids(self) -> tuple[str, ...]:
        """Ids of the completions that count, in date order."""
        return tuple(completion.id for completion, _ in self.counted)

    @cached_property
    def assignments(self) -> tuple[Assignment, ...]:
        """Each counted completion with the area or attendance it counts toward, and why."""
        edition = self.edition
        groups = edition.groups
        result = []
        for index, (completion, credit) in enumerate(self.counted):
            group_index = self.matching.group_of[index]
            group = groups[group_index] if group_index >= 0 else None
            area = group.area if group is not None and group.area else _display_area(edition, completion)
            result.append(
                Assignment(
                    completion_id=completion.id,
                    activity_id=completion.activity_id,
                    title=completion.title or completion.activity_id,
                    date=completion.date,
                    credit=credit,
                    area=area,
                    toward=group.id if group is not None else None,
                    why=_why_counted(edition, completion, credit, group, self.matching.options[index]),
                )
            )
        return tuple(result)

    @cached_property
    def skipped(self) -> tuple[tuple[Completion, str, Completion | None], ...]:
        """Every completion not counted, in date order: (completion, reason code, the earlier one if a repeat)."""
        context = self.context
        ordered = context.ordered
        entries = [(completion, "reversed" if completion.reversed else context.before_code, None)
                   for completion in ordered[:context.first]]
        entries.extend(self.skipped_in_window)
        for completion in ordered[context.last:]:
            if completion.reversed:
                reason = "reversed"
            elif completion.date > self.as_of:
                reason = "after_as_of"
            else:
                reason = "after_window"
            entries.append((completion, reason, None))
        return tuple(entries)

    @cached_property
    def not_counted(self) -> tuple[NotCounted, ...]:
        """Completions listed but not counted, with the reason."""
        return tuple(
            NotCounted(
                completion_id=completion.id,
                activity_id=completion.activity_id,
                title=completion.title or completion.activity_id,
                date=completion.date,
                reason=reason,
                why=_why_not_counted(self, completion, reason, earlier),
            )
            for completion, reason, earlier in self.skipped
        )

    @cached_property
    def areas(self) -> dict[str, AreaProgress]:
        """Progress per development area (minimums where the edition has them; counts in any case)."""
        edition = self.edition
        minimum = {group.area: (index, group.minimum) for index, group in enumerate(edition.groups) if group.area}
        tally = {area.id: [0, 0.0] for area in edition.areas}
        for assignment in self.assignments:
            if assignment.area in tally:
                tally[assignment.area][0] += 1
                tally[assignment.area][1] += assignment.credit
        result = {}
        for area in edition.areas:
            index, required = minimum.get(area.id, (-1, 0))
            earned = self.matching.count(index) if index >= 0 else tally[area.id][0]
            result[area.id] = AreaProgress(
                area=area.id,
                title=area.short,
                required=required,
                earned=earned,
                met=earned >= required,
                completions=tally[area.id][0],
                credit=tally[area.id][1],
            )
        return result

    @cached_property
    def categories(self) -> dict[str, tuple[float, float]]:
        """Points per category: (earned, required), for editions counted in points."""
        earned = {category: 0.0 for category in self.edition.category_minimums}
        for completion, credit in self.counted:
            if completion.category in earned:
                earned[completion.category] += credit
        return {category: (earned[category], required)
                for category, required in self.edition.category_minimums.items()}

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (the `lti-tool evaluate --json` contract)."""
        edition = self.edition
        result: dict[str, Any] = {
            "program": edition.program,
            "edition": edition.id,
            "edition_title": edition.title,
            "status": self.status,
            "enrolled_on": self.enrollment.enrolled_on.isoformat(),
            "as_of": self.as_of.isoformat(),
            "completed_on": iso(self.completed_on),
            "deadline": iso(self.deadline),
            "last_day": iso(self.last_day),
            "unit": edition.unit,
            edition.unit: {"earned": json_number(self.earned), "required": json_number(self.required)},
        }
        if edition.area_groups:
            result["areas"] = {key: progress.to_dict() for key, progress in self.areas.items()
                               if progress.required}
        if edition.unit == "hours":
            result["area_progress"] = {key: progress.to_dict() for key, progress in self.areas.items()}
        if edition.category_minimums:
            result["categories"] = {
                key: {"earned": json_number(earned), "required": json_number(required), "met": earned >= required}
                for key, (earned, required) in self.categories.items()
            }
        result["requirements"] = [requirement.to_dict() for requirement in self.requirements]
        result["assignment"] = [assignment.to_dict() for assignment in self.assignments]
        result["not_counted"] = [entry.to_dict() for entry in self.not_counted]
        result["unmet"] = list(self.unmet)
        result["counted"] = list(self.counted_completion_ids)
        return result


def repeat_key(completion: Completion) -> tuple:
    """Completions with equal keys are repeats of one another: only the first counts in a requirement set.

    The same activity from the same provider is a repeat (for yearly events and records: in the same year);
    activities that count once per completion never repeat.
    """
    once_per = completion.counts_once_per
    if once_per == "programme":
        return (completion.activity_id, completion.provider)
    if once_per == "year":
        return (completion.activity_id, completion.provider, completion.date.year)
    return (completion.id,)


def _display_area(edition: Edition, completion: Completion) -> str | None:
    if not completion.areas:
        return None
    for area in edition.areas:
        if area.id in completion.areas:
            return area.id
    return None


def _area_list(edition: Edition, areas: Iterable[str]) -> str:
    names = [edition.area_title(area.id) for area in edition.areas if area.id in areas]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _group_label(edition: Edition, group: SlotGroup) -> str:
    return f"{edition.area_title(group.area)} minimum" if group.area else f"{group.one} requirement"


def _why_counted(edition: Edition, completion: Completion, credit: float, group: SlotGroup | None,
                 options: tuple[int, ...]) -> str:
    credit_text = f"{amount(credit)} {edition.unit}"
    if completion.activity_id in edition.event_credits:
        return f"event: {credit_text} per event for this edition"
    if group is not None:
        if group.area is None:
            return f"counts as a {group.one} ({credit_text})"
        area = edition.area_title(group.area)
        listed = [area_id.id for area_id in edition.areas if area_id.id in completion.areas]
        if len(listed) == 1:
            return f"counts toward the {area} minimum, its only area ({credit_text})"
        return (f"listed under {_area_list(edition, listed)}; counted in {area}, the placement that meets the "
                f"most area minimums ({credit_text})")
    if options:
        labels = " and ".join(_group_label(edition, edition.groups[index]) for index in options)
        return f"{labels} already met; counts toward the total ({credit_text})"
    if edition.area_groups and completion.areas:
        noun = next(group.many for group in edition.groups if group.area)
        return f"counts toward the total only: area minimums take {noun} ({credit_text})"
    if edition.unit == "points":
        category = edition.vocabulary.categories.get(completion.category)
        return f"{credit_text} toward {category.title if category else completion.category}"
    return f"counts toward the total ({credit_text})"


def _why_not_counted(evaluation: Evaluation, completion: Completion, reason: str,
                     earlier: Completion | None) -> str:
    edition = evaluation.edition
    context = evaluation.context
    name = edition.program_abbreviation
    vocabulary = edition.vocabulary
    if reason == "reversed":
        return "reversed: a correction withdrew this completion"
    if reason == "after_as_of":
        return f"dated after {long_date(evaluation.as_of)}, the date of this evaluation"
    if reason == "before_window":
        return f"dated before {context.start_label} ({long_date(context.start)})"
    if reason == "after_window":
        return f"dated after the window closed (its last day was {long_date(context.deadline - ONE_DAY)})"
    if reason == "before_prerequisite":
        return f"dated on or before the day the {context.prerequisite} was achieved"
    if reason == "used_for_prerequisite":
        return f"already used toward the {context.prerequisite}"
    if reason == "event_not_counted":
        return f"this event earns no credit toward the {edition.title}"
    if reason == "wrong_format":
        term = vocabulary.formats.get(completion.format)
        return f"format {term.title if term else completion.format!r} does not count toward the {edition.title}"
    if reason == "wrong_provider":
        term = vocabulary.providers.get(completion.provider)
        return f"provider {term.title if term else completion.provider!r} does not count toward the {edition.title}"
    if reason == "wrong_category":
        return f"category {completion.category!r} earns no points toward the {name}"
    if reason == "repeat" and earlier is not None:
        return f"repeat: {earlier.title or earlier.activity_id} already counted on {long_date(earlier.date)}"
    return reason


def _eligibility(edition: Edition, enrollment: Enrollment, held: tuple[HeldCertification, ...],
                 as_of: dt.date) -> tuple[dict[str, str], HeldCertification | None]:
    """Missing prerequisites by requirement id, and the prerequisite certification held (if any)."""
    problems: dict[str, str] = {}
    holding = None
    for prerequisite in edition.prerequisites:
        matches = [cert for cert in held if cert.program == prerequisite.program and cert.held_on(enrollment.enrolled_on)]
        if matches:
            holding = max(matches, key=attrgetter("certified_on"))
        else:
            problems[f"prerequisite:{prerequisite.program}"] = (
                f"a {prerequisite.program_title} held on the enrollment date ({long_date(enrollment.enrolled_on)}) "
                f"is required"
            )
    if edition.member_municipality_only and enrollment.member_municipality is False:
        problems["member_municipality"] = "open only to officials of member municipalities"
    member_since = enrollment.member_since
    if edition.membership_required and (member_since is None or member_since > as_of):
        problems["membership"] = f"membership of {edition.issuer_name} is required"
    return problems, holding


def eligibility_problems(
    edition: Edition,
    enrollment: Enrollment,
    held_certifications: Iterable[HeldCertification] = (),
) -> tuple[str, ...]:
    """Why an enrollment may not start under `edition` (prerequisites, membership), in plain words; empty when eligible."""
    problems, _ = _eligibility(edition, enrollment, tuple(held_certifications), enrollment.enrolled_on)
    return tuple(problems.values())


def evaluate(
    edition: Edition,
    enrollment: Enrollment,
    completions: Iterable[Completion],
    as_of: dt.date,
    held_certifications: Iterable[HeldCertification] = (),
) -> Evaluation:
    """Evaluate an enrollment in `edition` on `as_of` from the official's completions and certifications."""
    if enrollment.edition_id != edition.id:
        raise ValueError(f"the enrollment is in {enrollment.edition_id!r}, not {edition.id!r}")
    held = tuple(held_certifications)
    eligibility, holding = _eligibility(edition, enrollment, held, as_of)
    member_since = None if "membership" in eligibility else enrollment.member_since

    enrolled_on = enrollment.enrolled_on
    deadline = add_years(enrolled_on, edition.window_years) if edition.window_years else None
    before_code = "before_window"
    prerequisite_label = edition.prerequisites[0].program_title if edition.prerequisites else None
    if edition.counts_from == "membership":
        start, start_label = (member_since or enrolled_on), "the start of membership"
    elif edition.counts_from == "prerequisite" and holding is not None:
        start, start_label = holding.certified_on + ONE_DAY, f"the day after the {prerequisite_label}"
        before_code = "before_prerequisite"
    else:
        start, start_label = enrolled_on, "the enrollment date"
    excluded: set[str] = set()
    for cert in held:
        if any(cert.program == prerequisite.program for prerequisite in edition.prerequisites):
            excluded.update(cert.used_completion_ids)

    credit_for = edition.credit_for
    category_minimums = edition.category_minimums
    category_earned = dict.fromkeys(category_minimums, 0.0)
    categories_short = sum(1 for required in category_minimums.values() if required > 0)
    required_total = edition.required_total
    slot_options = edition.slot_options
    matching = SlotMatching([group.minimum for group in edition.groups])
    has_slots = matching.total > 0

    counted: list[tuple[Completion, float]] = []
    skipped: list[tuple[Completion, str, Completion | None]] = []
    seen: dict[tuple, Completion] = {}
    total = 0.0
    met_on: dt.date | None = None

    # Only completions dated from the start to the end of the window (and not after as_of) can count; the rest
    # are listed as not counted when the result is read.
    ordered = sorted(completions, key=_ORDER)
    stop = as_of + ONE_DAY if deadline is None or as_of < deadline else deadline
    first = bisect_left(ordered, start, key=_ORDER)
    last = max(first, bisect_left(ordered, stop, key=_ORDER))
    for completion in ordered[first:last]:
        if completion.reversed:
            skipped.append((completion, "reversed", None))
            continue
        day = completion.date
        if excluded and completion.id in excluded:
            skipped.append((completion, "used_for_prerequisite", None))
            continue
        credit = credit_for(completion)
        if credit.__class__ is str:
            skipped.append((completion, credit, None))
            continue
        key = repeat_key(completion)
        earlier = seen.get(key)
        if earlier is not None:
            skipped.append((completion, "repeat", earlier))
            continue
        seen[key] = completion
        counted.append((completion, credit))
        total += credit
        matching.add(slot_options(completion) if has_slots else ())
        if category_minimums and completion.category in category_earned:
            before = category_earned[completion.category]
            after = before + credit
            category_earned[completion.category] = after
            required = category_minimums[completion.category]
            if before < required <= after:
                categories_short -= 1
        if met_on is None and total >= required_total and matching.filled >= matching.total and not categories_short:
            met_on = day

    context = _Context(start, start_label, before_code, deadline, prerequisite_label, ordered, first, last)
    return _conclude(edition, enrollment, as_of, deadline, eligibility, member_since, met_on, total,
                     tuple(counted), tuple(skipped), matching, category_earned, context)


def _conclude(edition: Edition, enrollment: Enrollment, as_of: dt.date, deadline: dt.date | None,
              eligibility: dict[str, str], member_since: dt.date | None, met_on: dt.date | None, total: float,
              counted: tuple, skipped: tuple, matching: SlotMatching, category_earned: dict[str, float],
              context: _Context) -> Evaluation:
    """Turn the tallies into requirements, a status, a completion date and the unmet list."""
    expired = deadline is not None and as_of >= deadline and met_on is None
    by = f" by {long_date(deadline - ONE_DAY)}" if deadline is not None and not expired else ""
    unit_word = "credit hours" if edition.unit == "hours" else "points"
    requirements: list[Requirement] = []

    for prerequisite in edition.prerequisites:
        problem = eligibility.get(f"prerequisite:{prerequisite.program}")
        requirements.append(Requirement(f"prerequisite:{prerequisite.program}",
                                        f"a {prerequisite.program_title} held on the enrollment date",
                                        1, 0 if problem else 1, problem is None, problem))
    available_on = None
    if edition.membership_required:
        years = edition.membership_years
        text = f"{years} years of {edition.issuer_name} membership" if years else f"{edition.issuer_name} membership"
        if member_since is None:
            requirements.append(Requirement("membership", text, years, 0, False,
                                            f"membership of {edition.issuer_name} is required"))
        else:
            available_on = add_years(member_since, years)
            done = available_on <= as_of
            requirements.append(Requirement(
                "membership", text, years, years if done else 0, done,
                None if done else f"the designation can be granted from {long_date(available_on)}, after {text}"))

    if edition.unit == "points":
        for category, required in edition.category_minimums.items():
            earned = category_earned[category]
            title = edition.vocabulary.categories[category].title
            short = max(required - earned, 0)
            requirements.append(Requirement(f"category:{category}", f"{amount(required)} {title} points", required,
                                            earned, short == 0, None if short == 0 else
                                            f"{amount(short)} more {title} {_plural(short, 'point', 'points')}{by}"))
    short_total = max(edition.required_total - total, 0)
    total_text = f"{amount(edition.required_total)} {unit_word}" + (" in all" if edition.unit == "points" else "")
    requirements.append(Requirement(
        edition.unit, total_text, edition.required_total, total, short_total == 0,
        None if short_total == 0 else
        f"{amount(short_total)} more {_plural(short_total, unit_word[:-1], unit_word)}{by}"))

    for index, group in enumerate(edition.groups):
        have = matching.count(index)
        short = group.minimum - have
        if group.area:
            area = edition.area_title(group.area)
            text = f"{group.minimum} {area} {group.noun(group.minimum)}"
            missing = f"{short} more {area} {group.noun(short)}{by}"
        else:
            text = f"{group.minimum} {group.noun(group.minimum)}"
            missing = f"{short} more {group.noun(short)}{by}"
        requirements.append(Requirement(group.id, text, group.minimum, have, short <= 0,
                                        None if short <= 0 else missing))

    completed_on = None
    if met_on is not None and not eligibility:
        completed_on = max(met_on, available_on) if available_on is not None else met_on
        if completed_on > as_of:
            completed_on = None
    if eligibility:
        status = NOT_ELIGIBLE
    elif completed_on is not None:
        status = COMPLETE
    elif expired:
        status = EXPIRED
    else:
        status = IN_PROGRESS

    unmet = [requirement.unmet for requirement in requirements if requirement.unmet]
    unmet.extend(text for text in eligibility.values() if text not in unmet)
    if status == EXPIRED:
        unmet.insert(0, f"the window closed after {long_date(deadline - ONE_DAY)} with requirements unmet")
    if status == COMPLETE:
        unmet = []
    return Evaluation(
        edition=edition,
        enrollment=enrollment,
        as_of=as_of,
        status=status,
        completed_on=completed_on,
        deadline=deadline,
        earned=total,
        required=edition.required_total,
        requirements=tuple(requirements),
        unmet=tuple(unmet),
        counted=counted,
        skipped_in_window=skipped,
        matching=matching,
        context=context,
    )


def _plural(count: float, one: str, many: str) -> str:
    return one if count == 1 else many
