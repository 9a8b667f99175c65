"""Shared fixtures for the engine tests: the shipped rule book and a short way to write completions."""

from __future__ import annotations

import datetime as dt

import pytest

from lti_tool.engine import Completion, RuleBook, load_rulebook


@pytest.fixture(scope="session")
def rulebook() -> RuleBook:
    return load_rulebook()


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def attended(rulebook: RuleBook, *rows: tuple, reversed_ids: tuple[str, ...] = ()) -> list[Completion]:
    """Completions from rows `(date, activity id[, {overrides}])`, numbered c1, c2, ... in the order given."""
    completions = []
    for number, row in enumerate(rows, start=1):
        date_text, activity_id, *rest = row
        overrides = rest[0] if rest else {}
        completion_id = f"c{number}"
        completions.append(
            rulebook.catalogue.activities[activity_id].completion(
                completion_id, day(date_text), reversed=completion_id in reversed_ids, **overrides
            )
        )
    return completions
