"""The campaign commands' errors and inputs: no store, located import errors, XLSX."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from tests.conftest import Invoke


def test_a_command_on_a_missing_store_says_so_and_creates_nothing(
    cli: Invoke, tmp_path: Path
) -> None:
    missing = tmp_path / "typo.db"
    result = cli("campaign", "list", "--store", str(missing))
    assert result.exit_code == 1
    assert f"{missing}: no store here: open a campaign first" in result.stderr
    assert not missing.exists()


def test_a_bad_import_exits_1_with_located_problems(cli: Invoke, tmp_path: Path) -> None:
    db = ["--store", str(tmp_path / "cchc.db")]
    assert (
        cli(
            "campaign", "open", "ttcp", "-p", "2019", "--units", "demo", "--who", "T", *db
        ).exit_code
        == 0
    )
    bad = tmp_path / "self.csv"
    bad.write_text("unit_id,criterion_id,points\nTTCP-VPTT,A1,9\n")
    result = cli("campaign", "self-assess", "ttcp-2019", str(bad), "--who", "VP", *db)
    assert result.exit_code == 1
    assert (
        f"{bad}:2: points: expected points from 0 to 1.5, the maximum of A1 (got 9)"
        in result.stderr
    )
    result = cli("campaign", "open", "ttcp", "-p", "2019", "--units", "demo", "--who", "T", *db)
    assert result.exit_code == 1 and "campaign 'ttcp-2019' already exists" in result.stderr
    result = cli("campaign", "open", "ttcp", "--units", "demo", "--who", "T", *db)
    assert result.exit_code == 1 and "a family needs the campaign's period" in result.stderr


def test_a_self_assessment_from_a_spreadsheet(cli: Invoke, tmp_path: Path) -> None:
    db = ["--store", str(tmp_path / "cchc.db")]
    cli("campaign", "open", "ttcp@2019", "--units", "demo", "--who", "T", *db)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["unit_id", "criterion_id", "points", "evidence_date", "evidence_title"])
    sheet.append(["TTCP-VPTT", "A1", 1.25, "2019-01-10", "Kế hoạch"])
    path = tmp_path / "self.xlsx"
    workbook.save(path)
    result = cli("campaign", "self-assess", "ttcp-2019", str(path), "--who", "VP", *db)
    assert result.exit_code == 0, result.output
    assert "TTCP-VPTT A1: none → 1.25 points, 1 evidence item(s)" in result.stdout
    shown = cli("campaign", "show", "ttcp-2019", *db).stdout
    assert "ttcp@2019 named explicitly" in shown and "self_assessment" in shown
