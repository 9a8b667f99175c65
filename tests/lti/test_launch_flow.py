"""Full launches from the emulated Moodle 4.5: login → auth.php → launch → the role's page."""

from __future__ import annotations

import time
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import jwt
import requests

from lti_tool.lti import claims as c
from lti_tool.models import Activity, Context, Launch, Official, ResourceLink
from lti_tool.web.session import current_launch
from tests.emulator import DELETE, PlatformEmulator, parse_autopost

from .conftest import configure_tool_in, register_emulator
from .driver import LAUNCH_URL, LaunchDriver, launch_id_of

ADMIN_ROLES = [
    "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator",
    "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor",
    "http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator",
]


def landing_path(response) -> str:
    assert response.status_code == 303, response.get_data(as_text=True)
    return urlsplit(response.headers["Location"]).path


def add_activity(session, activity_id="ccmo-ethics", title="CCMO: Ethics & Accountability", hours="3") -> Activity:
    activity = Activity(id=activity_id, title=title, kind="workshop", hours=Decimal(hours))
    session.add(activity)
    session.commit()
    return activity


def signed_in(app, response):
    """The launch session the landing page runs under."""
    with app.test_request_context(response.headers["Location"]):
        return current_launch()


def test_learner_lands_on_their_progress_page(app, driver, client):
    response = driver.launch("learner1")
    assert landing_path(response) == "/learner/progress"
    assert client.get(response.headers["Location"]).status_code == 200
    launch = signed_in(app, response)
    assert launch.official.display_name == "Lena Learner" and launch.context.title == "CCMO Academy"
    assert launch.roles.primary == "learner"


def test_instructor_on_the_moodle_placement_lands_on_the_course_overview(app, driver, client):
    # The captured placement names no catalogue activity (custom ccmo_activity is not ours): a progress placement.
    response = driver.launch("instructor1")
    assert landing_path(response) == "/instructor/overview"
    assert client.get(response.headers["Location"]).status_code == 200
    launch = signed_in(app, response)
    assert launch.official.display_name == "Ivy Instructor" and launch.placement == "progress"


def test_instructor_on_an_activity_placement_lands_on_its_roster(app, driver, client, session):
    add_activity(session)
    response = driver.launch("instructor1", **{c.CUSTOM: {"activity": "ccmo-ethics"}})
    assert landing_path(response) == "/instructor/roster"
    assert client.get(response.headers["Location"]).status_code == 200
    launch = signed_in(app, response)
    assert (launch.placement, launch.activity_id) == ("activity", "ccmo-ethics")


def test_site_administrator_lands_on_the_admin_page(driver, client):
    response = driver.launch("admin")
    assert landing_path(response) == "/admin/"
    assert client.get(response.headers["Location"]).status_code == 200


def test_launch_records_official_course_and_placement_with_service_urls(driver, session, emulator):
    driver.launch("learner1")
    official = session.query(Official).one()
    assert (official.sub, official.name, official.email) == ("4", "Lena Learner", "learner1@example.com")
    context = session.query(Context).one()
    assert (context.lti_context_id, context.title, context.label) == ("2", "CCMO Academy", "CCMO")
    assert context.lineitems_url == emulator.lineitems_url("2")
    assert context.memberships_url == emulator.memberships_url("2")
    link = session.query(ResourceLink).one()
    assert (link.lti_resource_link_id, link.kind, link.activity_id) == ("1", "progress", None)
    assert link.lineitem_url == emulator.lineitem_url(2)
    launch = session.query(Launch).one()
    assert launch.claims["sub"] == "4" and launch.official_id == official.id


def test_launch_data_stays_server_side(driver):
    response = driver.launch("learner1")
    cookies = " ".join(response.headers.getlist("Set-Cookie"))
    assert "Lena" not in cookies and "eyJ" not in cookies
    assert f"lti_launch={launch_id_of(response)}" in cookies


def test_deep_linked_activity_placement_is_mapped_to_the_catalogue(driver, session):
    add_activity(session)
    response = driver.launch("learner1_deep_linked", **{c.CUSTOM: {"activity": "ccmo-ethics"}})
    assert landing_path(response) == "/learner/progress"
    link = session.query(ResourceLink).filter_by(lti_resource_link_id="2").one()
    assert (link.kind, link.activity_id) == ("activity", "ccmo-ethics")


