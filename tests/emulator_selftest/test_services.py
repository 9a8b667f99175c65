"""services.php: line items, scores, results and memberships replayed against the captured exchanges."""

from __future__ import annotations

import json

import pytest
import requests

from tests.emulator import PlatformEmulator

from .conftest import TIMEOUT, ThrowawayTool, access_token, fixture_exchange

LINEITEM = "application/vnd.ims.lis.v2.lineitem+json"
CONTAINER = "application/vnd.ims.lis.v2.lineitemcontainer+json"
SCORE = "application/vnd.ims.lis.v1.score+json"
RESULTS = "application/vnd.ims.lis.v2.resultcontainer+json"
NRPS = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
LINEITEM_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"


@pytest.fixture
def bearer(emu: PlatformEmulator, tool: ThrowawayTool) -> dict[str, str]:
    return {"Authorization": "Bearer " + access_token(emu, tool)}


def replay(exchange: dict, bearer: dict[str, str]) -> requests.Response:
    """Send a captured request again, with a fresh token."""
    request = exchange["request"]
    headers = {**request["headers"], **bearer}
    body = None if request["body"] is None else json.dumps(request["body"])
    return requests.request(request["method"], request["url"], headers=headers, data=body, timeout=TIMEOUT)


def create_captured_lineitem(emu: PlatformEmulator, bearer: dict[str, str]) -> requests.Response:
    return replay(fixture_exchange("ags-lineitem-create.json", "lineitem_create", emu), bearer)


def test_lineitem_create_and_tag_filter_answer_like_the_fixture(emu: PlatformEmulator, bearer: dict) -> None:
    expected_create = fixture_exchange("ags-lineitem-create.json", "lineitem_create", emu)["response"]
    expected_filter = fixture_exchange("ags-lineitems-list.json", "lineitems_filter_tag", emu)

    created = create_captured_lineitem(emu, bearer)
    filtered = replay(expected_filter, bearer)

    assert (created.status_code, created.reason) == (201, "Created")
    assert created.json() == expected_create["body"]
    assert created.headers["Content-Type"] == expected_create["headers"]["Content-Type"]
    assert filtered.json() == expected_filter["response"]["body"]


def test_paging_link_header_is_moodles(emu: PlatformEmulator, bearer: dict) -> None:
    expected = fixture_exchange("ags-lineitems-list.json", "lineitems_paged_limit1", emu)
    deep_linked_item = emu.lineitem_url(5)
    requests.delete(deep_linked_item, headers=bearer, timeout=TIMEOUT)  # the fixture's course had two columns
    create_captured_lineitem(emu, bearer)

    answer = replay(expected, bearer)
    link = answer.headers["Link"].encode("latin-1").decode("utf-8")

    assert link == expected["response"]["headers"]["Link"]
    assert answer.json() == expected["response"]["body"]


def test_only_the_tools_own_columns_are_listed(emu: PlatformEmulator, bearer: dict) -> None:
    emu.add_lineitem("2", "Someone else's column", 10, type_id=None)

    answer = requests.get(emu.lineitems_url(), headers={**bearer, "Accept": CONTAINER}, timeout=TIMEOUT)

    assert [item["label"] for item in answer.json()] == ["CCMO Stub Activity", "CCMO deep-linked resource"]


def test_readonly_token_cannot_create_a_lineitem(emu: PlatformEmulator, tool: ThrowawayTool) -> None:
    exchange = fixture_exchange("ags-lineitem-create.json", "lineitem_create_with_readonly_token (negative)", emu)
    readonly = {"Authorization": "Bearer " + access_token(emu, tool, READONLY)}

    answer = replay(exchange, readonly)

    assert answer.status_code == 401
    assert answer.json() == exchange["response"]["body"]


def test_score_url_with_scores_after_the_query_string_finds_no_handler(emu: PlatformEmulator, bearer: dict) -> None:
    create_captured_lineitem(emu, bearer)
    exchange = fixture_exchange("ags-score-post.json", "score_post_naive_url_append (negative)", emu)

    answer = replay(exchange, bearer)

    assert (answer.status_code, answer.reason) == (400, exchange["response"]["reason"])
    assert answer.json() == exchange["response"]["body"]


