"""Safe cells: text a spreadsheet would evaluate is written as text, in CSV and XLSX."""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

import pyarrow as pa
import pytest
from openpyxl import load_workbook

from cchc_rules.reports._cells import safe_columns, safe_text
from cchc_rules.reports._csv import table_csv
from cchc_rules.reports._table import ReportTable
from cchc_rules.reports._xlsx import table_xlsx
from tests.conftest import DemoRows, Invoke, WriteCsv

HOSTILE = ['=HYPERLINK("http://x","y")', "+1", "-2", "@SUM(A1)", "\tx", "\rx"]
# NOTE: the units reader trims names, so a leading tab or CR reaches the writers only
# from elsewhere (a plugin's reason, a comparison label): tested on a table below.
TYPED = HOSTILE[:4]


@pytest.fixture(name="hostile_units")
def hostile_units_fixture(tmp_path: Path, demo_rows: DemoRows, write_csv: WriteCsv) -> Path:
    """The ttcp@2018 demo units, the first few renamed to formulas."""
    header, rows = demo_rows()
    name = header.index("name")
    for row, hostile in zip(rows, TYPED, strict=False):
        row[name] = hostile
    return write_csv(tmp_path / "units.csv", header, rows)


def test_safe_text_quotes_only_formula_starts() -> None:
    assert [safe_text(t) for t in HOSTILE] == ["'" + t for t in HOSTILE]
    assert safe_text("Văn phòng") == "Văn phòng"
    assert safe_text("a=1") == "a=1" and safe_text("") == ""


def test_safe_columns_leave_numbers_and_quote_dictionary_text() -> None:
    reasons = pa.DictionaryArray.from_arrays(pa.array([0, 1, 0], pa.int8()), ["ok", "=1"])
    table = pa.table({"n": [-2, 1, 3], "name": ["-x", "y", None], "reason": reasons})
    safe = safe_columns(table)
    assert safe.column("n").to_pylist() == [-2, 1, 3]
    assert safe.column("name").to_pylist() == ["'-x", "y", None]
    assert safe.column("reason").to_pylist() == ["ok", "'=1", "ok"]
    assert safe.schema == table.schema


def test_csv_quotes_hostile_names_and_starts_a_file_with_a_bom(
    cli: Invoke, hostile_units: Path, tmp_path: Path
) -> None:
    out = tmp_path / "results.csv"
    assert cli("evaluate", "ttcp@2018", str(hostile_units), "-o", str(out)).exit_code == 0
    data = out.read_bytes()
    assert data.startswith(codecs.BOM_UTF8)
    rows = list(csv.DictReader(io.StringIO(data[len(codecs.BOM_UTF8) :].decode())))
    names = {row["name"] for row in rows}
    assert {"'" + t for t in TYPED} <= names
    assert not any(n.startswith(("=", "+", "-", "@", "\t", "\r")) for n in names)
    # numbers stay numbers
    assert all(row["total"][0].isdigit() for row in rows)


def test_csv_bom_follows_the_option_and_stdout_has_none(
    cli: Invoke, hostile_units: Path, tmp_path: Path
) -> None:
    stdout = cli("evaluate", "ttcp@2018", str(hostile_units), "-f", "csv")
    assert stdout.exit_code == 0 and stdout.stdout_bytes.startswith(b'"unit_id",')
    forced = cli("evaluate", "ttcp@2018", str(hostile_units), "-f", "csv", "--csv-bom")
    assert forced.stdout_bytes.startswith(codecs.BOM_UTF8 + b'"unit_id",')
    out = tmp_path / "plain.csv"
    args = ("evaluate", "ttcp@2018", str(hostile_units), "-o", str(out), "--no-csv-bom")
    assert cli(*args).exit_code == 0
    assert out.read_bytes().startswith(b'"unit_id",')


def test_compare_csv_has_the_bom_and_safe_names(
    cli: Invoke, hostile_units: Path, tmp_path: Path
) -> None:
    out = tmp_path / "what-if.csv"
    result = cli("compare", "ttcp@2018", "ttcp@2018", str(hostile_units), "-o", str(out))
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    assert data.startswith(codecs.BOM_UTF8)
    assert b"'=HYPERLINK(" in data and b",=HYPERLINK(" not in data


def test_xlsx_stores_hostile_names_as_quoted_text(
    cli: Invoke, hostile_units: Path, tmp_path: Path
) -> None:
    out = tmp_path / "results.xlsx"
    assert cli("evaluate", "ttcp@2018", str(hostile_units), "-o", str(out)).exit_code == 0
    sheet = load_workbook(out).active
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    texts = {cell.value for cell in cells if cell.data_type == "s"}
    assert {"'" + t for t in TYPED} <= texts
    # the points are numbers, not text
    assert any(isinstance(cell.value, float) for cell in cells)


def test_writers_quote_every_formula_start_and_leave_numbers() -> None:
    rows = pa.table({"name": HOSTILE, "total": pa.array([-2, 1, 2, 3, 4, 5], pa.int64())})
    table = ReportTable(rows=rows, document={}, sheet="S", preamble=[["=1+1"]])
    data = table_csv(table).decode()
    # Raw text, not csv.reader: it would read the quoted CR back as a newline.
    assert all("\"'" + t.replace('"', '""') + '",' in data for t in HOSTILE)
    assert '"=' not in data and "\n-2" not in data and ",-2\n" in data
    sheet = load_workbook(io.BytesIO(table_xlsx(table))).active
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    assert sheet["A1"].value == "'=1+1"
    # An XML parser reads a stored CR back as a newline; the quote is what matters.
    expected = ["'" + t.replace("\r", "\n") for t in HOSTILE]
    assert [sheet.cell(r, 1).value for r in range(3, 9)] == expected
    assert sheet.cell(3, 2).value == -2 and sheet.cell(3, 2).data_type == "n"


def test_control_characters_xml_cannot_hold_are_written_as_excels_escape() -> None:
    rows = pa.table({"name": ["Vụ\x01Pháp chế", "Bell\x07", "Tab\tand\nline"]})
    table = ReportTable(
        rows=rows, document={}, sheet="S", preamble=[], provenance={"who": "Ai\x1bđó"}
    )
    book = load_workbook(io.BytesIO(table_xlsx(table)))
    names = [book["S"].cell(r, 1).value for r in range(2, 5)]
    assert names == ["Vụ_x0001_Pháp chế", "Bell_x0007_", "Tab\tand\nline"]
    assert ("Người thực hiện", "Ai_x001B_đó") in book["Nguồn gốc"].iter_rows(values_only=True)
