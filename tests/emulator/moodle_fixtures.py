"""What the captured Moodle 4.5 sent and answered, loaded from tests/fixtures/moodle-4.5.

The fixtures were recorded against a Moodle at ``FIXTURE_ISSUER`` driving a stub tool at ``FIXTURE_TOOL``;
the emulator re-points every URL of those two hosts at itself and at the registered tool.
"""

from __future__ import annotations

import copy
import functools
import json
import os
from pathlib import Path
from typing import Any

FIXTURE_DIR_ENV = "MOODLE_FIXTURES_DIR"
# A copy of what the captured Moodle 4.5 sent and answered, kept with the tests so the suite
# needs nothing outside the repository.
DEFAULT_FIXTURE_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "moodle-4.5"

FIXTURE_ISSUER = "http://127.0.0.1:8081"
FIXTURE_TOOL = "http://127.0.0.1:5000"
FIXTURE_TOOL_LAUNCH = FIXTURE_TOOL + "/launch"
FIXTURE_CLIENT_ID = "rIjFEw7HqGTeUYx"
FIXTURE_DEPLOYMENT_ID = "1"
FIXTURE_SERVICE_SALT = "6b032240dd1c56.85296777"

# Scenario name -> (launch fixture file, key of the scenario in oidc-login-initiation.json).
SCENARIOS: dict[str, tuple[str, str]] = {
    "learner1": ("launch-learner1.json", "learner1_resource_link"),
    "instructor1": ("launch-instructor1.json", "instructor1_resource_link"),
    "admin": ("launch-admin.json", "admin_resource_link"),
    "learner1_deep_linked": ("launch-learner1-deep-linked-activity.json", "learner1_deep_linked_activity"),
    "deep_linking_instructor1": ("launch-deep-linking-request-instructor1.json", "instructor1_deep_linking"),
    "submission_review_instructor1": (
        "launch-submission-review-instructor1.json",
        "instructor1_submission_review",
    ),
}


def fixture_dir() -> Path:
    """The directory holding the captured Moodle 4.5 exchanges."""
    directory = Path(os.environ.get(FIXTURE_DIR_ENV, DEFAULT_FIXTURE_DIR))
    if not (directory / "index.json").is_file():
        raise FileNotFoundError(
            f"Moodle 4.5 fixtures not found in {directory} (set {FIXTURE_DIR_ENV} to the directory "
            "that holds index.json and the launch-*.json files)"
        )
    return directory


@functools.cache
def _load(name: str) -> Any:
    with open(fixture_dir() / name, encoding="utf-8") as handle:
        return json.load(handle)


def load_fixture(name: str) -> Any:
    """A private copy of one fixture file's JSON (callers may mutate it)."""
    return copy.deepcopy(_load(name))


def check_scenario(scenario: str) -> None:
    """Raise a ValueError naming the known scenarios when `scenario` is not one of them."""
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}; choose one of: {', '.join(SCENARIOS)}")


def launch_payload(scenario: str) -> dict[str, Any]:
    """The id_token payload Moodle sent for `scenario`, exactly as captured."""
    check_scenario(scenario)
    return load_fixture(SCENARIOS[scenario][0])["payload"]


def launch_header(scenario: str) -> dict[str, Any]:
    """The id_token JOSE header Moodle sent for `scenario`, exactly as captured."""
    check_scenario(scenario)
    return load_fixture(SCENARIOS[scenario][0])["jwt_header"]


def login_initiation_params(scenario: str) -> dict[str, str]:
    """The third-party-initiated login fields Moodle posted to the tool for `scenario`, as captured."""
    check_scenario(scenario)
    return load_fixture("oidc-login-initiation.json")[SCENARIOS[scenario][1]]["params"]


def openid_configuration() -> dict[str, Any]:
    """Moodle's openid-configuration.php document, as captured."""
    return load_fixture("openid-configuration.json")


def repoint(value: Any, replacements: dict[str, str]) -> Any:
    """Copy of `value` where every string starting with a key of `replacements` starts with its value instead."""
    if isinstance(value, str):
        for old, new in replacements.items():
            if value.startswith(old):
                return new + value[len(old):]
        return value
    if isinstance(value, dict):
        return {key: repoint(item, replacements) for key, item in value.items()}
    if isinstance(value, list):
        return [repoint(item, replacements) for item in value]
    return value
