"""The data-entry workbook of a ruleset (``cchc template``), as bytes.

An instructions sheet first, then one entry sheet: a hidden key row of column names
(the reader, ``_office``, maps columns by it, never by guessing), a row of bilingual
labels, and a row per unit, pre-filled from a roster when one is given. Excel checks
each cell against the facts schema as it is typed (data validation). The same ruleset,
roster and language give the same bytes: no clock, no random name is written.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pyarrow as pa

from cchc_rules.inputs._office import KEY_MARK, column_label
from cchc_rules.ruleset._models import FactSpec, Ruleset

__all__ = ["ENTRY_SHEET", "INSTRUCTIONS_SHEET", "form_columns", "form_workbook"]

INSTRUCTIONS_SHEET = "Hướng dẫn - Instructions"
ENTRY_SHEET = "Đơn vị - Units"
_LISTS_SHEET = "Danh mục - Lists"
_FIRST_UNIT = 2
"""The entry sheet's first unit row (0-based): below the key row and the label row."""
_LAST_ROW = 1_048_575
"""Excel's last row (0-based): validation covers every row a unit may be typed in."""
_FIXED_TIME = dt.datetime(2000, 1, 1)
"""The workbook's creation time: fixed, for the same inputs to give the same bytes."""
_YES_NO = {"vi": ("có", "không"), "en": ("yes", "no")}
_INSTRUCTIONS = (
    (
        "Nhập mỗi đơn vị một dòng ở trang «Đơn vị - Units», từ dòng 3.",
        "Enter one unit per row on the sheet «Đơn vị - Units», from row 3.",
    ),
    (
        "Không sửa, xoá hay di chuyển dòng 1 (ẩn) và dòng 2: chương trình đọc cột theo dòng 1.",
        "Do not edit, delete or move row 1 (hidden) or row 2: the program reads columns by row 1.",
    ),
    (
        "Có/không: chọn «có» hoặc «không» trong danh sách.",
        "Yes/no: choose «có» (yes) or «không» (no) from the list.",
    ),
    (
        "Ngày: ngày/tháng/năm (dd/mm/yyyy).",
        "Dates: day/month/year (dd/mm/yyyy).",
    ),
    (
        "Số: không dùng dấu phân cách hàng nghìn; chữ số thập phân không quá mức ở bảng dưới.",
        "Numbers: no thousands separators; no more decimal digits than the table below allows.",
    ),
    (
        "Ô để trống là chưa có số liệu; chỉ tiêu bắt buộc phải được điền.",
        "A blank cell has no value; required facts must be filled in.",
    ),
    (
        "Điền xong, gửi lại tệp cho nơi tổng hợp theo hướng dẫn của đợt đánh giá.",
        "When done, return the file to whoever collects it, as the assessment directs.",
    ),
)
_FACT_TABLE = (
    ("Cột", "Column"),
    ("Mô tả", "Description"),
    ("Đơn vị đo", "Unit of measure"),
    ("Kiểu", "Type"),
    ("Tối thiểu", "Minimum"),
    ("Tối đa", "Maximum"),
    ("Bắt buộc", "Required"),
)
_TYPES = {
    "integer": ("số nguyên", "whole number"),
    "decimal": ("số thập phân", "decimal"),
    "boolean": ("có/không", "yes/no"),
    "date": ("ngày", "date"),
    "text": ("văn bản", "text"),
}


def _input_facts(ruleset: Ruleset) -> dict[str, FactSpec]:
    """The facts typed in: not computed by an expression, not derived from record sets."""
    return {
        name: spec
        for name, spec in ruleset.facts.items()
        if not spec.computed and spec.derived is None
    }


def form_columns(ruleset: Ruleset) -> list[str]:
    """The entry sheet's columns: the unit's, then each fact typed in.

    A peer group column only when a declared group is no unit type's own: otherwise
    every unit ranks in its type's group and the column would invite mistakes.
    """
    own = {unit_type.peer_group for unit_type in ruleset.unit_types.values()}
    peer = [] if set(ruleset.ranking.peer_groups) <= own else ["peer_group"]
    return [KEY_MARK, "name", "name_en", "unit_type", *peer, *_input_facts(ruleset)]


def _plain(number: Decimal) -> float | int:
    return int(number) if number == number.to_integral_value() else float(number)


