"""``cchc template`` and the office-file options of the commands that read units."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl

from tests.conftest import Invoke, Refused
from tests.inputs.test_fuzz_units import DEMO_CSV, demo
from tests.inputs.test_office_files import fill

ENTRY = "Đơn vị - Units"


def test_template_fill_evaluate_round_trip(cli: Invoke, tmp_path: Path) -> None:
    form = tmp_path / "form.xlsx"
    made = cli("template", "ttcp@2018", "-o", str(form))
    assert made.exit_code == 0, made.output
    again = cli("template", "ttcp@2018", "-o", str(tmp_path / "again.xlsx"))
    assert again.exit_code == 0
    assert form.read_bytes() == (tmp_path / "again.xlsx").read_bytes()
    book = fill(openpyxl.load_workbook(form))
    rows = demo()[1]
    sheet = book[ENTRY]
    sheet.cell(3 + len(rows) + 1, 3, "Tổng cộng")
    book.save(form)
    filled = cli("evaluate", "ttcp@2018", str(form), "-f", "csv")
    clean = cli("evaluate", "ttcp@2018", str(DEMO_CSV), "-f", "csv")
    assert filled.exit_code == 0, filled.output
    assert filled.stdout == clean.stdout
    assert f"note: {form}: 1 totals row skipped (row {3 + len(rows) + 1})" in filled.stderr


def test_template_refuses_to_replace_a_file(refused: Refused, tmp_path: Path) -> None:
    form = tmp_path / "form.xlsx"
    form.write_bytes(b"keep")
    problems = refused("template", "ttcp@2018", "-o", str(form))
    assert any("exists" in line for line in problems), problems
    assert form.read_bytes() == b"keep"


def test_map_and_delimiter_options(cli: Invoke, tmp_path: Path) -> None:
    header, rows = demo()
    out = io.StringIO()
    writer = csv.writer(out, delimiter="|")
    writer.writerow(["Mã ĐV" if c == "unit_id" else c for c in header])
    writer.writerows(rows)
    units = tmp_path / "units.csv"
    units.write_text(out.getvalue(), "utf-8")
    names = tmp_path / "map.toml"
    names.write_text('"Mã ĐV" = "unit_id"\n', "utf-8")
    result = cli(
        "--map", str(names), "--delimiter", "|", "evaluate", "ttcp@2018", str(units), "-f", "csv"
    )
    clean = cli("evaluate", "ttcp@2018", str(DEMO_CSV), "-f", "csv")
    assert result.exit_code == 0, result.output
    assert result.stdout == clean.stdout


def test_a_missing_sheet_is_a_located_refusal(refused: Refused, tmp_path: Path) -> None:
    form = tmp_path / "form.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["unit_id", "name", "unit_type"])
    book.save(form)
    problems = refused("--sheet", "Ba", "evaluate", "ttcp@2018", str(form))
    assert problems == [f"{form}: no sheet 'Ba' (expected one of Sheet or 1 to 1)"]


def test_an_unknown_encoding_is_a_located_refusal(refused: Refused) -> None:
    problems = refused("--encoding", "klingon", "evaluate", "ttcp@2018", str(DEMO_CSV))
    assert problems == [
        f"{DEMO_CSV}: cannot read: unknown encoding 'klingon' (expected e.g. utf-8, utf-16, cp1258)"
    ]
