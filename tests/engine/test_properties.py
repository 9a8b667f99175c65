"""The engine against brute-force oracles on small random inputs.

Area placement: every way of putting each multi-area workshop in one of its areas (or none) is tried, and the
engine must meet the area minimums exactly when some placement does, and complete on the same day.
Planner: every set of upcoming sessions is tried by size, and the planner's plan must be as small as the
smallest set that completes the programme.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lti_tool.engine import COMPLETE, Completion, Enrollment, evaluate, plan
from lti_tool.engine.rules import Activity, Session

AREAS = ("personal", "organizational", "community")
AREA_SETS = [frozenset(combo) for size in (1, 2, 3) for combo in itertools.combinations(AREAS, size)]
ENROLLED = dt.date(2026, 1, 1)


def small_classic(rulebook, minimums: tuple[int, int, int], hours: float):
    """The Classic edition with other numbers: how the engine treats an administrator's new edition."""
    classic = rulebook.edition("ccmo-classic")
    groups = tuple(dataclasses.replace(group, minimum=minimum)
                   for group, minimum in zip(classic.groups, minimums) if minimum)
    return dataclasses.replace(classic, groups=groups, required_total=hours)


def oracle_areas_met(completions: list[Completion], minimums: dict[str, int]) -> bool:
    """Whether some placement of each completion in one of its areas (or none) meets every minimum."""
    choices = [[None, *sorted(completion.areas)] for completion in completions]
    for placement in itertools.product(*choices):
        if all(sum(1 for area in placement if area == key) >= need for key, need in minimums.items()):
            return True
    return False


def oracle_completed_on(completions: list[Completion], minimums: dict[str, int], hours: float):
    ordered = sorted(completions, key=lambda completion: (completion.date, completion.id))
    for end in range(1, len(ordered) + 1):
        prefix = ordered[:end]
        if sum(completion.hours for completion in prefix) >= hours and oracle_areas_met(prefix, minimums):
            return prefix[-1].date
    return None


workshop = st.tuples(st.sampled_from(AREA_SETS), st.integers(0, 300), st.sampled_from([1.0, 3.0]))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    workshops=st.lists(workshop, min_size=0, max_size=8),
    minimums=st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(0, 3)),
    hours=st.sampled_from([0.0, 6.0, 12.0]),
)
def test_area_minimums_match_the_brute_force_oracle(rulebook, workshops, minimums, hours):
    edition = small_classic(rulebook, minimums, hours)
    completions = [
        Completion(id=f"w{index}", activity_id=f"activity-{index}", date=ENROLLED + dt.timedelta(days=offset),
                   hours=credit, areas=areas, kind="workshop")
        for index, (areas, offset, credit) in enumerate(workshops)
    ]
    wanted = dict(zip(AREAS, minimums))

    result = evaluate(edition, Enrollment(edition.id, ENROLLED), completions, dt.date(2027, 12, 31))

    areas_met = all(requirement.met for requirement in result.requirements if requirement.id.startswith("area:"))
    assert areas_met == oracle_areas_met(completions, wanted)
    expected_on = oracle_completed_on(completions, wanted, hours)
    assert result.completed_on == expected_on
    assert (result.status == COMPLETE) == (expected_on is not None)
    placed = [entry for entry in result.assignments if entry.toward]
    assert all(entry.area in next(c.areas for c in completions if c.id == entry.completion_id) for entry in placed)
    assert len({entry.completion_id for entry in placed}) == len(placed)


def catalogue_with(rulebook, activities: list[Activity]):
    return dataclasses.replace(rulebook.catalogue, activities={activity.id: activity for activity in activities},
                               by_title={})


session_offer = st.tuples(st.sampled_from(AREA_SETS), st.sampled_from([1.0, 2.0, 3.0]), st.integers(0, 400))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    offers=st.lists(session_offer, min_size=1, max_size=9),
    attended_before=st.lists(st.sampled_from(AREA_SETS), max_size=3),
    minimums=st.tuples(st.integers(0, 2), st.integers(0, 2), st.integers(0, 2)),
    hours=st.sampled_from([3.0, 6.0, 9.0, 12.0]),
)
def test_planner_proposes_as_few_sessions_as_the_brute_force_oracle(rulebook, offers, attended_before, minimums,
                                                                    hours):
    edition = small_classic(rulebook, minimums, hours)
    enrollment = Enrollment(edition.id, ENROLLED)
    as_of = ENROLLED + dt.timedelta(days=30)
    activities = [
        Activity(id=f"offer-{index}", title=f"Offer {index}", kind="workshop", format="in_person", provider="ccm",
                 areas=tuple(area for area in AREAS if area in areas), hours=credit, points=None, category=None,
                 passing_score_fraction=0.5,
                 sessions=(Session((as_of + dt.timedelta(days=offset),), "CCM"),))
        for index, (areas, credit, offset) in enumerate(offers)
    ]
    done = [Completion(id=f"d{index}", activity_id=f"done-{index}", date=ENROLLED + dt.timedelta(days=index),
                       hours=3.0, areas=areas) for index, areas in enumerate(attended_before)]

    proposal = plan(edition, enrollment, done, as_of, catalogue_with(rulebook, activities))

    deadline = ENROLLED.replace(year=ENROLLED.year + 2)
    upcoming = [activity.completion(f"s-{activity.id}", activity.sessions[0].last_day) for activity in activities
                if activity.sessions[0].last_day < deadline]
    smallest = None
    for size in range(len(upcoming) + 1):
        if any(evaluate(edition, enrollment, done + list(chosen), deadline - dt.timedelta(days=1)).status == COMPLETE
               for chosen in itertools.combinations(upcoming, size)):
            smallest = size
            break
    current = evaluate(edition, enrollment, done, as_of)
    if current.status == COMPLETE:
        assert proposal.feasible and proposal.sessions == ()
    elif smallest is None:
        assert not proposal.feasible
    else:
        assert proposal.feasible
        assert len(proposal.sessions) == smallest
        planned = [activities[int(session.activity_id.split("-")[1])].completion(f"p{index}", session.date)
                   for index, session in enumerate(proposal.sessions)]
        after = evaluate(edition, enrollment, done + planned, deadline - dt.timedelta(days=1))
        assert after.status == COMPLETE
        assert after.completed_on == proposal.completes_on