def _validation(spec: FactSpec, lang: str) -> dict[str, object] | None:
    if spec.type in ("integer", "decimal"):
        kind = "integer" if spec.type == "integer" else "decimal"
        low = _plain(spec.min) if spec.min is not None else None
        high = _plain(spec.max) if spec.max is not None else None
        if low is not None and high is not None:
            bounds: dict[str, object] = {"criteria": "between", "minimum": low, "maximum": high}
        elif low is not None:
            bounds = {"criteria": ">=", "value": low}
        elif high is not None:
            bounds = {"criteria": "<=", "value": high}
        else:
            bounds = {"criteria": "between", "minimum": -(10**15), "maximum": 10**15}
        return {"validate": kind, **bounds}
    if spec.type == "boolean":
        return {"validate": "list", "source": list(_YES_NO[lang])}
    if spec.type == "date":
        return {"validate": "date", "criteria": ">=", "value": dt.date(1900, 1, 1)}
    return None


def form_workbook(ruleset: Ruleset, units: pa.Table | None = None, lang: str = "vi") -> bytes:
    """The workbook's bytes; ``units`` (unit columns as text) pre-fill the unit rows."""
    import xlsxwriter  # only the template needs it: keep it out of every other start-up

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False})
    book.set_properties({"created": _FIXED_TIME, "title": f"{ruleset.ref}"})
    bold = book.add_format({"bold": True, "text_wrap": True, "valign": "top"})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    text = book.add_format({"num_format": "@"})
    day = book.add_format({"num_format": "dd/mm/yyyy"})
    columns = form_columns(ruleset)
    facts = _input_facts(ruleset)

    guide = book.add_worksheet(INSTRUCTIONS_SHEET)
    guide.set_column(0, 1, 60, wrap)
    guide.set_column(2, 6, 14, wrap)
    title = ruleset.ruleset.title
    guide.write_row(0, 0, [title.vi, title.en], bold)
    guide.write_row(1, 0, [f"Mẫu nhập số liệu: {ruleset.ref}", f"Data-entry form: {ruleset.ref}"])
    for row, line in enumerate(_INSTRUCTIONS, start=3):
        guide.write_row(row, 0, line if lang == "vi" else line[::-1])
    top = 4 + len(_INSTRUCTIONS)
    guide.write_row(top, 0, [f"{vi}\n{en}" for vi, en in _FACT_TABLE], bold)
    for row, (name, spec) in enumerate(facts.items(), start=top + 1):
        kind = _TYPES[spec.type]
        guide.write_row(
            row,
            0,
            [
                name,
                f"{spec.description.vi}\n{spec.description.en}",
                spec.unit or "",
                f"{kind[0]} / {kind[1]}"
                + (f" ({spec.decimals})" if spec.decimals is not None else ""),
                "" if spec.min is None else str(spec.min),
                "" if spec.max is None else str(spec.max),
                "có / yes" if spec.required else "không / no",
            ],
        )

    lists = book.add_worksheet(_LISTS_SHEET)
    list_ranges: dict[str, str] = {}
    for index, (column, words) in enumerate(
        (("unit_type", list(ruleset.unit_types)), ("peer_group", list(ruleset.ranking.peer_groups)))
    ):
        lists.write_column(0, index, words, text)
        letter = chr(ord("A") + index)
        list_ranges[column] = f"='{_LISTS_SHEET}'!${letter}$1:${letter}${len(words)}"
    lists.hide()

    sheet = book.add_worksheet(ENTRY_SHEET)
    sheet.activate()
    sheet.write_row(0, 0, columns)
    sheet.set_row(0, None, None, {"hidden": True})
    sheet.write_row(1, 0, [column_label(c, ruleset.facts.get(c), lang) for c in columns], bold)
    sheet.set_row(1, 48)
    sheet.freeze_panes(_FIRST_UNIT, 2)
    for index, column in enumerate(columns):
        fact = facts.get(column)
        fmt = text if fact is None or fact.type == "text" else None
        if fact is not None and fact.type == "date":
            fmt = day
        sheet.set_column(index, index, 22 if index < 2 else 16, fmt)
        rule = list_ranges.get(column)
        if rule is not None:
            sheet.data_validation(
                _FIRST_UNIT, index, _LAST_ROW, index, {"validate": "list", "source": rule}
            )
        elif fact is not None and (checks := _validation(fact, lang)) is not None:
            sheet.data_validation(_FIRST_UNIT, index, _LAST_ROW, index, checks)
    if units is not None:
        for offset, record in enumerate(units.to_pylist()):
            for index, column in enumerate(columns):
                value = record.get(column)
                if value:
                    sheet.write_string(_FIRST_UNIT + offset, index, str(value))
    book.close()
    return buffer.getvalue()
