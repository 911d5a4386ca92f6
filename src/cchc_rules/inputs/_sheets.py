"""Spreadsheets read as text: the first sheet of an XLSX workbook, every cell a string.

Units and record sets read XLSX the same way as CSV — as text the schema then parses —
so a cell typed 0.1 in Excel is checked as "0.1", never guessed from a binary float.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

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
    """The first sheet, the first row as header, every other cell as text.

    Raises :class:`ValueError` ("not a valid XLSX workbook (…)") for a file that is not
    one: truncated, corrupted, or another format under an ``.xlsx`` name.
    """
    import openpyxl  # only XLSX input needs it: keep it out of every other start-up

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            header, columns = _sheet_columns(workbook.worksheets[0])
        finally:
            workbook.close()
    except (FileNotFoundError, PermissionError, IsADirectoryError):
        raise  # the file itself cannot be opened: the caller says so as for any format
    except Exception as exc:
        # NOTE: every exception, not a list: openpyxl reads a damaged workbook through
        # zipfile, zlib and an XML parser, and each fails in its own way (BadZipFile,
        # zlib.error, KeyError for a missing part, ParseError, IndexError for a workbook
        # without sheets, …). Whatever it is, the file is not a workbook we can read.
        raise ValueError(f"not a valid XLSX workbook ({type(exc).__name__}: {exc})") from exc
    # Arrays by position, not a dict by name: two columns of one name stay two, for the
    # reader to report rather than one silently replacing the other.
    return pa.Table.from_arrays([pa.array(col, pa.string()) for col in columns], names=header)


def _sheet_columns(sheet: Any) -> tuple[list[str], list[list[str | None]]]:
    rows = sheet.iter_rows(values_only=True)
    header = [str(h) if h is not None else "" for h in next(rows, ())]
    columns: list[list[str | None]] = [[] for _ in header]
    for row in rows:
        if all(v is None for v in row):
            continue
        for index in range(len(header)):
            columns[index].append(cell_text(row[index] if index < len(row) else None))
    return header, columns
