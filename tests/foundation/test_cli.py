"""The `lti-tool` commands: what an operator types and what they see."""

from __future__ import annotations

import subprocess
import sys

import pytest

PLATFORM_ARGS = [
    "platform", "add",
    "--issuer", "http://127.0.0.1:8081",
    "--client-id", "rIjFEw7HqGTeUYx",
    "--deployment-id", "1",
    "--auth-login-url", "http://127.0.0.1:8081/mod/lti/auth.php",
    "--auth-token-url", "http://127.0.0.1:8081/mod/lti/token.php",
    "--keyset-url", "http://127.0.0.1:8081/mod/lti/certs.php",
    "--name", "CCM Moodle",
]


def test_platform_add_then_list(runner):
    added = runner.invoke(*PLATFORM_ARGS)
    assert added.exit_code == 0, added.stderr
    assert "registered platform" in added.stdout
    listed = runner.invoke("platform", "list")
    assert "CCM Moodle" in listed.stdout
    assert "client_id=rIjFEw7HqGTeUYx" in listed.stdout
    assert "deployment 1  active" in listed.stdout


def test_registering_the_same_platform_twice_is_refused(runner):
    assert runner.invoke(*PLATFORM_ARGS).exit_code == 0
    again = runner.invoke(*PLATFORM_ARGS)
    assert again.exit_code == 1
    assert again.stderr.strip().count("\n") == 0
    assert "already registered" in again.stderr


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["platform", "add", "--issuer", "http://x"], "Missing option '--client-id'"),
        (PLATFORM_ARGS[:-4] + ["--keyset-url", "certs.php"], "--keyset-url must be an absolute http(s) URL"),
        (["keys", "explode"], "No such command 'explode'"),
        (["serve", "--port", "70000"], "70000"),
    ],
)
def test_bad_arguments_give_one_line_and_a_nonzero_exit(runner, args, fragment):
    result = runner.invoke(*args)
    assert result.exit_code != 0
    assert fragment in result.stderr
    assert result.stderr.startswith("error: ")
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr + result.stdout


def test_keys_generate_rotate_list(runner):
    first = runner.invoke("keys", "generate")
    assert first.exit_code == 0
    again = runner.invoke("keys", "generate")
    assert again.exit_code == 1 and "keys rotate" in again.stderr
    assert runner.invoke("keys", "generate", "--if-missing").exit_code == 0
    assert runner.invoke("keys", "rotate").exit_code == 0
    listing = runner.invoke("keys", "list").stdout.splitlines()
    assert len(listing) == 2
    assert "signing" in listing[0] and "published until" in listing[1]
    assert all("private key here" in line for line in listing)


def test_commands_on_an_empty_database_say_to_upgrade(tmp_path):
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}",
        "INSTANCE_DIR": str(tmp_path / "instance"),
        "KEYS_DIR": str(tmp_path / "keys"),
        "PATH": "/usr/bin:/bin",
    }
    completed = subprocess.run(
        [sys.executable, "-c", "from lti_tool.cli import run; run()", "platform", "list"],
        env=env, capture_output=True, text=True, timeout=60,
    )
    assert completed.returncode == 1
    assert "run `lti-tool db upgrade`" in completed.stderr
    assert "Traceback" not in completed.stderr


def test_every_issue_command_is_reachable_from_lti_tool(capsys):
    from lti_tool.cli import main

    assert main(["--help"]) == 0
    listed = capsys.readouterr().out
    for command in ("db", "keys", "platform", "serve", "rules", "evaluate", "catalogue", "worker", "badges",
                    "attendance", "deployment", "launches", "admin"):
        assert f"  {command} " in listed


def test_evaluate_contract_through_the_console_script(tmp_path):
    completions = tmp_path / "completions.csv"
    completions.write_text("date,activity,hours,areas,format,provider\n2025-02-01,Records Management,,,,\n")
    completed = subprocess.run(
        [sys.executable, "-c", "from lti_tool.cli import run; run()", "evaluate", "--program", "ccmo-classic",
         "--enrolled", "2025-01-10", "--as-of", "2025-06-01", "--completions", str(completions), "--json"],
        capture_output=True, text=True, timeout=60,
    )
    assert completed.returncode == 0, completed.stderr
    import json

    result = json.loads(completed.stdout)
    assert result["status"] == "in_progress" and result["hours"] == {"earned": 3, "required": 36}
    completions.write_text("date,activity,hours,areas,format,provider\nlast week,Records Management,,,,\n")
    bad = subprocess.run(
        [sys.executable, "-c", "from lti_tool.cli import run; run()", "evaluate", "--program", "ccmo-classic",
         "--enrolled", "2025-01-10", "--completions", str(completions), "--json"],
        capture_output=True, text=True, timeout=60,
    )
    assert bad.returncode == 2
    assert "line 2" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1


def test_tool_administrators_are_granted_and_withdrawn_with_a_reason(runner, session):
    from tests.factories import gen_official, gen_platform

    platform = gen_platform(session)
    official = gen_official(session, platform=platform, sub="42", name="Ada Admin")
    session.commit()
    platform_id = platform.id
    assert runner.invoke("admin", "list").stdout.startswith("no tool administrators")
    missing = runner.invoke("admin", "grant", "--platform", str(platform_id), "--user", "42")
    assert missing.exit_code == 2 and "--reason" in missing.stderr
    unknown = runner.invoke("admin", "grant", "--platform", str(platform_id), "--user", "7", "--reason", "x")
    assert unknown.exit_code == 1 and "open the tool once" in unknown.stderr
    granted = runner.invoke("admin", "grant", "--platform", str(platform_id), "--user", "42", "--reason", "CCM staff")
    assert granted.exit_code == 0, granted.stderr
    assert "Ada Admin" in runner.invoke("admin", "list").stdout
    assert runner.invoke("admin", "revoke", "--platform", str(platform_id), "--user", "42", "--reason", "left").exit_code == 0
    assert runner.invoke("admin", "list").stdout.startswith("no tool administrators")
