"""Import files (self-assessments, appraisals, surveys) read as rows of text.

CSV, XLSX (the first sheet) or JSON (an array of objects). Every cell is text, as a
person typed it; the importers parse it (numbers with :func:`cell_decimal`, dates
with :func:`cell_date`). Rows are
numbered as a person counts them: a CSV or XLSX header is row 1, a JSON array's first
object is 1.

CSV as offices save it, told as the units reader tells it: UTF-8 with or without the
BOM Excel writes, or UTF-16 with its BOM ("Unicode text"); separated by commas, or by
semicolons or tabs (Excel in a locale whose decimal mark is a comma); title lines above
the header skipped. Text in another encoding (Windows-1258, TCVN3) is refused with a
message that says so rather than guessed.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import tempfile
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from cchc_rules._diagnostics import did_you_mean
from cchc_rules.errors import InputError, Problem
from cchc_rules.inputs._office import CsvLayout, sniff_csv
from cchc_rules.inputs._sheets import cell_text, read_xlsx_text

__all__ = ["ImportFile", "cell_date", "cell_decimal", "read_import"]


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
        return _parse(path, shown, suffix, content)
    except (ValueError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError([Problem(shown, None, "", f"cannot read: {exc}")]) from exc
    except RecursionError as exc:
        message = "cannot read: nested too deeply (expected an array of objects, one per row)"
        raise InputError([Problem(shown, None, "", message)]) from exc


_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+")
_THOUSANDS = re.compile(r"[+-]?\d{1,3},\d{3}")


def cell_decimal(text: str) -> Decimal | None:
    """A number as an office types it: ``0.5``, or ``0,5`` with a decimal comma where the
    comma cannot be a thousands separator (``1,234`` stays unread); ``None`` when the
    text is not a finite number."""
    if _DECIMAL_COMMA.fullmatch(text) and not _THOUSANDS.fullmatch(text):
        text = text.replace(",", ".")
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


def cell_date(text: str) -> dt.date | None:
    """A date as an office types it: ``2019-12-20`` or, as Vietnamese documents date
    themselves, ``20/12/2019`` (day first; never month first); ``None`` otherwise."""
    written = _DAY_MONTH_YEAR.fullmatch(text)
    try:
        if written:
            day, month, year = (int(part) for part in written.groups())
            return dt.date(year, month, day)
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _csv_text(path: Path, content: bytes) -> tuple[str, CsvLayout]:
    """The file's text from its header line on, and its layout as the units reader
    tells it (``inputs._office.sniff_csv``): by its byte order mark, else UTF-8.

    NOTE: where the units reader assumes Windows-1258 (with a note), an import is
    refused instead: an import file is a few hundred rows typed for this campaign, and
    a wrong guess would store garbled evidence titles for good.
    """
    layout = sniff_csv(path)
    if layout.encoding != "utf-8" and not layout.encoding.startswith("utf-16"):
        raise ValueError(
            "not UTF-8 text: the file is in another encoding, perhaps Windows-1258; save "
            'it as "CSV UTF-8" (Excel: File → Save As) and import it again'
        )
    encoding = "utf-8-sig" if layout.encoding == "utf-8" else layout.encoding
    try:
        text = content.decode(encoding)
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"not UTF-8 text (byte 0x{content[exc.start]:02x} at position {exc.start}): save "
            'it as "CSV UTF-8" (Excel: File → Save As) and import it again'
        ) from exc
    lines = text.splitlines(keepends=True)
    return "".join(lines[layout.title_lines :]), layout


def _parse(path: Path, name: str, suffix: str, content: bytes) -> ImportFile:
    if suffix == ".csv":
        text, layout = _csv_text(path, content)
        reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=layout.delimiter)
        columns = tuple(c.strip() for c in reader.fieldnames or ())
        rows = []
        for record in reader:
            cells = {c.strip(): (v or "").strip() for c, v in record.items() if c is not None}
            if any(cells.values()):
                rows.append((layout.title_lines + reader.line_num, cells))
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
