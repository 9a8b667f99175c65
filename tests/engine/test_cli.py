"""The command-line contract: `lti-tool evaluate ... --json` and `lti-tool rules validate [PATH]`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from lti_tool.cli.evaluate import evaluate
from lti_tool.cli.rules import rules
from lti_tool.engine import default_rules_dir

HEADER = "date,activity,hours,areas,format,provider\n"

CLASSIC_ROWS = """\
2025-04-01,Time Management,,,,
2025-04-02,budgets-finance,,,,
2025-04-03,Supervisor Training,,,,
2025-04-04,Leading for Diversity,,,,
2025-04-05,Social Media,,,,
2025-04-06,Records Management,,,,
2025-05-06,Records Management,,,,
2025-11-18,Annual Convention,,,,
2026-03-19,Women in Government Summit,,,,
"""


@pytest.fixture
def csv_file(tmp_path: Path):
    def write(rows: str) -> str:
        path = tmp_path / "completions.csv"
        path.write_text(HEADER + rows)
        return str(path)

    return write


def run_evaluate(*args: str):
    return CliRunner().invoke(evaluate, list(args))


def test_evaluate_prints_the_json_contract(csv_file):
    result = run_evaluate("--program", "ccmo-classic", "--enrolled", "2025-03-15", "--as-of", "2026-06-01",
                          "--completions", csv_file(CLASSIC_ROWS), "--json")

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["program"], data["edition"], data["status"]) == ("ccmo", "ccmo-classic", "in_progress")
    assert data["completed_on"] is None and data["deadline"] == "2027-03-15"
    assert data["hours"] == {"earned": 21, "required": 36}
    assert {area: (value["required"], value["met"]) for area, value in data["areas"].items()} == {
        "personal": (2, True), "organizational": (2, True), "community": (2, True)}
    assert {"activity": "time-management", "date": "2025-04-01", "area": "community"}.items() <= \
        data["assignment"][0].items()
    assert [(entry["activity"], entry["date"], entry["reason"]) for entry in data["not_counted"]] == [
        ("records-management", "2025-05-06", "repeat"),
        ("women-in-government-summit", "2026-03-19", "event_not_counted"),
    ]
    assert data["unmet"] == ["15 more credit hours by 14 March 2027"]


def test_explicit_areas_hours_format_and_provider_override_the_catalogue(csv_file):
    rows = "2026-09-04,Time Management,4,community,in_person,uconn_pselc\n"
    result = run_evaluate("--program", "ccpl-academy", "--enrolled", "2026-06-01", "--as-of", "2026-12-01",
                          "--completions", csv_file(rows), "--holds", "ccmo=2025-05-01", "--json")

    data = json.loads(result.stdout)
    assert data["status"] == "in_progress"
    assert data["hours"]["earned"] == 4
    assert data["areas"]["community"]["met"] is True and data["areas"]["personal"]["met"] is False


def test_ccpl_without_holds_is_not_eligible_but_still_exits_zero(csv_file):
    result = run_evaluate("--program", "ccpl-academy", "--enrolled", "2026-06-01", "--as-of", "2026-12-01",
                          "--completions", csv_file(""), "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["status"] == "not_eligible"
    assert data["unmet"][0] == "a CCMO held on the enrollment date (1 June 2026) is required"


def test_without_json_a_readable_summary(csv_file):
    result = run_evaluate("--program", "ccmo-classic", "--enrolled", "2025-03-15", "--as-of", "2026-06-01",
                          "--completions", csv_file(CLASSIC_ROWS))
    assert result.exit_code == 0
    assert "Status: in progress" in result.stdout
    assert "  - 15 more credit hours by 14 March 2027" in result.stdout


@pytest.mark.parametrize(
    ("rows", "args", "message"),
    [
        ("2025-04-01,Time Management,,,,\n2025-04-31,MERA,,,,\n", (),
         "line 3: date '2025-04-31' is not a date YYYY-MM-DD"),
        ("2025-04-01,Underwater Basket Weaving,,,,\n", (), "line 2: unknown activity 'Underwater Basket Weaving'"),
        ("2025-04-01,MERA,three,,,\n", (), "line 2: hours must be a number, got 'three'"),
        ("2025-04-01,MERA,,civic,,\n", (), "line 2: unknown area 'civic'"),
        ("2025-04-01,MERA,,,\n", (), "line 2: expected 6 fields, got 5"),
        ("", ("--holds", "ccmo"), "--holds 'ccmo': expected PROGRAM=YYYY-MM-DD"),
    ],
)
def test_bad_input_is_one_line_and_exit_two(csv_file, rows, args, message):
    result = run_evaluate("--program", "ccmo-classic", "--enrolled", "2025-03-15", "--as-of", "2026-06-01",
                          "--completions", csv_file(rows), "--json", *args)

    assert result.exit_code == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("error: ") and message in result.stderr


def test_unknown_edition_and_missing_options_are_one_line_and_exit_two(csv_file):
    unknown = run_evaluate("--program", "ccmo-2099", "--enrolled", "2025-03-15", "--completions", csv_file(""))
    assert unknown.exit_code == 2
    assert unknown.stderr.startswith("error: --program: unknown edition 'ccmo-2099' (known: ccmo-academy,")
    missing = run_evaluate("--enrolled", "2025-03-15")
    assert missing.exit_code == 2
    assert missing.stderr == "error: Missing option '--program'.\n"


def test_rules_validate_passes_on_the_shipped_files():
    result = CliRunner().invoke(rules, ["validate"])
    assert result.exit_code == 0
    assert result.stdout == "ok: 5 editions, 55 activities\n"


def test_rules_validate_rejects_a_broken_directory_and_a_broken_draft(tmp_path, monkeypatch):
    copy = tmp_path / "rules"
    shutil.copytree(default_rules_dir(), copy)
    monkeypatch.chdir(tmp_path)
    classic = copy / "editions" / "ccmo-classic.yaml"
    classic.write_text(classic.read_text().replace("hours: 36", "hours: lots"))

    broken = CliRunner().invoke(rules, ["validate", str(copy)])
    assert broken.exit_code == 1
    assert broken.stdout == "rules/editions/ccmo-classic.yaml: requirements.hours: expected a number >= 0, got 'lots'\n"

    draft = tmp_path / "ccmo-next.yaml"
    draft.write_text((default_rules_dir() / "editions" / "ccmo-academy.yaml").read_text()
                     .replace("id: ccmo-academy", "id: ccmo-next").replace("program: ccmo", "program: ccmx"))
    rejected = CliRunner().invoke(rules, ["validate", str(draft)])
    assert rejected.exit_code == 1
    assert rejected.stdout.startswith("ccmo-next.yaml: program: unknown program 'ccmx' (known: cares, ccmo,")

    missing = CliRunner().invoke(rules, ["validate", str(tmp_path / "nowhere")])
    assert missing.exit_code == 2


def test_optional_id_and_reversed_columns(tmp_path):
    path = tmp_path / "with-ids.csv"
    path.write_text("date,activity,hours,areas,format,provider,id,reversed\n"
                    "2025-04-01,MERA,,,,,att-1,no\n"
                    "2025-04-02,Public Safety,,,,,att-2,yes\n")
    result = run_evaluate("--program", "ccmo-classic", "--enrolled", "2025-03-15", "--as-of", "2026-06-01",
                          "--completions", str(path), "--json")
    data = json.loads(result.stdout)
    assert data["counted"] == ["att-1"]
    assert [(entry["completion"], entry["reason"]) for entry in data["not_counted"]] == [("att-2", "reversed")]


def test_points_editions_report_points_by_category(csv_file):
    rows = "2024-07-15,clerks-institute-year-1,,,,\n2024-12-31,clerk-service-year,,,,\n"
    result = run_evaluate("--program", "iimc-cmc", "--enrolled", "2024-06-01", "--as-of", "2025-01-31",
                          "--member-since", "2024-05-01", "--completions", csv_file(rows), "--json")
    data = json.loads(result.stdout)
    assert data["points"] == {"earned": 30, "required": 110}
    assert data["categories"]["education"] == {"earned": 20, "required": 60, "met": False}
    assert data["deadline"] is None
