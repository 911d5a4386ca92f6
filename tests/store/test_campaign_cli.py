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


def test_last_years_evidence_is_carried_over_by_lineage(cli: Invoke, tmp_path: Path) -> None:
    db = ["--store", str(tmp_path / "cchc.db")]
    cli("campaign", "open", "ttcp", "-p", "2018", "--units", "demo", "--who", "T", *db)
    last_year = tmp_path / "2018.csv"
    last_year.write_text(
        "unit_id,criterion_id,points,evidence_number,evidence_title\n"
        "TTCP-VPTT,G1,2,07/QĐ-VP,Quy chế ứng dụng CNTT\n"
        "TTCP-VPTT,A1,1,,\n"
    )
    assert (
        cli("campaign", "self-assess", "ttcp-2018", str(last_year), "--who", "VP", *db).exit_code
        == 0
    )
    cli("campaign", "open", "ttcp", "-p", "2019", "--units", "demo", "--who", "T", *db)
    result = cli("campaign", "carry-over", "ttcp-2019", "--from", "ttcp-2018", "--who", "T", *db)
    assert result.exit_code == 0, result.output
    moved = [line.strip() for line in result.stdout.splitlines() if line.startswith("  ")]
    assert moved == [
        f"TTCP-VPTT {g}: 0 carried item(s) → 1 item(s) from ttcp-2018 G1"
        for g in ("G3", "G4", "G5", "G6", "G7", "G8")
    ]
    again = cli("campaign", "carry-over", "ttcp-2019", "--from", "ttcp-2018", "--who", "T", *db)
    assert "nothing to change; nothing written" in again.stdout
    explained = cli("campaign", "explain", "ttcp-2019", "TTCP-VPTT", "-f", "json", *db).stdout
    assert '"number": "07/QĐ-VP"' in explained