def test_instructor_picks_an_activity_and_moodle_receives_a_signed_resource_link(driver, client, session, emulator):
    add_activity(session)
    response = driver.launch("deep_linking_instructor1")
    assert landing_path(response) == "/lti/deep-link"
    picker = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "My certification progress" in picker and "CCMO: Ethics &amp; Accountability" in picker

    answer = client.post("/lti/deep-link", data={"launch": launch_id_of(response), "choice": "activity:ccmo-ethics"})
    assert answer.status_code == 200
    action, fields = parse_autopost(answer.get_data(as_text=True))
    assert action.startswith(emulator.issuer + "/mod/lti/contentitem_return.php")
    assert requests.post(action, data=fields, timeout=10).status_code == 200

    payload = emulator.deep_link_responses[-1]["payload"]
    assert payload["iss"] == emulator.client_id and payload["aud"] == [emulator.issuer]
    assert payload[c.MESSAGE_TYPE] == "LtiDeepLinkingResponse"
    assert payload[c.DEPLOYMENT_ID] == emulator.deployment_id
    (item,) = payload["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"]
    assert item["type"] == "ltiResourceLink" and item["url"] == LAUNCH_URL
    assert item["title"] == "CCMO: Ethics & Accountability"
    assert item["custom"] == {"activity": "ccmo-ethics"}
    assert item["lineItem"] == {
        "scoreMaximum": 3,
        "label": "CCMO: Ethics & Accountability",
        "resourceId": "ccmo-ethics",
        "tag": "civic-credentials-activity",
    }


def test_instructor_can_place_the_progress_page(driver, client, emulator):
    response = driver.launch("deep_linking_instructor1")
    answer = client.post("/lti/deep-link", data={"launch": launch_id_of(response), "choice": "progress"})
    token = parse_autopost(answer.get_data(as_text=True))[1]["JWT"]
    (item,) = jwt.decode(token, options={"verify_signature": False})[
        "https://purl.imsglobal.org/spec/lti-dl/claim/content_items"
    ]
    assert item["title"] == "My certification progress" and item["custom"] == {"placement": "progress"}
    assert "lineItem" not in item


def test_deep_link_choice_must_be_listed(driver, client):
    response = driver.launch("deep_linking_instructor1")
    answer = client.post("/lti/deep-link", data={"launch": launch_id_of(response), "choice": "activity:nope"})
    assert answer.status_code == 400 and b"unknown_choice" in answer.data


def test_learner_launch_cannot_open_the_deep_link_picker(driver, client):
    response = driver.launch("learner1")
    picker = client.get(f"/lti/deep-link?launch={launch_id_of(response)}")
    assert picker.status_code == 403 and b"forbidden_role" in picker.data


def test_submission_review_shows_the_reviewed_official(driver, client):
    driver.launch("learner1")
    response = driver.launch("submission_review_instructor1")
    assert landing_path(response) == "/instructor/submission"
    page = client.get(response.headers["Location"])
    assert page.status_code == 200 and "Lena Learner" in page.get_data(as_text=True)


def test_multiple_roles_land_on_the_highest(driver):
    roles = [
        "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner",
        "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor",
    ]
    assert landing_path(driver.forged_launch(**{c.ROLES: roles})) == "/instructor/overview"
    assert landing_path(driver.forged_launch(**{c.ROLES: ADMIN_ROLES})) == "/admin/"


def test_unknown_role_is_a_learner(driver):
    response = driver.forged_launch(**{c.ROLES: ["http://example.org/roles#Astronaut"]})
    assert landing_path(response) == "/learner/progress"


def test_no_role_is_a_learner(driver):
    assert landing_path(driver.forged_launch(**{c.ROLES: []})) == "/learner/progress"


def test_launch_without_personal_details_is_accepted(app, driver, client):
    response = driver.forged_launch(name=DELETE, given_name=DELETE, family_name=DELETE, email=DELETE)
    assert client.get(response.headers["Location"]).status_code == 200
    official = signed_in(app, response).official
    assert official.display_name == "LMS user 4" and official.email is None


def test_launch_with_email_only_is_known_by_the_email(app, driver, client):
    response = driver.forged_launch(name=DELETE, given_name=DELETE, family_name=DELETE)
    assert client.get(response.headers["Location"]).status_code == 200
    assert signed_in(app, response).official.display_name == "learner1@example.com"


def test_audience_as_one_element_list_with_azp_is_accepted(driver, emulator):
    response = driver.forged_launch(aud=[emulator.client_id], azp=emulator.client_id)
    assert landing_path(response) == "/learner/progress"


def test_rotated_platform_key_is_fetched_once_on_an_unknown_kid(app, driver, emulator):
    app.config["LTI_JWKS_REFETCH_COOLDOWN_SECONDS"] = 0
    assert driver.launch("learner1").status_code == 303
    emulator.rotate_key()
    assert driver.launch("learner1").status_code == 303
    fetches = [r for r in emulator.requests if r.path == "/mod/lti/certs.php"]
    assert len(fetches) == 2


