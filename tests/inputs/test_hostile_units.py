"""Units files built to break the readers: each is refused by ``cchc evaluate`` with one
located line per problem and exit 1, nothing written, never a Python traceback; or,
when it is a valid file after all (a very long row), it is read.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable
from pathlib import Path

import openpyxl
import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from typer.testing import Result

import cchc_rules
from cchc_rules.inputs._records import MergedSchema, read_record_set
from cchc_rules.providers import Column, RecordSchema

Invoke = Callable[..., Result]
Refused = Callable[..., list[str]]
DemoRows = Callable[[], tuple[list[str], list[list[str]]]]
WriteCsv = Callable[[Path, list[str], list[list[str]]], Path]

RULESET = "ttcp@2018"
DEMO_CSV = Path(cchc_rules.__file__).parent / "demo" / "ttcp_units_2018.csv"


def evaluate_refused(refused: Refused, units: Path) -> list[str]:
    """The problems of ``cchc evaluate`` on ``units``, which must write nothing."""
    output = units.parent / "results.csv"
    problems = refused("evaluate", RULESET, str(units), "--output", str(output))
    assert not output.exists()
    return problems


# -- JSON -----------------------------------------------------------------------------------


def test_deeply_nested_json_is_refused_not_a_recursion_error(
    refused: Refused, tmp_path: Path
) -> None:
    units = tmp_path / "units.json"
    units.write_text("[" * 3000 + "]" * 3000, encoding="utf-8")
    assert evaluate_refused(refused, units) == [
        f"{units}: cannot read: nested too deeply (expected an array of objects, one per unit)"
    ]


def test_nested_values_in_json_cells_are_refused_where_they_are(
    refused: Refused, tmp_path: Path, demo_rows: DemoRows
) -> None:
    header, rows = demo_rows()
    records: list[object] = [dict(zip(header, row, strict=True)) for row in rows[:3]]
    records[1]["name"] = ["Vụ", ["Pháp chế"]]  # type: ignore[index]
    records[2]["plan_targets"] = {"value": 10}  # type: ignore[index]
    records.append([1, 2])
    units = tmp_path / "units.json"
    units.write_text(json.dumps(records), encoding="utf-8")
    assert evaluate_refused(refused, units) == [
        f"{units}:2: name: expected a number, text, boolean or null (got a list)",
        f"{units}:3: plan_targets: expected a number, text, boolean or null (got an object)",
        f"{units}:4: expected an object, one per unit (got a list)",
    ]


def test_a_json_integer_too_long_for_python_is_a_bad_cell(
    refused: Refused, tmp_path: Path, demo_rows: DemoRows
) -> None:
    header, rows = demo_rows()
    text = json.dumps([dict(zip(header, row, strict=True)) for row in rows[:2]])
    units = tmp_path / "units.json"
    units.write_text(text.replace('"plan_targets": "15"', '"plan_targets": ' + "9" * 5000))
    (problem,) = evaluate_refused(refused, units)
    assert problem.startswith(f"{units}:1: plan_targets: expected a whole number (got '999")


# -- XLSX -----------------------------------------------------------------------------------


def _workbook(path: Path, demo_rows: DemoRows) -> bytes:
    header, rows = demo_rows()
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in [header, *rows]:
        sheet.append(row)
    book.save(path)
    return path.read_bytes()


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda data: data[: len(data) // 2], "BadZipFile: File is not a zip file"),
        (lambda data: b"not a workbook at all", "BadZipFile: File is not a zip file"),
        # A byte flipped inside a compressed sheet: zlib, the XML parser or zipfile's CRC
        # check fails, depending on where it lands.
        (lambda data: data[:3000] + bytes([data[3000] ^ 0xFF]) + data[3001:], ""),
    ],
    ids=["truncated", "not a zip", "bit flipped"],
)
def test_a_damaged_xlsx_is_not_a_valid_workbook(
    refused: Refused, tmp_path: Path, demo_rows: DemoRows, damage: object, reason: str
) -> None:
    units = tmp_path / "units.xlsx"
    data = _workbook(units, demo_rows)
    assert callable(damage)
    units.write_bytes(damage(data))
    (problem,) = evaluate_refused(refused, units)
    assert problem.startswith(f"{units}: cannot read: not a valid XLSX workbook ({reason}")


def test_an_xlsx_with_two_columns_of_one_name_reports_them(
    refused: Refused, tmp_path: Path, demo_rows: DemoRows
) -> None:
    header, rows = demo_rows()
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in [[*header, "plan_targets"], *([*r, "1"] for r in rows)]:
        sheet.append(row)
    units = tmp_path / "units.xlsx"
    book.save(units)
    assert evaluate_refused(refused, units) == [
        f"{units}: plan_targets: column appears more than once"
    ]


# -- CSV ------------------------------------------------------------------------------------


def test_a_csv_row_longer_than_a_parsing_block_is_read(
    cli: Invoke, tmp_path: Path, demo_rows: DemoRows, write_csv: WriteCsv
) -> None:
    header, rows = demo_rows()
    note = "Sáng kiến " * 300_000  # 3.3 MB in one cell: longer than pyarrow's 1 MB block
    rows[1][header.index("innovation_note")] = note
    units = write_csv(tmp_path / "units.csv", header, rows)
    result = cli("evaluate", RULESET, str(units), "--format", "json")
    assert result.exit_code == 0, result.output
    cards = cchc_rules.evaluate(RULESET, units)
    assert cards.units.facts["innovation_note"].value(1) == note


def test_a_megabyte_cell_is_refused_without_echoing_it(
    refused: Refused, tmp_path: Path, demo_rows: DemoRows, write_csv: WriteCsv
) -> None:
    header, rows = demo_rows()
    rows[0][header.index("plan_targets")] = "x" * 2_000_000
    problems = evaluate_refused(refused, write_csv(tmp_path / "units.csv", header, rows))
    [problem] = problems
    assert problem.startswith(f"{tmp_path / 'units.csv'}:2: plan_targets: expected a whole number")
    assert problem.endswith("… (2,000,000 characters))")
    assert len(problem) < 600


def test_a_header_longer_than_a_parsing_block_is_read_and_its_column_named_briefly(
    refused: Refused, tmp_path: Path, demo_rows: DemoRows, write_csv: WriteCsv
) -> None:
    header, rows = demo_rows()
    long_name = "y" * 2_000_000  # the header row alone is longer than pyarrow's 1 MB block
    units = write_csv(tmp_path / "units.csv", [*header, long_name], [[*r, "1"] for r in rows])
    [problem] = evaluate_refused(refused, units)
    assert "unknown column" in problem and "(2,000,000 characters)" in problem
    assert len(problem) < 600


def test_csv_rows_with_another_number_of_fields_are_located(
    refused: Refused, tmp_path: Path, demo_rows: DemoRows, write_csv: WriteCsv
) -> None:
    header, rows = demo_rows()
    rows[3].append("extra")
    rows[7] = rows[7][:5]
    units = write_csv(tmp_path / "units.csv", header, rows)
    assert evaluate_refused(refused, units) == [
        f"{units}:5: expected {len(header)} fields as in the header "
        f"(got {len(header) + 1}; a comma in an unquoted cell?)",
        f"{units}:9: expected {len(header)} fields as in the header (got 5)",
    ]


def test_invalid_utf8_is_located_by_row_and_column(refused: Refused, tmp_path: Path) -> None:
    lines = DEMO_CSV.read_bytes().split(b"\n")
    lines[4] = lines[4].replace("Vụ".encode(), "Vụ".encode()[:2], 1)  # a character cut short
    lines[6] = lines[6].replace("Vụ".encode(), "Vă".encode("cp1258"), 1)  # a Windows export
    units = tmp_path / "units.csv"
    units.write_bytes(b"\n".join(lines))
    assert evaluate_refused(refused, units) == [
        f"{units}:5: name: expected UTF-8 text (got the byte 0xe1; save the file as CSV UTF-8)",
        f"{units}:7: name: expected UTF-8 text (got the byte 0xe3; save the file as CSV UTF-8)",
    ]


# -- typed sources --------------------------------------------------------------------------


def test_a_unit_column_holding_no_text_is_refused(refused: Refused, tmp_path: Path) -> None:
    table = pacsv.read_csv(DEMO_CSV)
    ids = pa.array([[unit_id] for unit_id in table.column("unit_id").to_pylist()])
    units = tmp_path / "units.parquet"
    pq.write_table(table.set_column(0, "unit_id", ids), units)
    assert evaluate_refused(refused, units) == [
        f"{units}: unit_id: expected a column of text (got Arrow type list<element: string>)"
    ]


# -- one spelling of text: NFC --------------------------------------------------------------


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def test_an_id_in_nfc_and_in_nfd_is_one_unit(
    refused: Refused, tmp_path: Path, demo_rows: DemoRows, write_csv: WriteCsv
) -> None:
    header, rows = demo_rows()
    rows[0][0], rows[1][0] = "TTCP-Vụ", nfd("TTCP-Vụ")
    assert rows[0][0] != rows[1][0]
    units = write_csv(tmp_path / "units.csv", header, rows)
    assert evaluate_refused(refused, units) == [
        f"{units}:3: unit_id: duplicate unit id (got 'TTCP-Vụ')"
    ]


def test_explain_finds_a_unit_whatever_the_form_of_its_id(
    cli: Invoke, tmp_path: Path, demo_rows: DemoRows, write_csv: WriteCsv
) -> None:
    header, rows = demo_rows()
    rows[2][0] = nfd("TTCP-Vụ-Pháp-chế")
    units = write_csv(tmp_path / "units.csv", header, rows)
    cards = cchc_rules.evaluate(RULESET, units)
    assert cards.units.unit_id(2) == "TTCP-Vụ-Pháp-chế"  # read as NFC
    for typed in ("TTCP-Vụ-Pháp-chế", nfd("TTCP-Vụ-Pháp-chế")):
        result = cli("explain", RULESET, str(units), typed, "--format", "json")
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["unit_id"] == "TTCP-Vụ-Pháp-chế"


def test_record_sets_in_nfd_name_units_read_in_nfc() -> None:
    schema = MergedSchema()
    schema.add(
        RecordSchema(
            columns={"doc_id": Column("text", "Document"), "unit_id": Column("text", "Unit")},
            description={"vi": "Văn bản", "en": "Documents"},
            key=("doc_id",),
            unit_column="unit_id",
        ),
        "test.documents",
    )
    units = pl.Series("unit_id", ["Vụ-1", "Vụ-2"])
    records = pl.DataFrame(
        {"doc_id": ["Đ1", nfd("Đ2"), "Đ3"], "unit_id": [nfd("Vụ-1"), "Vụ-2", nfd("Vụ-2")]}
    )
    frame = read_record_set("documents", records, schema, units).frame.collect()
    assert frame["unit_id"].to_list() == ["Vụ-1", "Vụ-2", "Vụ-2"]
    assert frame["doc_id"].to_list() == ["Đ1", "Đ2", "Đ3"]
    # Keys compare in one form too: Đ2 typed twice is a repeated document.
    twice = records.with_columns(pl.Series("doc_id", ["Đ2", nfd("Đ2"), "Đ3"]))
    with pytest.raises(cchc_rules.InputError, match="<documents>:2: doc_id: duplicate doc_id"):
        read_record_set("documents", twice, schema, units)


@pytest.mark.parametrize("output", ["results.csv", "results.parquet"])
def test_a_damaged_parquet_file_cannot_be_read(
    refused: Refused, tmp_path: Path, output: str
) -> None:
    # Streamed to Parquet, the file is read piece by piece: each read is checked too.
    units = tmp_path / "units.parquet"
    pq.write_table(pacsv.read_csv(DEMO_CSV), units)
    data = bytearray(units.read_bytes())
    data[len(data) // 3] ^= 0xFF
    data[len(data) // 2] ^= 0xFF
    units.write_bytes(bytes(data))
    (problem,) = refused("evaluate", RULESET, str(units), "-o", str(tmp_path / output))
    assert problem.startswith(f"{units}: cannot read: ")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["units.parquet"]
