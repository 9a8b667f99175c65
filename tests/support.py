"""Helpers shared by tests of several areas."""

from __future__ import annotations

import importlib
import os

import pytest


def in_ci() -> bool:
    """Whether the suite runs in CI, where every test tool must be installed."""
    return os.environ.get("CI", "").lower() == "true"


def require_module(name: str):
    """Import a test-only module; skip without it on a developer's machine, fail in CI (`make test` installs it)."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        if in_ci():
            pytest.fail(f"{name} is not installed but CI needs it (make test installs it): {exc}", pytrace=False)
        pytest.skip(f"{name} is not installed; `make test` installs it", allow_module_level=True)
