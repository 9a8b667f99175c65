"""pytest fixtures for the platform emulator.

Enable with ``pytest_plugins = ["tests.emulator.pytest_plugin"]`` in a conftest.py, or import the fixtures.
"""

from __future__ import annotations

from typing import Iterator

import pytest

from .platform import PlatformEmulator


@pytest.fixture
def platform_emulator() -> Iterator[PlatformEmulator]:
    """A started Moodle 4.5 emulator with the fixture's site, stopped after the test."""
    with PlatformEmulator() as emulator:
        yield emulator


@pytest.fixture(scope="session")
def shared_platform_emulator() -> Iterator[PlatformEmulator]:
    """One emulator for the whole session (call reset() where a test needs a clean site)."""
    with PlatformEmulator() as emulator:
        yield emulator
