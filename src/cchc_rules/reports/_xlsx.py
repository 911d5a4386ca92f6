"""XLSX: a report table as one sheet, its preamble above a bold header row; a
provenance sheet after it when the table has a record."""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from typing import Any

import pyarrow as pa

from cchc_rules.reports._cells import safe_text
from cchc_rules.reports._labels import both
from cchc_rules.reports._provenance import provenance_rows
from cchc_rules.reports._table import ReportTable

__all__ = ["table_xlsx"]

_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
"""Control characters an XML 1.0 document cannot contain (tab, line feed and carriage
return it can)."""


def table_xlsx(table: ReportTable) -> bytes:
    """One sheet; the first two columns (rank or id, unit) and the header stay in view."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    rows = table.rows
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = table.sheet
    for line in table.preamble:
        sheet.append([_sheet_text(text) for text in line])
    sheet.append([_sheet_text(name) for name in rows.column_names])
    header_row = len(table.preamble) + 1
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
    decimal_columns = {i for i, field in enumerate(rows.schema) if pa.types.is_decimal(field.type)}
    for row in rows.to_pylist():
        # Spreadsheet cells are binary floats; the exact values are in CSV/JSON.
        sheet.append([_cell(v, i in decimal_columns) for i, v in enumerate(row.values())])
    if table.fixed_decimals:
        for index in decimal_columns:
            digits = rows.schema.field(index).type.scale
            number_format = f"0.{'0' * digits}" if digits else "0"
            for cell in sheet[get_column_letter(index + 1)][header_row:]:
                cell.number_format = number_format
    sheet.freeze_panes = f"C{header_row + 1}"
    if table.provenance is not None:
        _provenance_sheet(workbook, table.provenance, table.lang)
    sink = io.BytesIO()
    workbook.save(sink)
    return sink.getvalue()


def _provenance_sheet(workbook: Any, record: Mapping[str, Any], lang: str) -> None:
    from openpyxl.styles import Font

    # Sheet names cannot hold "/": the sheet takes one language, its title both.
    sheet = workbook.create_sheet("Nguồn gốc" if lang == "vi" else "Provenance")
    sheet.append([both("Nguồn gốc", "Provenance", lang)])
    sheet["A1"].font = Font(bold=True)
    for key, value in provenance_rows(record, lang):
        sheet.append([_sheet_text(key), _sheet_text(value)])
    sheet.column_dimensions["A"].width = 32
    sheet.column_dimensions["B"].width = 80


def _sheet_text(value: str) -> str:
    """``value`` as a worksheet cell holds it: quoted if it would read as a formula, and
    each control character XML cannot carry written as Excel's own ``_xHHHH_`` escape
    (which Excel reads back as that character), instead of openpyxl refusing the cell."""
    return _XML_ILLEGAL.sub(lambda found: f"_x{ord(found.group()):04X}_", safe_text(value))


def _cell(value: Any, decimal: bool) -> Any:
    # NOTE: openpyxl stores text as a formula only when it starts with "=", which
    # safe_text never leaves, so every text cell is written with data type "s".
    if decimal and value is not None:
        return float(value)
    return _sheet_text(value) if isinstance(value, str) else value