def test_unknown_kids_refetch_the_key_set_at_most_once_per_cooldown(driver, emulator):
    assert driver.launch("learner1").status_code == 303
    for kid in ("random-1", "random-2", "random-3"):
        assert driver.forged_launch(headers={"kid": kid}).status_code == 401
    assert len([r for r in emulator.requests if r.path == "/mod/lti/certs.php"]) == 1


def test_platform_keys_are_cached_between_launches(driver, emulator):
    for _ in range(3):
        assert driver.launch("learner1").status_code == 303
    assert len([r for r in emulator.requests if r.path == "/mod/lti/certs.php"]) == 1


def test_approved_deployment_launches(driver, session):
    from lti_tool.models import Deployment
    from lti_tool.services.platforms import activate_deployment

    assert driver.forged_launch(**{c.DEPLOYMENT_ID: "7"}).status_code == 403
    activate_deployment(session, session.query(Deployment).filter_by(deployment_id="7").one(), actor="test")
    session.commit()
    assert driver.forged_launch(**{c.DEPLOYMENT_ID: "7"}).status_code == 303


def test_moodle_fetching_the_tool_url_gets_a_short_page(client):
    response = client.get("/lti/launch", headers={"User-Agent": "MoodleBot/4.5"})
    assert response.status_code == 200
    assert b"launch address" in response.data


def test_data_of_one_registration_is_never_seen_through_another(app, client, driver, session):
    driver.launch("learner1")  # Lena, user 4 on platform A
    with PlatformEmulator(client_id="other-client") as other:
        register_emulator(other)
        configure_tool_in(other)
        other_driver = LaunchDriver(app.test_client(), other)
        response = other_driver.forged_launch(scenario="learner1", name="Bea from B")
        assert other_driver.client.get(response.headers["Location"]).status_code == 200
        assert signed_in(app, response).official.display_name == "Bea from B"
        # An instructor of platform B reviewing user 4 does not see platform A's user 4.
        review = other_driver.launch("submission_review_instructor1")
        page = other_driver.client.get(review.headers["Location"]).get_data(as_text=True)
        assert "Lena" not in page
    officials = session.query(Official).filter_by(sub="4").all()
    assert len(officials) == 2 and len({o.platform_id for o in officials}) == 2
    assert session.query(Context).filter_by(lti_context_id="2").count() == 2


def test_login_for_an_unknown_platform_is_refused(client):
    response = client.post(
        "/lti/login",
        data={"iss": "http://unknown.example", "login_hint": "4", "target_link_uri": LAUNCH_URL, "client_id": "x"},
    )
    assert response.status_code == 400 and b"unknown_platform" in response.data


def test_login_without_login_hint_is_refused(driver, emulator):
    fields = emulator.login_initiation("learner1")
    del fields["login_hint"]
    response = driver.client.post("/lti/login", data=fields)
    assert response.status_code == 400 and b"missing_login_hint" in response.data


def test_login_pointing_outside_the_tool_is_refused(driver, emulator):
    fields = dict(emulator.login_initiation("learner1"), target_link_uri="http://attacker.example/lti/launch")
    response = driver.client.post("/lti/login", data=fields)
    assert response.status_code == 400 and b"bad_target_link_uri" in response.data


def test_login_by_get_sends_moodles_authentication_request(driver, emulator):
    fields = emulator.login_initiation("learner1")
    response = driver.client.get("/lti/login", query_string=fields)
    assert response.status_code == 200  # first visit: the cookie check page
    second = driver.client.get("/lti/login", query_string=emulator.login_initiation("learner1"))
    assert second.status_code == 302
    sent = {name: values[0] for name, values in parse_qs(urlsplit(second.headers["Location"]).query).items()}
    assert second.headers["Location"].startswith(emulator.auth_login_url + "?")
    assert sent["scope"] == "openid" and sent["response_type"] == "id_token"
    assert sent["response_mode"] == "form_post" and sent["prompt"] == "none"
    assert sent["client_id"] == emulator.client_id and sent["redirect_uri"] == LAUNCH_URL
    assert sent["login_hint"] == "4" and "launchid" in sent["lti_message_hint"]
    assert sent["state"] and sent["nonce"]


def test_expired_login_is_refused(driver, session):
    from lti_tool.models import LaunchState

    authenticated = driver.authenticate("learner1")
    state = session.get(LaunchState, authenticated.state)
    state.expires_at = state.created_at
    session.commit()
    response = driver.post_launch(authenticated.fields)
    assert response.status_code == 400 and b"expired_state" in response.data


def test_launch_takes_a_short_time_from_a_fresh_platform(driver):
    started = time.monotonic()
    assert driver.launch("learner1").status_code == 303
    assert time.monotonic() - started < 5
