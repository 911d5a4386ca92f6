"""Units files as offices keep them: the form back, title rows, Vietnamese headers, STT,
totals, decimal commas, float noise, formula cells, CSV encodings and delimiters.

Each is read to the same scores as the clean file, or refused naming the real cause.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from functools import cache
from pathlib import Path
from typing import Any

import openpyxl
import pyarrow as pa
import pytest
import xlsxwriter
from hypothesis import given, settings
from hypothesis import strategies as st

from cchc_rules import api
from cchc_rules.errors import InputError
from cchc_rules.inputs._form import ENTRY_SHEET, INSTRUCTIONS_SHEET, form_columns
from cchc_rules.inputs._office import OfficeOptions, office_cells
from cchc_rules.inputs._units import read_units
from cchc_rules.ruleset._models import FactSpec, Text
from tests.inputs.test_fuzz_units import DEMO_CSV, demo, ruleset


@cache
def clean_scores() -> list[dict[str, Any]]:
    return scores(DEMO_CSV)


def scores(path: Path, options: OfficeOptions | None = None) -> list[dict[str, Any]]:
    units = read_units(path, ruleset().model, options=options)
    table: pa.Table = api.evaluate_units(ruleset(), units).to_arrow()
    rows: list[dict[str, Any]] = table.to_pylist()
    return rows


def office_value(fact: str, text: str) -> object:
    """A cell as an office types it: numbers as numbers, yes/no in Vietnamese."""
    spec = ruleset().model.facts.get(fact)
    if not text or spec is None or spec.type == "text":
        return text or None
    if spec.type == "boolean":
        return "có" if text == "true" else "không"
    number = float(text)
    return int(number) if number.is_integer() else number


def filled_form(path: Path, lang: str = "vi") -> openpyxl.Workbook:
    path.write_bytes(api.data_entry_form(ruleset(), lang=lang))
    return fill(openpyxl.load_workbook(path))


def fill(book: openpyxl.Workbook) -> openpyxl.Workbook:
    """The form's entry sheet filled with the demo units, as an office types them."""
    sheet = book[ENTRY_SHEET]
    keys = [cell.value for cell in sheet[1]]
    header, rows = demo()
    for number, row in enumerate(rows, start=3):
        record = dict(zip(header, row, strict=True))
        for column, key in enumerate(keys, start=1):
            sheet.cell(number, column, office_value(str(key), record.get(str(key), "")))
    return book


def office_sheet(sheet: Any, labels: str = "vi", nfd: bool = False) -> None:
    """The demo units as an office lays them out: two title rows, a blank row, an STT
    column, headers as the ruleset's labels, a blank row inside, and a totals row."""
    model = ruleset().model
    header, rows = demo()
    sheet.append(["BÁO CÁO KẾT QUẢ TỰ ĐÁNH GIÁ CHỈ SỐ CCHC NĂM 2018"])
    sheet.append(["(Kèm theo công văn số 123/TTCP)"])
    sheet.append([])
    named = {"unit_id": "Mã đơn vị", "name": "Tên đơn vị", "unit_type": "Loại đơn vị"}
    if labels == "en":
        named = {"unit_id": "Unit ID", "name": "unit name", "unit_type": "Unit  type"}
    titles = []
    for column in header:
        spec = model.facts.get(column)
        title = named.get(column, column) if spec is None else spec.description.get(labels)
        titles.append(unicodedata.normalize("NFD", title) if nfd else title)
    sheet.append(["STT", *titles])
    for index, row in enumerate(rows, start=1):
        record = dict(zip(header, row, strict=True))
        sheet.append([index, *(office_value(c, record[c]) for c in header)])
        if index == 3:
            sheet.append([])
    sheet.append([None, "", "Tổng cộng"])


def test_the_form_round_trip_scores_as_the_clean_file(tmp_path: Path) -> None:
    form = tmp_path / "form.xlsx"
    filled_form(form).save(form)
    units = read_units(form, ruleset().model)
    assert units.rows[0] == 3  # the office's row: under the hidden key row and the labels
    assert scores(form) == clean_scores()


