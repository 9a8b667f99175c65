"""AGS and NRPS calls against the emulated Moodle, quirks included, and how failures are classified."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pytest

from lti_tool.lms import (
    PermanentLmsError,
    Score,
    ServiceClient,
    TransientLmsError,
    create_line_item,
    find_or_create_line_item,
    list_line_items,
    list_members,
    post_score,
    read_results,
)
from lti_tool.lms.http import HttpClient
from tests.lms.tool_on_moodle import service_client


@pytest.fixture
def client(moodle, session) -> ServiceClient:
    return service_client(moodle, session)


def full_marks(user_id: str, when: datetime, maximum: str = "3") -> Score:
    return Score(user_id=user_id, timestamp=when, score_given=Decimal(maximum), score_maximum=Decimal(maximum),
                 comment="credit earned")


def test_line_items_are_read_across_moodles_paging_links(moodle, client):
    paged = list_line_items(client, moodle.emulator.lineitems_url("2"), page_size=1)
    assert [item.label for item in paged] == ["CCMO Stub Activity", "CCMO deep-linked resource"]
    assert paged[0].resource_link_id == "1" and paged[0].score_maximum == Decimal(100)
    # The teacher's own column (item 3) is never listed: Moodle shows only the tool's columns.
    assert all("/lineitems/3/" not in item.url for item in paged)


def test_line_items_filtered_by_tag(moodle, client):
    (item,) = list_line_items(client, moodle.emulator.lineitems_url("2"), tag="ccmo-dl")
    assert item.resource_id == "ccmo-dl-res-1"
    assert list_line_items(client, moodle.emulator.lineitems_url("2"), tag="nothing-like-it") == []


def test_find_or_create_creates_a_tagged_column_once(moodle, client):
    url = moodle.emulator.lineitems_url("2")
    created = find_or_create_line_item(client, url, tag="certification:ccmo-academy", label="CCMO", score_maximum=100)
    again = find_or_create_line_item(client, url, tag="certification:ccmo-academy", label="CCMO", score_maximum=100)
    assert again.url == created.url
    tagged = [item for item in moodle.emulator.gradebook().values() if item["tag"] == "certification:ccmo-academy"]
    assert len(tagged) == 1 and tagged[0]["scoreMaximum"] == 100


def test_a_score_goes_to_scores_before_the_query_string(moodle, client):
    when = datetime(2026, 3, 1, 10, 0, 0, 250000, tzinfo=timezone.utc)
    accepted = post_score(client, moodle.emulator.lineitem_url(2), full_marks("4", when))
    assert accepted == when
    (request,) = moodle.score_posts(2)
    assert request.path.endswith("/lineitems/2/lineitem/scores") and request.args == {"type_id": "1"}
    assert request.headers["Content-Type"] == "application/vnd.ims.lis.v1.score+json"
    assert request.json() == {
        "userId": "4", "scoreGiven": 3, "scoreMaximum": 3, "activityProgress": "Completed",
        "gradingProgress": "FullyGraded", "timestamp": "2026-03-01T10:00:00.250Z", "comment": "credit earned",
    }
    assert moodle.emulator.gradebook()[moodle.emulator.lineitem_url(2)]["grades"]["4"]["score"] == 100


def test_a_score_in_the_same_second_as_the_stored_one_is_restamped_and_lands(moodle, client):
    url = moodle.emulator.lineitem_url(2)
    first = datetime(2026, 3, 1, 10, 0, 0, 100000, tzinfo=timezone.utc)
    post_score(client, url, full_marks("4", first))
    second = Score(user_id="4", timestamp=first.replace(microsecond=900000), score_given=Decimal(1),
                   score_maximum=Decimal(3), comment="corrected")
    accepted = post_score(client, url, second, now=first)
    assert accepted > first.replace(microsecond=0)
    assert [request.json()["comment"] for request in moodle.score_posts(2)] == ["credit earned", "corrected",
                                                                                "corrected"]
    grade = moodle.emulator.gradebook()[url]["grades"]["4"]
    assert grade["comment"] == "corrected" and grade["score"] == pytest.approx(33.33333)


def test_a_user_not_enrolled_is_a_permanent_refusal(moodle, client):
    with pytest.raises(PermanentLmsError, match="400.*not enrolled"):
        post_score(client, moodle.emulator.lineitem_url(2), full_marks("2", datetime.now(timezone.utc)))


def test_a_missing_line_item_is_a_permanent_refusal(moodle, client):
    missing = moodle.emulator.lineitem_url(2).replace("/lineitems/2/", "/lineitems/99/")
    with pytest.raises(PermanentLmsError, match="404 Not Found: Grade item 99 doesn't exist.$"):
        post_score(client, missing, full_marks("4", datetime.now(timezone.utc)))


def test_results_are_on_the_columns_scale_and_paged(moodle, client):
    url = moodle.emulator.lineitem_url(2)
    when = datetime.now(timezone.utc)
    post_score(client, url, full_marks("4", when))
    post_score(client, url, Score(user_id="5", timestamp=when, score_given=Decimal(1), score_maximum=Decimal(3)))
    results = {result.user_id: result for result in read_results(client, url, page_size=1)}
    assert set(results) == {"4", "5"}
    assert results["4"].score == Decimal(100) and results["4"].maximum == Decimal(100)
    assert results["5"].fraction == Decimal("0.3333333")
    assert results["4"].timestamp == when.replace(microsecond=0)


def test_a_zero_grade_comes_back_without_a_score(moodle, client):
    url = moodle.emulator.lineitem_url(2)
    post_score(client, url, Score(user_id="4", timestamp=datetime.now(timezone.utc), score_given=Decimal(0),
                                  score_maximum=Decimal(3)))
    (result,) = read_results(client, url)
    assert result.score is None and result.fraction == 0


def test_a_cleared_grade_disappears_from_the_results(moodle, client):
    url = moodle.emulator.lineitem_url(2)
    when = datetime.now(timezone.utc)
    post_score(client, url, full_marks("4", when))
    post_score(client, url, Score(user_id="4", timestamp=when, activity_progress="Initialized",
                                  grading_progress="NotReady", comment="reversed"))
    assert read_results(client, url) == []


def test_members_are_read_across_pages_and_filtered_by_role(moodle, client):
    url = moodle.emulator.memberships_url("2")
    everyone = list_members(client, url, page_size=1)
    assert [member.user_id for member in everyone] == ["3", "4", "5"]
    assert everyone[1].name == "Lena Learner" and everyone[1].email == "learner1@example.com"
    learners = list_members(client, url, role="Learner")
    assert [member.user_id for member in learners] == ["4", "5"]


@pytest.mark.parametrize(
    ("mode", "kwargs", "message"),
    [
        ("500", {}, "500"),
        ("503", {}, "503"),
        ("429", {}, "429"),
        ("down", {}, "cannot reach the platform"),
        ("slow", {"seconds": 2.0}, "did not answer within 0.5 s"),
    ],
)
def test_outages_are_transient(moodle, client, mode, kwargs, message):
    list_line_items(client, moodle.emulator.lineitems_url("2"))  # a token first: the fault is on the service
    moodle.emulator.fault("/mod/lti/services.php", mode, **kwargs)
    with pytest.raises(TransientLmsError, match=message):
        list_line_items(client, moodle.emulator.lineitems_url("2"))


def test_a_stopped_platform_is_transient(moodle, client):
    moodle.emulator.stop()
    with pytest.raises(TransientLmsError, match="connection refused"):
        list_line_items(client, moodle.emulator.lineitems_url("2"))


def test_forbidden_is_permanent(moodle, client):
    list_line_items(client, moodle.emulator.lineitems_url("2"))
    moodle.emulator.fault("/mod/lti/services.php", "403")
    with pytest.raises(PermanentLmsError, match="403"):
        create_line_item(client, moodle.emulator.lineitems_url("2"), label="x", score_maximum=1)


def test_a_service_the_platform_does_not_grant_is_a_permanent_refusal(moodle, client):
    moodle.emulator.tools[1].grade_synchronization = 1  # "grade sync only": no column management
    with pytest.raises(PermanentLmsError, match="does not grant the tool the scope it needs.*scope/lineitem"):
        create_line_item(client, moodle.emulator.lineitems_url("2"), label="x", score_maximum=1)


def test_an_oversized_answer_is_refused(moodle):
    http = HttpClient(1.0, max_response_bytes=100)
    with pytest.raises(PermanentLmsError, match="more than the 100 accepted|exceeds the 100 bytes"):
        http.send("GET", moodle.emulator.jwks_url)
