"""Spreadsheets read as text: the first sheet of an XLSX workbook, every cell a string.

Units and record sets read XLSX the same way as CSV — as text the schema then parses —
so a cell typed 0.1 in Excel is checked as "0.1", never guessed from a binary float.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa

__all__ = ["cell_text", "read_xlsx_text"]


def cell_text(value: object) -> str | None:
    """A spreadsheet (or JSON) cell as the text a person typed; ``None`` when empty."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        if value.time() != dt.time(0):
            return value.isoformat()
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_xlsx_text(path: Path) -> pa.Table:
    """The first sheet, the first row as header, every other cell as text."""
    import openpyxl  # only XLSX input needs it: keep it out of every other start-up

    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        header = [str(h) if h is not None else "" for h in next(rows, ())]
        columns: list[list[str | None]] = [[] for _ in header]
        for row in rows:
            if all(v is None for v in row):
                continue
            for index in range(len(header)):
                columns[index].append(cell_text(row[index] if index < len(row) else None))
    finally:
        workbook.close()
    return pa.table(
        {name: pa.array(col, pa.string()) for name, col in zip(header, columns, strict=True)}
    )
