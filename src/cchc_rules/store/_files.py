"""Import files (self-assessments, appraisals, surveys) read as rows of text.

CSV (UTF-8, with or without the BOM Excel writes), XLSX (the first sheet) or JSON (an
array of objects). Every cell is text, as a person typed it; the importers parse it.
Rows are numbered as a person counts them: a CSV or XLSX header is row 1, a JSON array's
first object is 1.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from cchc_rules._diagnostics import did_you_mean
from cchc_rules.errors import InputError, Problem
from cchc_rules.inputs._sheets import cell_text, read_xlsx_text

__all__ = ["ImportFile", "read_import"]


@dataclass(frozen=True)
class ImportFile:
    """An import file: its name in messages, its bytes as imported, its rows as text."""

    name: str
    content: bytes
    columns: tuple[str, ...]
    rows: tuple[tuple[int, dict[str, str]], ...]
    """(row number, column → text; "" for an empty cell)."""

    def problem(self, row: int | None, column: str, message: str) -> Problem:
        return Problem(self.name, row, column, message)

    def check_columns(self, required: Sequence[str], optional: Collection[str]) -> list[Problem]:
        """Problems with the header: a required column missing, a column nobody reads."""
        known = [*required, *optional]
        problems = [
            self.problem(1 if self._has_header else None, column, "expected this column (got none)")
            for column in required
            if column not in self.columns
        ]
        for column in self.columns:
            if column not in known:
                problems.append(
                    self.problem(
                        1 if self._has_header else None,
                        column,
                        f"unknown column{did_you_mean(column, known)} "
                        f"(expected {', '.join(known)})",
                    )
                )
        return problems

    @property
    def _has_header(self) -> bool:
        return not self.name.lower().endswith(".json")


def _text_rows(
    columns: Sequence[str], records: Sequence[dict[str, object]], first: int
) -> tuple[tuple[int, dict[str, str]], ...]:
    return tuple(
        (first + index, {c: (cell_text(record.get(c)) or "").strip() for c in columns})
        for index, record in enumerate(records)
    )


def read_import(path: Path, name: str | None = None) -> ImportFile:
    """Read ``path`` (``.csv``, ``.xlsx`` or ``.json``); ``name`` is how messages call it."""
    shown = name or str(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".json", ".xlsx"):
        raise InputError(
            [Problem(shown, None, "", f"expected a .csv, .xlsx or .json file (got {suffix!r})")]
        )
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise InputError([Problem(shown, None, "", f"cannot read: {exc.strerror or exc}")]) from exc
    try:
        return _parse(shown, suffix, content)
    except (ValueError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError([Problem(shown, None, "", f"cannot read: {exc}")]) from exc


def _parse(name: str, suffix: str, content: bytes) -> ImportFile:
    if suffix == ".csv":
        reader = csv.DictReader(io.StringIO(content.decode("utf-8-sig"), newline=""))
        columns = tuple(c.strip() for c in reader.fieldnames or ())
        rows = []
        for record in reader:
            cells = {c.strip(): (v or "").strip() for c, v in record.items() if c is not None}
            if any(cells.values()):
                rows.append((reader.line_num, cells))
        return ImportFile(name, content, columns, tuple(rows))
    if suffix == ".json":
        records = json.loads(content.decode("utf-8"), parse_float=Decimal)
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise ValueError("expected a JSON array of objects, one per row")
        columns = tuple(dict.fromkeys(k for r in records for k in r))
        return ImportFile(name, content, columns, _text_rows(columns, records, 1))
    with tempfile.TemporaryDirectory() as directory:
        copy = Path(directory) / "import.xlsx"
        copy.write_bytes(content)
        table = read_xlsx_text(copy)
    columns = tuple(table.column_names)
    return ImportFile(name, content, columns, _text_rows(columns, table.to_pylist(), 2))
