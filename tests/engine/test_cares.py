"""CCM CARES in Action (seed 003): a municipality's seven action items and its recognitions."""

from __future__ import annotations

import pytest

from lti_tool.engine import ActionItemProgress, TrainingAttendance, evaluate_cares

from .conftest import day


def implemented(item_id: str, on: str) -> ActionItemProgress:
    return ActionItemProgress(item_id, "implemented", started_on=day("2021-09-01"), implemented_on=day(on),
                              evidence=f"https://town.example/{item_id}.pdf", reviewed_by="CCM reviewer")


ATTENDANCE = [
    TrainingAttendance("o1", "Ana Rivera", "cares-racial-equity-lens", day("2021-09-29")),
    TrainingAttendance("o1", "Ana Rivera", "cares-community-partnerships", day("2021-10-27")),
    TrainingAttendance("o2", "Ben Okafor", "representation-matters", day("2022-03-19")),
    TrainingAttendance("o3", "Cleo Marsh", "records-management", day("2022-04-01")),  # not a CARES training
    TrainingAttendance("o4", "Dev Shah", "cares-inclusive-procurement", day("2022-06-08"), reversed=True),
]


def test_items_have_states_and_each_implemented_item_is_recognised_with_the_trained_officials(rulebook):
    progress = [
        implemented("resolution", "2021-10-05"),
        ActionItemProgress("equity-lens", "in_progress", started_on=day("2021-10-01")),
        ActionItemProgress("annual-report", "implemented", implemented_on=day("2022-01-10")),  # no reviewer yet
    ]

    status = evaluate_cares(rulebook.cares, "Portland", progress, ATTENDANCE, day("2022-12-31"))

    states = {item.item_id: item.state for item in status.items}
    assert len(states) == 7
    assert states["resolution"] == "implemented"
    assert states["equity-lens"] == "in_progress"
    assert states["annual-report"] == "in_progress"
    assert states["procurement-policy"] == "not_started"
    assert next(item for item in status.items if item.item_id == "annual-report").note == \
        "not yet confirmed: missing the evidence and reviewer"
    assert [(recognition.kind, recognition.item_id, recognition.awarded_on) for recognition in status.recognitions] \
        == [("item", "resolution", day("2021-10-05"))]
    assert status.recognitions[0].text == ("Portland has implemented CARES action item 1: Adopt a resolution or "
                                           "proclamation outlining racial equity goals and strategies")
    assert status.recognitions[0].officials == (("o1", "Ana Rivera"), ("o2", "Ben Okafor"))


def test_all_seven_items_earn_the_all_items_recognition_on_the_last_date(rulebook):
    dates = ["2021-10-05", "2021-12-01", "2022-02-01", "2022-05-01", "2022-09-01", "2023-01-15", "2022-11-30"]
    progress = [implemented(item.id, on) for item, on in zip(rulebook.cares.items, dates)]

    status = evaluate_cares(rulebook.cares, "Manchester", progress, ATTENDANCE, day("2023-06-30"))

    assert status.implemented == 7
    assert len(status.recognitions) == 8
    last = status.recognitions[-1]
    assert (last.kind, last.awarded_on) == ("all_items", day("2023-01-15"))
    assert last.text == "Manchester has implemented all 7 CARES in Action items"
    assert status.to_dict()["trained_officials"] == [{"id": "o1", "name": "Ana Rivera"},
                                                     {"id": "o2", "name": "Ben Okafor"}]


def test_unknown_items_are_refused(rulebook):
    with pytest.raises(ValueError, match="unknown CARES action item 'resolutions'"):
        evaluate_cares(rulebook.cares, "Portland", [ActionItemProgress("resolutions", "implemented")], [],
                       day("2022-01-01"))
