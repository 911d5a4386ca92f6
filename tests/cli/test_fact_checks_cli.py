"""Checks between facts through the command line: refusals and warnings in every output."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import html5lib
import pytest
from openpyxl import load_workbook
from typer.testing import Result

Invoke = Callable[..., Result]
Refused = Callable[..., list[str]]

CHECKS = str(Path(__file__).resolve().parents[1] / "rulesets" / "valid" / "checks.toml")
HEADER = "unit_id,name,unit_type,plan_issued,done,due\n"
# U2 breaks the warning check plan_when_due (3 tasks due, no plan).
FINE = HEADER + "U1,Một,cuc,true,1,2\nU2,Hai,cuc,false,0,3\nU3,Ba,cuc,true,2,15\n"


def _units(tmp_path: Path, text: str) -> str:
    path = tmp_path / "units.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_an_error_check_refuses_the_input_and_writes_nothing(
    tmp_path: Path, refused: Refused
) -> None:
    units = _units(tmp_path, FINE.replace("U3,Ba,cuc,true,2,15", "U3,Ba,cuc,true,20,15"))
    output = tmp_path / "out.xlsx"
    lines = refused("evaluate", CHECKS, units, "-o", str(output), "--layout", "annex")
    assert lines == [
        f"{units}:4: đơn vị U3: Số việc hoàn thành không được lớn hơn số việc phải làm "
        "(done = 20, due = 15) [done_le_due]"
    ]
    assert not output.exists()
    assert list(tmp_path.iterdir()) == [Path(units)]
    english = refused("evaluate", CHECKS, units, "--lang", "en", "-o", str(tmp_path / "o.csv"))
    assert english == [
        f"{units}:4: unit U3: Tasks done cannot exceed tasks due (done = 20, due = 15) "
        "[done_le_due]"
    ]


def test_the_terminal_lists_warnings_after_the_table(tmp_path: Path, cli: Invoke) -> None:
    result = cli("evaluate", CHECKS, _units(tmp_path, FINE))
    assert result.exit_code == 0, result.output
    table_at = result.stdout.index("Một")
    warnings_at = result.stdout.index("Cảnh báo / Warnings")
    assert table_at < warnings_at
    assert "Có việc phải làm nhưng chưa ban hành kế hoạch (due = 3, plan_issued = không)" in (
        " ".join(result.stdout[warnings_at:].split())
    )


def test_json_carries_the_warnings_and_data_files_note_them_on_stderr(
    tmp_path: Path, cli: Invoke
) -> None:
    units = _units(tmp_path, FINE)
    result = cli("evaluate", CHECKS, units, "--format", "json", "--lang", "en")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["warnings"] == [
        {
            "check": "plan_when_due",
            "row": 3,
            "unit_id": "U2",
            "message": "Tasks due but no plan issued",
            "values": {"due": 3, "plan_issued": False},
        }
    ]
    result = cli("evaluate", CHECKS, units, "-o", str(tmp_path / "out.csv"))
    assert result.exit_code == 0, result.output
    assert (
        f"cảnh báo: {units}:3: đơn vị U2: Có việc phải làm nhưng chưa ban hành kế hoạch "
        "(due = 3, plan_issued = không) [plan_when_due]"
    ) in result.stderr


def test_the_annex_has_a_warnings_sheet(tmp_path: Path, cli: Invoke) -> None:
    output = tmp_path / "annex.xlsx"
    result = cli("evaluate", CHECKS, _units(tmp_path, FINE), "-o", str(output), "--layout", "annex")
    assert result.exit_code == 0, result.output
    book = load_workbook(output)
    assert book.sheetnames[-2:] == ["Cảnh báo", "Nguồn gốc"]
    rows = [row for row in book["Cảnh báo"].iter_rows(values_only=True) if any(row)]
    assert rows[0][0] == "Cảnh báo / Warnings"
    assert rows[1] == ("Dòng", "Mã", "Đơn vị", "Kiểm tra", "Nội dung")
    assert rows[2:] == [
        (
            3,
            "U2",
            "Hai",
            "plan_when_due",
            "Có việc phải làm nhưng chưa ban hành kế hoạch (due = 3, plan_issued = không)",
        )
    ]


def _parse(data: bytes) -> ET.Element:
    return html5lib.parse(data, treebuilder="etree", namespaceHTMLElements=False)


def test_the_report_and_the_scorecards_show_the_warnings(tmp_path: Path, cli: Invoke) -> None:
    units = _units(tmp_path, FINE)
    report = tmp_path / "report.html"
    result = cli("report", CHECKS, units, "-o", str(report), "--lang", "en")
    assert result.exit_code == 0, result.output
    page = _parse(report.read_bytes())
    section = page.find(".//section[@id='warnings']")
    assert section is not None
    cells = [["".join(td.itertext()) for td in tr.findall("td")] for tr in section.iter("tr")]
    assert [c for c in cells if c] == [
        [
            "3",
            "U2",
            "Hai",
            "plan_when_due",
            "Tasks due but no plan issued (due = 3, plan_issued = no)",
        ]
    ]
    unit = page.find(".//section[@id='unit-U2']")
    assert unit is not None
    assert ["".join(li.itertext()) for li in unit.findall(".//div[@class='warnings']/ul/li")] == [
        "Tasks due but no plan issued (due = 3, plan_issued = no)"
    ]
    assert page.find(".//section[@id='unit-U1']//div[@class='warnings']") is None
    directory = tmp_path / "cards"
    result = cli("scorecards", CHECKS, units, "-o", str(directory), "--unit", "U2")
    assert result.exit_code == 0, result.output
    card = _parse((directory / "U2.html").read_bytes())
    assert ["".join(li.itertext()) for li in card.findall(".//div[@class='warnings']/ul/li")] == [
        "Có việc phải làm nhưng chưa ban hành kế hoạch (due = 3, plan_issued = không)"
    ]


@pytest.mark.parametrize("unit, expected", [("U2", 1), ("U1", 0)])
def test_explain_lists_the_units_own_warnings(
    tmp_path: Path, cli: Invoke, unit: str, expected: int
) -> None:
    result = cli("explain", CHECKS, _units(tmp_path, FINE), unit, "--format", "json")
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)["warnings"]) == expected


def test_rulesets_show_lists_the_checks_with_their_severity(cli: Invoke) -> None:
    result = cli("rulesets", "show", CHECKS, "--lang", "en")
    assert result.exit_code == 0, result.output
    assert "Checks between facts / Kiểm tra giữa các dữ liệu" in result.stdout
    assert "done_le_due: done <= due error" in result.stdout
    assert "plan_when_due: due == 0 or plan_issued warning" in result.stdout
    bare = cli("rulesets", "show", "ttcp@2018")
    assert "Kiểm tra giữa các dữ liệu" not in bare.stdout
