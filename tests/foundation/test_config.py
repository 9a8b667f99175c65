"""Settings come from the environment with safe defaults."""

from __future__ import annotations

from lti_tool.config import PROJECT_ROOT, load_config

SETTINGS = ("DATABASE_URL", "TOOL_BASE_URL", "KEYS_DIR", "SECRET_KEY", "INSTANCE_DIR", "RULES_DIR")


def _clear(monkeypatch):
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)


def test_defaults_point_inside_the_project(monkeypatch, tmp_path):
    _clear(monkeypatch)
    monkeypatch.setenv("INSTANCE_DIR", str(tmp_path / "instance"))
    config = load_config()
    assert config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'instance' / 'civic-credentials.db'}"
    assert config["TOOL_BASE_URL"] == "http://127.0.0.1:5000"
    assert config["KEYS_DIR"] == PROJECT_ROOT / "keys"
    assert config["SESSION_COOKIE_HTTPONLY"] is True


def test_secret_key_is_generated_once_into_the_instance_folder(monkeypatch, tmp_path):
    _clear(monkeypatch)
    monkeypatch.setenv("INSTANCE_DIR", str(tmp_path / "instance"))
    first = load_config()["SECRET_KEY"]
    second = load_config()["SECRET_KEY"]
    key_file = tmp_path / "instance" / "secret_key"
    assert first == second == key_file.read_text()
    assert len(first) >= 40
    assert key_file.stat().st_mode & 0o777 == 0o600
    other_instance = tmp_path / "other"
    monkeypatch.setenv("INSTANCE_DIR", str(other_instance))
    assert load_config()["SECRET_KEY"] != first


def test_environment_overrides_defaults(monkeypatch, tmp_path):
    _clear(monkeypatch)
    monkeypatch.setenv("INSTANCE_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u@db.example/tool")
    monkeypatch.setenv("TOOL_BASE_URL", "https://tool.example.org/")
    monkeypatch.setenv("KEYS_DIR", str(tmp_path / "k"))
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    config = load_config()
    assert config["DATABASE_URL"] == "postgresql+psycopg://u@db.example/tool"
    assert config["TOOL_BASE_URL"] == "https://tool.example.org"
    assert config["KEYS_DIR"] == tmp_path / "k"
    assert config["SECRET_KEY"] == "from-the-environment"
    assert not (tmp_path / "secret_key").exists()


def test_https_base_url_makes_cookies_cross_site_and_secure(monkeypatch, tmp_path):
    _clear(monkeypatch)
    monkeypatch.setenv("INSTANCE_DIR", str(tmp_path))
    monkeypatch.setenv("TOOL_BASE_URL", "https://tool.example.org")
    config = load_config()
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["SESSION_COOKIE_SAMESITE"] == "None"


def test_today_is_the_certifying_bodies_day_not_the_servers(monkeypatch, tmp_path):
    from lti_tool.rulebook import local_today

    _clear(monkeypatch)
    monkeypatch.setenv("INSTANCE_DIR", str(tmp_path))
    assert load_config()["TOOL_TIMEZONE"] == "America/New_York"
    # 25 hours apart: these two zones never share a date.
    assert local_today("Pacific/Kiritimati") > local_today("Pacific/Pago_Pago")


def test_a_setting_that_is_not_a_number_is_named(monkeypatch, tmp_path):
    import pytest

    from lti_tool.config import ConfigError

    _clear(monkeypatch)
    monkeypatch.setenv("INSTANCE_DIR", str(tmp_path))
    monkeypatch.setenv("HTTP_TIMEOUT_SECONDS", "five")
    with pytest.raises(ConfigError, match="HTTP_TIMEOUT_SECONDS must be a number, got 'five'"):
        load_config()
    monkeypatch.setenv("HTTP_TIMEOUT_SECONDS", "2.5")
    monkeypatch.setenv("KEY_GRACE_DAYS", "-1")
    with pytest.raises(ConfigError, match="KEY_GRACE_DAYS must not be negative"):
        load_config()
