"""Settings read from the environment, with safe defaults for a single-machine install."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _instance_dir() -> Path:
    return Path(os.environ.get("INSTANCE_DIR", PROJECT_ROOT / "instance"))


def _secret_key(instance_dir: Path) -> str:
    """Return SECRET_KEY from the environment, else one generated once into the instance folder."""
    from_env = os.environ.get("SECRET_KEY")
    if from_env:
        return from_env
    path = instance_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # O_EXCL: when two processes start at once, the second one reads what the first wrote.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


class ConfigError(ValueError):
    """A setting in the environment that cannot be used, named with what was expected."""


def _number(name: str, default: float, kind: type = float) -> float:
    """A numeric setting from the environment (not negative), else `default`."""
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return kind(default)
    try:
        value = kind(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a {'whole ' if kind is int else ''}number, got {raw!r}") from None
    if value < 0:
        raise ConfigError(f"{name} must not be negative, got {raw!r}")
    return value


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def load_config(overrides: dict | None = None) -> dict:
    """Build the application settings from the environment, then apply explicit overrides."""
    overrides = dict(overrides or {})
    instance_dir = Path(overrides.get("INSTANCE_DIR") or _instance_dir())
    config = {
        "INSTANCE_DIR": instance_dir,
        "DATABASE_URL": os.environ.get("DATABASE_URL", f"sqlite:///{instance_dir / 'civic-credentials.db'}"),
        "TOOL_BASE_URL": os.environ.get("TOOL_BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        "KEYS_DIR": Path(os.environ.get("KEYS_DIR", PROJECT_ROOT / "keys")),
        "RULES_DIR": Path(os.environ.get("RULES_DIR", PROJECT_ROOT / "rules")),
        "KEY_GRACE_DAYS": _number("KEY_GRACE_DAYS", 7, int),
        # Programme days (deadlines, "today" on pages, dates of marks) are the certifying bodies' days.
        "TOOL_TIMEZONE": os.environ.get("TOOL_TIMEZONE", "America/New_York"),
        "HTTP_TIMEOUT_SECONDS": _number("HTTP_TIMEOUT_SECONDS", 5, float),
        # Reverse proxies in front of the tool whose X-Forwarded-* headers are trusted (0: none).
        "PROXY_HOPS": _number("PROXY_HOPS", 0, int),
        # The outbox runs inside `lti-tool serve` on the embedded SQLite default, or when this is set;
        # with PostgreSQL, run `lti-tool worker` processes instead.
        "RUN_OUTBOX_IN_PROCESS": _flag("RUN_OUTBOX_IN_PROCESS", False),
        "OUTBOX_LEASE_SECONDS": _number("OUTBOX_LEASE_SECONDS", 300, float),
        "OUTBOX_BACKOFF_BASE_SECONDS": _number("OUTBOX_BACKOFF_BASE_SECONDS", 30, float),
        "OUTBOX_BACKOFF_CAP_SECONDS": _number("OUTBOX_BACKOFF_CAP_SECONDS", 3600, float),
        # How often each course's LMS grades are read back (0 turns grade passback off).
        "GRADE_SYNC_INTERVAL_SECONDS": _number("GRADE_SYNC_INTERVAL_SECONDS", 900, float),
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
    }
    config.update(overrides)
    config["INSTANCE_DIR"] = Path(config["INSTANCE_DIR"])
    config["KEYS_DIR"] = Path(config["KEYS_DIR"])
    config["RULES_DIR"] = Path(config["RULES_DIR"])
    config["TOOL_BASE_URL"] = str(config["TOOL_BASE_URL"]).rstrip("/")
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = _secret_key(config["INSTANCE_DIR"])
    https = config["TOOL_BASE_URL"].startswith("https://")
    config.setdefault("SESSION_COOKIE_SECURE", https)
    config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    config.setdefault("SESSION_COOKIE_SAMESITE", "None" if https else "Lax")
    if config["DATABASE_URL"].startswith("sqlite:///"):
        Path(config["DATABASE_URL"][len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    return config
