"""Fixtures for the outbox tests: the tool on an emulated Moodle, for the jobs that talk to it."""

from tests.lms.tool_on_moodle import app_config, moodle, tool_key_pem  # noqa: F401