def test_the_form_is_byte_reproducible_and_lists_every_input_fact() -> None:
    first = api.data_entry_form(ruleset())
    assert first == api.data_entry_form(ruleset())
    assert first != api.data_entry_form(ruleset(), lang="en")
    book = openpyxl.load_workbook(io.BytesIO(first))
    assert book.sheetnames[0] == INSTRUCTIONS_SHEET
    sheet = book[ENTRY_SHEET]
    assert sheet.row_dimensions[1].hidden
    assert [c.value for c in sheet[1]] == form_columns(ruleset().model)
    assert str(sheet["A2"].value).startswith("Mã đơn vị")
    kinds = {v.type for v in sheet.data_validations.dataValidation}
    assert {"whole", "decimal", "list"} <= kinds


def test_the_form_pre_fills_a_roster(tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text("Mã đơn vị;Tên đơn vị;Loại đơn vị\nX1;Văn phòng;hanh_chinh\n", "utf-8")
    book = openpyxl.load_workbook(io.BytesIO(api.data_entry_form(ruleset(), units=roster)))
    row = [c.value for c in book[ENTRY_SHEET][3]]
    assert row[:4] == ["X1", "Văn phòng", None, "hanh_chinh"]


def test_a_roster_row_without_an_id_is_refused_at_its_row(tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text("unit_id,name,unit_type\nX1,a,hanh_chinh\n,b,hanh_chinh\n", "utf-8")
    with pytest.raises(InputError, match=r"roster.csv:3: unit_id: expected a unit id"):
        api.data_entry_form(ruleset(), units=roster)


@pytest.mark.parametrize(("labels", "nfd"), [("vi", False), ("vi", True), ("en", False)])
def test_an_office_workbook_with_titles_labels_stt_and_totals(
    tmp_path: Path, labels: str, nfd: bool
) -> None:
    path = tmp_path / "units.xlsx"
    book = openpyxl.Workbook()
    book.active.title = "Hướng dẫn"
    book.active.append(["Điền số liệu vào trang sau"])
    office_sheet(book.create_sheet("Số liệu"), labels, nfd)
    book.save(path)
    units = read_units(path, ruleset().model)
    assert units.rows[:5].tolist() == [5, 6, 7, 9, 10]  # the blank row 8 is skipped
    notes = " | ".join(units.notes)
    assert "sheet 'Số liệu'" in notes
    assert "'STT'" in notes
    assert "1 blank row skipped (row 8)" in notes
    assert "1 totals row skipped" in notes
    assert scores(path) == clean_scores()


def test_a_row_of_sums_without_an_id_is_a_totals_row_only_at_the_end(tmp_path: Path) -> None:
    path = tmp_path / "units.csv"
    path.write_text(
        "unit_id,name,unit_type,plan_targets\nA,a,hanh_chinh,2\nB,b,hanh_chinh,3\n,,,5\n",
        "utf-8",
    )
    from cchc_rules.inputs._units import read_units_source

    office = read_units_source(path, "units.csv", ruleset().model)
    assert office.table.num_rows == 2
    assert any("totals row skipped (row 4)" in note for note in office.notes)


def test_sheet_option_and_a_missing_sheet(tmp_path: Path) -> None:
    path = tmp_path / "units.xlsx"
    book = openpyxl.Workbook()
    office_sheet(book.active)
    book.active.title = "Một"
    office_sheet(book.create_sheet("Hai"))
    book.save(path)
    assert scores(path, OfficeOptions(sheet="2")) == clean_scores()
    with pytest.raises(InputError, match=r"no sheet 'Ba' \(expected one of Một, Hai or 1 to 2\)"):
        read_units(path, ruleset().model, options=OfficeOptions(sheet="Ba"))


def test_decimal_commas_float_noise_formulas_and_equals_text(tmp_path: Path) -> None:
    path = tmp_path / "form.xlsx"
    book = filled_form(path)
    sheet = book[ENTRY_SHEET]
    keys = [c.value for c in sheet[1]]
    quiz = keys.index("par_quiz_score") + 1
    note = keys.index("innovation_note") + 1
    first = sheet.cell(3, quiz).value
    sheet.cell(3, quiz, str(first).replace(".", ","))  # typed as text, decimal comma
    sheet.cell(4, quiz, float(sheet.cell(4, quiz).value) + 1e-13)  # 93.50000000000011
    typed = sheet.cell(5, note, "=không phải công thức")
    typed.data_type = "s"  # text an office typed with a leading apostrophe: not a formula
    book.save(path)
    units = read_units(path, ruleset().model)
    assert any("float-noise cells rounded (row 4 par_quiz_score" in n for n in units.notes)
    assert units.facts["innovation_note"].value(2) == "=không phải công thức"
    result = scores(path)
    assert [r["total"] for r in result] == [r["total"] for r in clean_scores()]


def test_noise_beyond_the_precision_is_refused_at_its_row(tmp_path: Path) -> None:
    path = tmp_path / "form.xlsx"
    book = filled_form(path)
    sheet = book[ENTRY_SHEET]
    quiz = [c.value for c in sheet[1]].index("par_quiz_score") + 1
    sheet.cell(6, quiz, 91.25)
    book.save(path)
    with pytest.raises(
        InputError, match=r"form.xlsx:6: par_quiz_score: expected a number with at most 1 digits"
    ):
        read_units(path, ruleset().model)


def test_a_formula_cell_gives_its_cached_value(tmp_path: Path) -> None:
    path = tmp_path / "units.xlsx"
    header, rows = demo()
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, header)
    targets = header.index("plan_targets")
    for number, row in enumerate(rows, start=1):
        sheet.write_row(number, 0, row)
        value = int(row[targets])
        sheet.write_formula(number, targets, f"={value - 1}+1", None, value)
    book.close()
    assert scores(path) == clean_scores()


def test_a_number_grouped_with_points_in_a_decimal_comma_file_is_ambiguous(
    tmp_path: Path,
) -> None:
    header, rows = demo()
    lines = [";".join(header)]
    quiz = header.index("par_quiz_score")
    targets = header.index("plan_targets")
    for index, row in enumerate(rows):
        cells = [cell.replace(";", ",") for cell in row]
        cells[quiz] = cells[quiz].replace(".", ",")
        if index == 1:
            cells[targets] = "1.234"
        lines.append(";".join(cells))
    path = tmp_path / "units.csv"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    with pytest.raises(InputError, match=r"units.csv:3: plan_targets: ambiguous number '1.234'"):
        read_units(path, ruleset().model)


def csv_lines(delimiter: str) -> str:
    header, rows = demo()
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    quiz = header.index("par_quiz_score")
    for row in rows:
        cells = list(row)
        if delimiter != ",":
            cells[quiz] = cells[quiz].replace(".", ",")
        writer.writerow(cells)
    return out.getvalue()


@pytest.mark.parametrize(
    ("delimiter", "encoding", "bom"),
    [
        (";", "utf-8", b""),
        ("\t", "utf-16-le", b"\xff\xfe"),
        (";", "utf-16-be", b"\xfe\xff"),
        (",", "utf-8", b"\xef\xbb\xbf"),
    ],
)
def test_csv_as_excel_saves_it(tmp_path: Path, delimiter: str, encoding: str, bom: bytes) -> None:
    path = tmp_path / "units.csv"
    path.write_bytes(bom + csv_lines(delimiter).encode(encoding))
    assert scores(path) == clean_scores()


TONES = "\u0300\u0301\u0303\u0309\u0323"
"""Grave, acute, tilde, hook above, dot below: Windows-1258's combining tone marks."""


def cp1258_letter(letter: str) -> str:
    """A letter as Windows-1258 holds it: precomposed, or a base and its tone mark."""
    try:
        letter.encode("cp1258")
    except UnicodeEncodeError:
        parts = unicodedata.normalize("NFD", letter)
        tone = next(mark for mark in parts if mark in TONES)
        return unicodedata.normalize("NFC", parts.replace(tone, "")) + tone
    return letter


def test_windows_1258_is_assumed_with_a_note_and_read_in_nfc(tmp_path: Path) -> None:
    path = tmp_path / "units.csv"
    text = csv_lines(";")
    # Windows-1258 spells "ệ" as "ê" and a combining dot below: tones are combining marks.
    path.write_bytes("".join(cp1258_letter(c) for c in text).encode("cp1258"))
    units = read_units(path, ruleset().model)
    assert any("Windows-1258 (assumed; name another with --encoding)" in n for n in units.notes)
    assert units.name(0) == unicodedata.normalize("NFC", demo()[1][0][1])
    assert scores(path) == clean_scores()


def test_an_encoding_named_wrongly_is_a_located_refusal(tmp_path: Path) -> None:
    path = tmp_path / "units.csv"
    path.write_bytes(csv_lines(",").encode("utf-8"))
    with pytest.raises(InputError, match=r"units.csv: cannot read: unknown encoding 'klingon'"):
        read_units(path, ruleset().model, options=OfficeOptions(encoding="klingon"))


def test_an_explicit_map_names_columns_no_label_fits(tmp_path: Path) -> None:
    header, rows = demo()
    path = tmp_path / "units.csv"
    renamed = ["Mã ĐV" if c == "unit_id" else c for c in header]
    path.write_text(
        "\n".join(",".join(f'"{v}"' for v in r) for r in [renamed, *rows]) + "\n", "utf-8"
    )
    with pytest.raises(InputError):
        read_units(path, ruleset().model)
    mapped = OfficeOptions(columns={"mã đv": "unit_id"})
    assert scores(path, mapped) == clean_scores()


def test_day_first_dates_and_a_month_first_one() -> None:
    model = ruleset().model
    facts = dict(model.facts)
    facts["signed"] = FactSpec(type="date", description=Text(vi="Ngày ký", en="Signed"))
    dated = model.model_copy(update={"facts": facts})
    table = pa.table({"signed": ["20/12/2019", "2019-01-02", "3/4/2020", ""]})
    rows = pa.array([2, 3, 4, 5]).to_numpy()
    read, _ = office_cells(table, rows, dated, "u.csv")
    assert read.column("signed").to_pylist() == ["2019-12-20", "2019-01-02", "2020-04-03", ""]
    with pytest.raises(InputError, match=r"u.csv:3: signed: expected a date dd/mm/yyyy"):
        office_cells(pa.table({"signed": ["01/02/2020", "04/13/2020"]}), rows, dated, "u.csv")


@settings(settings.get_profile("fuzz"), max_examples=60)
@given(
    st.lists(
        st.lists(
            st.one_of(
                st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=8),
                st.sampled_from(["STT", "Tổng cộng", "Mã đơn vị", "unit_id", "95,5", "1.234"]),
                st.integers(-10, 10**6),
                st.floats(allow_nan=False, allow_infinity=False),
                st.none(),
            ),
            max_size=6,
        ),
        max_size=8,
    ),
    st.sampled_from(["xlsx", "csv"]),
)
def test_fuzz_office_files_end_in_a_result_or_a_located_error(
    tmp_path_factory: pytest.TempPathFactory, grid: list[list[object]], kind: str
) -> None:
    path = tmp_path_factory.mktemp("fuzz") / f"units.{kind}"
    if kind == "xlsx":
        book = openpyxl.Workbook()
        for row in grid:
            book.active.append(row)
        book.save(path)
    else:
        text = "\n".join(";".join("" if v is None else str(v) for v in row) for row in grid)
        path.write_bytes(text.encode("utf-8", "surrogatepass"))
    try:
        read_units(path, ruleset().model)
    except InputError as exc:
        assert exc.problems
        assert all(p.file == str(path) for p in exc.problems)


def test_a_csv_with_title_lines_keeps_the_rows_the_office_sees(tmp_path: Path) -> None:
    path = tmp_path / "units.csv"
    title = "BÁO CÁO SỐ LIỆU;;;\n;;;\n"
    path.write_bytes((title + csv_lines(";")).encode("utf-8"))
    units = read_units(path, ruleset().model)
    assert units.rows[0] == 4  # two title lines, the header on line 3
    assert scores(path) == clean_scores()
    lines = (title + csv_lines(";")).splitlines()
    lines[4] = lines[4].replace("hanh_chinh", "hanh-chinh", 1)
    path.write_text("\n".join(lines) + "\n", "utf-8")
    with pytest.raises(InputError, match=r"units.csv:5: unit_type: expected one of"):
        read_units(path, ruleset().model)
