"""The certification engine: rules in, results out. Pure Python: no Flask, no database, no clock.

Rules
    load_rulebook(path=None, replace=None) -> RuleBook
        Load and check a rules directory (default: default_rules_dir(), i.e. $RULES_DIR or the repository's
        rules/). All or nothing: raises RulesError whose .errors lists every problem, one line each
        (`rules/editions/x.yaml: requirements.hours: expected a number >= 0, got 'two'`).
    RuleBook.edition(edition_id) -> Edition; RuleBook.edition_for(program, enrolled_on) -> Edition | None
    RuleBook.catalogue: Catalogue (.activities, .find(id_or_title), .areas, ...); Activity.completion(...)
    RuleBook.issuers, .programs, .cares

Inputs (frozen dataclasses, see inputs.py)
    Completion(id, activity_id, date, hours, areas, format, provider, kind, title, category, points,
               counts_once_per, reversed)
    Enrollment(edition_id, enrolled_on, member_since=None, member_municipality=None)
    HeldCertification(program, edition_id, certified_on, used_completion_ids=frozenset(), lapsed_on=None)
    FeePayment(paid_on, amount)
    ActionItemProgress(item_id, state, started_on, implemented_on, evidence, reviewed_by)
    TrainingAttendance(official_id, official_name, activity_id, date, reversed=False)

Evaluating
    evaluate(edition, enrollment, completions, as_of, held_certifications=()) -> Evaluation
        .status (in_progress | complete | expired | not_eligible), .completed_on, .deadline (exclusive),
        .last_day, .earned, .required, .unit, .requirements, .areas, .categories, .assignments,
        .not_counted, .unmet, .counted_completion_ids, .to_dict()
    eligibility_problems(edition, enrollment, held_certifications=()) -> tuple[str, ...]
        Why an enrollment may not start under the edition (prerequisites, membership); empty when eligible.
    evaluate_cycles(edition, certification, completions, fee_payments, as_of) -> ContinuingEducation
        .standing (current | due | lapsed), .lapsed_on, .cycles (each met | current | due | lapsed), .to_dict()
    plan(edition, enrollment, completions, as_of, catalogue, held_certifications=()) -> Plan
        .feasible, .sessions, .completes_on, .message, .to_dict()
    evaluate_cares(cares, municipality, progress, attendance, as_of) -> CaresStatus
        .items, .recognitions, .trained_officials, .to_dict()
    read_completions(csv_text, catalogue) -> list[Completion]   (raises CompletionsError naming the line)
"""

from __future__ import annotations

from .cares import CaresStatus, ItemStatus, Recognition, evaluate_cares
from .completions_csv import CompletionsError, read_completions
from .cycles import ContinuingEducation, Cycle, evaluate_cycles
from .evaluate import (
    COMPLETE,
    EXPIRED,
    IN_PROGRESS,
    NOT_ELIGIBLE,
    AreaProgress,
    Assignment,
    Evaluation,
    NotCounted,
    Requirement,
    eligibility_problems,
    evaluate,
)
from .inputs import (
    ActionItemProgress,
    Completion,
    Enrollment,
    FeePayment,
    HeldCertification,
    TrainingAttendance,
)
from .planner import Plan, PlannedSession, plan
from .rules import (
    Activity,
    Catalogue,
    Edition,
    RuleBook,
    RulesError,
    default_rules_dir,
    load_rulebook,
)

__all__ = [
    "COMPLETE",
    "EXPIRED",
    "IN_PROGRESS",
    "NOT_ELIGIBLE",
    "ActionItemProgress",
    "Activity",
    "AreaProgress",
    "Assignment",
    "CaresStatus",
    "Catalogue",
    "Completion",
    "CompletionsError",
    "ContinuingEducation",
    "Cycle",
    "Edition",
    "Enrollment",
    "Evaluation",
    "FeePayment",
    "HeldCertification",
    "ItemStatus",
    "NotCounted",
    "Plan",
    "PlannedSession",
    "Recognition",
    "Requirement",
    "RuleBook",
    "RulesError",
    "TrainingAttendance",
    "default_rules_dir",
    "eligibility_problems",
    "evaluate",
    "evaluate_cares",
    "evaluate_cycles",
    "load_rulebook",
    "plan",
    "read_completions",
]