def test_score_not_later_than_the_stored_one_is_a_409(emu: PlatformEmulator, bearer: dict) -> None:
    create_captured_lineitem(emu, bearer)
    first = fixture_exchange("ags-score-post.json", "score_post_learner1_created_item", emu)
    again = fixture_exchange("ags-score-post.json", "score_post_same_timestamp_again (409?)", emu)
    same_second = json.loads(json.dumps(again))
    same_second["request"]["body"]["timestamp"] = "2026-11-22T17:13:32.999Z"

    accepted = replay(first, bearer)
    refused = replay(again, bearer)
    refused_within_the_second = replay(same_second, bearer)

    assert (accepted.status_code, accepted.text) == (200, "")
    assert (refused.status_code, refused.reason) == (409, again["response"]["reason"])
    assert refused.json() == again["response"]["body"]
    assert refused_within_the_second.status_code == 409


def test_score_for_a_user_not_enrolled_is_a_400_naming_the_body(emu: PlatformEmulator, bearer: dict) -> None:
    create_captured_lineitem(emu, bearer)
    exchange = fixture_exchange("ags-score-post.json", "score_post_non_enrolled_user (negative)", emu)

    answer = replay(exchange, bearer)

    assert (answer.status_code, answer.reason) == (400, exchange["response"]["reason"])
    assert answer.headers["Content-Type"] == exchange["response"]["headers"]["Content-Type"]
    assert answer.json() == []


def test_results_are_rescaled_to_the_column_maximum_like_the_fixture(emu: PlatformEmulator, bearer: dict) -> None:
    create_captured_lineitem(emu, bearer)
    for name in ("score_post_learner1_created_item", "score_post_learner1_activity_item",
                 "score_post_learner2_activity_item_failing"):
        assert replay(fixture_exchange("ags-score-post.json", name, emu), bearer).status_code == 200
    created_results = fixture_exchange("ags-results.json", "results_created_item", emu)
    activity_results = fixture_exchange("ags-results.json", "results_activity_item", emu)
    learner1_only = fixture_exchange("ags-results.json", "results_activity_item_user4", emu)

    assert replay(created_results, bearer).json() == created_results["response"]["body"]
    assert replay(activity_results, bearer).json() == activity_results["response"]["body"]
    assert replay(learner1_only, bearer).json() == learner1_only["response"]["body"]

    replay(fixture_exchange("ags-score-post.json", "score_post_learner2_activity_item_passing", emu), bearer)
    after = fixture_exchange("ags-results.json", "results_activity_item_after", emu)
    assert replay(after, bearer).json() == after["response"]["body"]


def test_instructor_grade_shows_in_results_and_older_tool_scores_are_refused(
    emu: PlatformEmulator, bearer: dict
) -> None:
    activity = emu.lineitem_url(2)
    emu.set_result(activity, "4", 80, comment="Overridden by the instructor")
    score = {"userId": "4", "scoreGiven": 1, "scoreMaximum": 1, "activityProgress": "Completed",
             "gradingProgress": "FullyGraded", "timestamp": "2020-01-01T00:00:00Z"}

    late_score = requests.post(activity.replace("?", "/scores?"), data=json.dumps(score),
                               headers={**bearer, "Content-Type": SCORE}, timeout=TIMEOUT)
    results = requests.get(activity.replace("?", "/results?"), headers={**bearer, "Accept": RESULTS},
                           timeout=TIMEOUT).json()

    assert late_score.status_code == 409
    assert results[0]["resultScore"] == 80
    assert results[0]["comment"] == "Overridden by the instructor"
    assert emu.gradebook()[activity]["grades"]["4"]["score"] == 80


def test_following_nrps_next_links_gives_every_member(emu: PlatformEmulator, bearer: dict) -> None:
    everyone = fixture_exchange("nrps-memberships.json", "nrps_memberships", emu)["response"]["body"]["members"]
    url, members, links = emu.memberships_url() + "?limit=1", [], []
    while url:
        answer = requests.get(url, headers={**bearer, "Accept": NRPS}, timeout=TIMEOUT)
        members += answer.json()["members"]
        links.append(answer.headers.get("Link"))
        url = answer.links.get("next", {}).get("url")

    assert members == everyone
    assert links[0] == f'<{emu.memberships_url()}?limit=1&from=1>; rel="next"'
    assert links[-1] is None


