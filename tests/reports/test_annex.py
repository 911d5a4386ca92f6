"""The annex workbook (``evaluate --layout annex``), read back as Excel would."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from openpyxl.workbook import Workbook

import cchc_rules
from cchc_rules.api import annex_xlsx, default_registry, provenance_record
from cchc_rules.results._scorecards import Scorecards
from tests.conftest import DemoRows, Invoke, WriteCsv

RULESET = "ttcp@2018"


@pytest.fixture(scope="module", name="cards")
def cards_fixture() -> Scorecards:
    ruleset = cchc_rules.load_ruleset(RULESET)
    return cchc_rules.evaluate(ruleset, cchc_rules.demo_units_path(ruleset))


def _book(data: bytes) -> Workbook:
    return load_workbook(io.BytesIO(data))


def _values(sheet: Any, row: int) -> list[Any]:
    return [cell.value for cell in sheet[row]]


def test_sheets_are_the_annex_one_per_area_and_the_provenance(cards: Scorecards) -> None:
    areas = cards.ruleset.model.areas
    vi = _book(annex_xlsx(cards, "vi")).sheetnames
    assert vi[0] == "Phụ lục" and vi[-1] == "Nguồn gốc" and len(vi) == len(areas) + 2
    assert [name.split()[0] for name in vi[1:-1]] == [area.id for area in areas]
    en = _book(annex_xlsx(cards, "en")).sheetnames
    assert en[0] == "Annex" and en[-1] == "Provenance"


def test_the_annex_sheet_heads_groups_and_numbers_units_by_rank(cards: Scorecards) -> None:
    sheet = _book(annex_xlsx(cards, "vi"))["Phụ lục"]
    model = cards.ruleset.model
    assert sheet["A1"].value.endswith(model.ruleset.title.vi)
    assert RULESET in sheet["A2"].value and "Kỳ đánh giá" in sheet["A2"].value
    header = _values(sheet, 3)
    areas = [f"{area.id}. {area.name.vi}" for area in model.areas]
    assert header == ["STT", "Đơn vị", *areas, "Tổng", "Chỉ số %", "Xếp loại", "Hạng"]
    assert all(cell.alignment.wrap_text for cell in sheet[3])
    groups = {
        f"{group.name.vi} / {group.name.en}": key
        for key, group in model.ranking.peer_groups.items()
    }
    table = cards.to_arrow(order=cards.ranked_order())
    seen: dict[str, list[tuple[int, str, int | None]]] = {}
    current = None
    for row in sheet.iter_rows(min_row=4, values_only=True):
        if row[0] in groups:
            current = row[0]
            assert all(value is None for value in row[1:]), "a group row holds only its name"
            seen[current] = []
        else:
            assert current is not None
            seen[current].append((row[0], row[1], row[-1]))
    for name, rows in seen.items():
        assert [stt for stt, _, _ in rows] == list(range(1, len(rows) + 1))
        ranks = [rank for _, _, rank in rows if rank != "—"]
        assert ranks == sorted(ranks)
        key = groups[name]
        expected = [
            unit
            for unit, group in zip(
                table.column("name").to_pylist(),
                table.column("peer_group").to_pylist(),
                strict=True,
            )
            if group == key
        ]
        assert [unit for _, unit, _ in rows] == expected
    assert sum(len(rows) for rows in seen.values()) == len(cards)


def test_the_annex_is_set_up_to_print_and_to_filter(cards: Scorecards) -> None:
    book = _book(annex_xlsx(cards, "vi"))
    for sheet in book.worksheets[:-1]:
        assert sheet.freeze_panes == "C4"
        assert sheet.auto_filter.ref is not None and sheet.auto_filter.ref.startswith("A3:")
        assert sheet.print_title_rows == "$1:$3"
        assert sheet.page_setup.orientation == "landscape"
        assert int(sheet.page_setup.paperSize) == 9  # A4
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert int(sheet.page_setup.fitToHeight) == 0  # one page wide, as many tall
        assert sheet.column_dimensions["B"].width > 30


def test_numbers_are_formatted_by_the_declared_precision(cards: Scorecards) -> None:
    sheet = _book(annex_xlsx(cards, "vi"))["Phụ lục"]
    points = "0." + "0" * cards.ruleset.model.ruleset.points_decimals
    index = "0." + "0" * cards.ruleset.arithmetic.index_decimals
    width = len(cards.ruleset.model.areas)
    unit_row = next(r for r in sheet.iter_rows(min_row=4) if isinstance(r[0].value, int))
    assert [c.number_format for c in unit_row[2 : 2 + width + 1]] == [points] * (width + 1)
    assert unit_row[2 + width + 1].number_format == index
    assert isinstance(unit_row[2 + width].value, float)  # the total is a number


def test_area_sheets_name_each_criterion_with_its_maximum(cards: Scorecards) -> None:
    book = _book(annex_xlsx(cards, "en"))
    area = cards.ruleset.model.areas[0]
    leaves = [leaf for leaf in cards.ruleset.leaves if leaf.area.id == area.id]
    sheet = book.worksheets[1]
    header = _values(sheet, 3)
    assert header[:2] == ["No.", "Unit"]
    for leaf, text in zip(leaves, header[2:], strict=False):
        assert text.startswith(f"{leaf.criterion.id}. {leaf.criterion.name.en}\n(max ")
    assert header[-1].startswith("Area total")
    units = [row[1] for row in sheet.iter_rows(min_row=4, values_only=True) if row[1]]
    assert sorted(units) == sorted(cards.to_arrow().column("name").to_pylist())


def test_english_labels_under_en(cards: Scorecards) -> None:
    sheet = _book(annex_xlsx(cards, "en"))["Annex"]
    header = _values(sheet, 3)
    assert header[:2] == ["No.", "Unit"] and header[-4:] == ["Total", "Index %", "Grade", "Rank"]
    assert f"{cards.ruleset.model.areas[0].id}. {cards.ruleset.model.areas[0].name.en}" in header


def test_provenance_names_ruleset_tool_plugins_and_the_input(
    cards: Scorecards, tmp_path: Path
) -> None:
    source = cchc_rules.demo_units_path(cards.ruleset)
    record = provenance_record(cards.ruleset, units=source, who="Tổ thẩm định")
    data = annex_xlsx(cards, "en", provenance=record)
    lines = list(_book(data)["Provenance"].iter_rows(min_row=4, values_only=True))
    rows = dict(lines)
    assert rows["Ruleset"] == RULESET
    assert rows["Content hash (SHA-256)"] == cards.ruleset.content_hash
    assert rows["cchc-rules version"] == cchc_rules.__version__
    assert rows["Input file (units)"] == source.name
    assert rows["File SHA-256"] == hashlib.sha256(source.read_bytes()).hexdigest()
    assert rows["By"] == "Tổ thẩm định"
    plugins = [value for key, value in lines if key == "Plugin"]
    assert plugins == [plugin.label for plugin in default_registry().plugins]
    # No time of writing: the same inputs give the same bytes.
    assert annex_xlsx(cards, "en", provenance=record) == data


def test_cli_writes_the_annex_and_keeps_hostile_names_as_text(
    cli: Invoke, tmp_path: Path, demo_rows: DemoRows, write_csv: WriteCsv
) -> None:
    header, rows = demo_rows()
    hostile = ['=HYPERLINK("http://x","y")', "+1", "-2", "@SUM(A1)"]
    for row, name in zip(rows, hostile, strict=False):
        row[header.index("name")] = name
    units = write_csv(tmp_path / "units.csv", header, rows)
    out = tmp_path / "annex.xlsx"
    result = cli("evaluate", RULESET, str(units), "-o", str(out), "--layout", "annex")
    assert result.exit_code == 0, result.output
    book = load_workbook(out)
    cells = [cell for sheet in book for row in sheet.iter_rows() for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    names = {cell.value for cell in book["Phụ lục"]["B"]}
    assert {"'" + name for name in hostile} <= names
    assert {row[header.index("name")] for row in rows[len(hostile) :]} <= names


def test_cli_refuses_the_annex_outside_a_workbook(cli: Invoke, tmp_path: Path) -> None:
    result = cli("evaluate", RULESET, "demo", "-o", str(tmp_path / "a.csv"), "--layout", "annex")
    assert result.exit_code == 2 and "workbook" in result.output
