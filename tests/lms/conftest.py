"""Fixtures for the LMS client and gradebook tests: the tool on an emulated Moodle."""

from tests.lms.tool_on_moodle import app_config, moodle, tool_key_pem  # noqa: F401
