"""XLSX: a report table as one sheet, its preamble above a bold header row."""

from __future__ import annotations

import io

import pyarrow as pa

from cchc_rules.reports._table import ReportTable

__all__ = ["table_xlsx"]


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
        sheet.append(line)
    sheet.append(rows.column_names)
    header_row = len(table.preamble) + 1
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
    decimal_columns = {i for i, field in enumerate(rows.schema) if pa.types.is_decimal(field.type)}
    for row in rows.to_pylist():
        # Spreadsheet cells are binary floats; the exact values are in CSV/JSON.
        sheet.append(
            [
                float(v) if i in decimal_columns and v is not None else v
                for i, v in enumerate(row.values())
            ]
        )
    if table.fixed_decimals:
        for index in decimal_columns:
            digits = rows.schema.field(index).type.scale
            number_format = f"0.{'0' * digits}" if digits else "0"
            for cell in sheet[get_column_letter(index + 1)][header_row:]:
                cell.number_format = number_format
    sheet.freeze_panes = f"C{header_row + 1}"
    sink = io.BytesIO()
    workbook.save(sink)
    return sink.getvalue()
