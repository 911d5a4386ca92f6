"""Facts derived from record sets, end to end: the API, `cchc evaluate` and `cchc explain`."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from typer.testing import CliRunner

import cchc_rules
from cchc_rules import cli as _cli
from cchc_rules.inputs._derive import demo_records_dir

RULESET = "ttcp@2020"
RUNNER = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = RUNNER.invoke(
        _cli.app, list(args), env={"COLUMNS": "200", "CCHC_LANG": None, "CCHC_RULESETS_DIR": None}
    )
    return result.exit_code, result.stdout, result.stderr


def test_the_api_derives_facts_from_the_demo_records() -> None:
    ruleset = cchc_rules.load_ruleset(RULESET)
    cards = cchc_rules.evaluate(ruleset, cchc_rules.demo_units_path(ruleset))
    rows = {row["unit_id"]: row for row in cards.to_arrow().to_pylist()}
    assert len(rows) == 19
    # placement, rotation and signature criteria are scored from records, not typed in
    derived = [n for n, spec in ruleset.model.facts.items() if spec.derived is not None]
    assert {"staff_in_approved_positions", "staff_rotated"} <= set(derived)
    for leaf in ruleset.leaves:
        if set(leaf.kind.facts()) & set(derived):
            assert all(row[f"{leaf.criterion.id}:reason"] for row in rows.values())


def test_evaluate_scores_from_records_and_explain_names_the_evidence() -> None:
    code, out, err = run("evaluate", RULESET, "demo", "--format", "json")
    assert code == 0, err
    assert len(json.loads(out)["units"]) == 19
    code, out, err = run("explain", RULESET, "demo", "TTCP-TAPCHI", "--format", "json", "-l", "en")
    assert code == 0, err
    lines = {line["id"]: line for line in json.loads(out)["criteria"]}
    rotation = lines["E4.2"]
    assert rotation["points"] != rotation["max_points"]
    assert any("due for rotation" in e for e in rotation["evidence"]), rotation
    assert any("certificate" in e for e in lines["G4"]["evidence"]), lines["G4"]
    assert all(
        not line["evidence"] for line in lines.values() if line["points"] == line["max_points"]
    )


def test_a_bad_record_set_on_the_command_line_gives_located_errors(tmp_path: Path) -> None:
    roster = demo_records_dir(cchc_rules.load_ruleset(RULESET)) / "roster.csv"
    with roster.open(encoding="utf-8") as stream:
        rows = list(csv.reader(stream))
    rows[3][1] = "TTCP-NOWHERE"  # an unknown unit, on file row 4
    rows[5][6] = "2020-13-45"  # not a date, on file row 6
    bad = tmp_path / "roster.csv"
    with bad.open("w", encoding="utf-8", newline="") as stream:
        csv.writer(stream).writerows(rows)
    code, _, err = run("evaluate", RULESET, "demo", "--records", f"roster={bad}")
    assert code == 1
    assert f"{bad}:4: unit_id:" in err and "TTCP-NOWHERE" in err
    assert f"{bad}:6: position_start:" in err


def test_records_option_needs_name_equals_path() -> None:
    code, _, err = run("evaluate", RULESET, "demo", "--records", "roster")
    assert code == 1
    assert "expected NAME=PATH" in err


def test_workers_with_record_sets_still_need_parquet_units() -> None:
    # Derived rulesets stream (tests/evaluation/test_stream_records.py); the demo units are CSV.
    code, _, err = run("evaluate", RULESET, "demo", "-o", "x.parquet", "--workers", "2")
    assert code == 2
    assert "read a Parquet dataset" in " ".join(err.replace("│", " ").split())