@pytest.mark.parametrize("name", ["nrps_memberships_role_learner", "nrps_memberships_rlid1"])
def test_nrps_filters_answer_the_fixture_shapes(emu: PlatformEmulator, bearer: dict, name: str) -> None:
    exchange = fixture_exchange("nrps-memberships.json", name, emu)

    answer = replay(exchange, bearer)
    body, expected = answer.json(), exchange["response"]["body"]

    assert answer.headers["Content-Type"] == exchange["response"]["headers"]["Content-Type"]
    assert [list(member) for member in body["members"]] == [list(member) for member in expected["members"]]
    assert [member["user_id"] for member in body["members"]] == [member["user_id"] for member in expected["members"]]


def test_nrps_with_a_lineitem_token_is_unauthorized(emu: PlatformEmulator, tool: ThrowawayTool) -> None:
    exchange = fixture_exchange("nrps-memberships.json", "nrps_memberships_with_lineitem_token (negative)", emu)

    answer = replay(exchange, {"Authorization": "Bearer " + access_token(emu, tool, LINEITEM_SCOPE)})

    assert answer.status_code == 401
    assert answer.json() == exchange["response"]["body"]


def test_put_renames_a_column_and_rescales_its_grades(emu: PlatformEmulator, bearer: dict) -> None:
    created = create_captured_lineitem(emu, bearer).json()["id"]
    replay(fixture_exchange("ags-score-post.json", "score_post_learner1_created_item", emu), bearer)

    answer = requests.put(created, data=json.dumps({"label": "Renamed", "scoreMaximum": 6, "tag": "ccmo-credit"}),
                          headers={**bearer, "Content-Type": LINEITEM}, timeout=TIMEOUT)
    column = requests.get(created, headers={**bearer, "Accept": LINEITEM}, timeout=TIMEOUT).json()

    assert answer.json() == {"label": "Renamed", "scoreMaximum": 6, "tag": "ccmo-credit", "id": created}
    assert (column["label"], column["scoreMaximum"]) == ("Renamed", 6)
    assert emu.gradebook()[created]["grades"]["4"]["score"] == 6


def test_a_score_that_is_not_fully_graded_clears_the_grade(emu: PlatformEmulator, bearer: dict) -> None:
    activity = emu.lineitem_url(2)
    score = {"userId": "4", "scoreGiven": 3, "scoreMaximum": 3, "activityProgress": "Submitted",
             "gradingProgress": "FullyGraded", "timestamp": "2026-01-01T10:00:00Z"}
    scores_url = activity.replace("?", "/scores?")
    requests.post(scores_url, data=json.dumps(score), headers={**bearer, "Content-Type": SCORE}, timeout=TIMEOUT)

    pending = {**score, "gradingProgress": "Pending", "timestamp": "2026-01-01T10:00:05Z"}
    answer = requests.post(scores_url, data=json.dumps(pending), headers={**bearer, "Content-Type": SCORE},
                           timeout=TIMEOUT)
    results = requests.get(activity.replace("?", "/results?"), headers={**bearer, "Accept": RESULTS},
                           timeout=TIMEOUT).json()

    assert answer.status_code == 200
    assert emu.gradebook()[activity]["grades"]["4"]["score"] is None
    assert results == []
    assert len(emu.scores(activity)) == 2


def test_tokens_are_bound_to_their_tool(emu: PlatformEmulator, tool: ThrowawayTool) -> None:
    headers = {"Authorization": "Bearer " + access_token(emu, tool), "Accept": CONTAINER}

    other_type = requests.get(emu.lineitems_url(type_id=2), headers=headers, timeout=TIMEOUT)
    no_type = requests.get(emu.lineitems_url().split("?")[0], headers=headers, timeout=TIMEOUT)

    assert other_type.status_code == 401
    assert no_type.status_code == 401
