"""Units files as offices keep them: Excel workbooks and CSV files saved by Excel.

The header row is found below title rows and matched by column name or by the
ruleset's Vietnamese or English labels; a form made by ``cchc template`` is read by its
hidden key row. An STT column, blank rows and a totals row are skipped with a note.
CSV encoding and delimiter are told from the bytes (:func:`sniff_csv`, reusable by a
streaming reader). Cells are then read as an office types them (:func:`office_cells`):
decimal commas, ``dd/mm/yyyy`` dates and float noise, each only where unambiguous.
Everything stays text for the column grammar; rows keep the numbers the office sees.
See docs/decisions/0027-office-files.md.
"""

from __future__ import annotations

import codecs
import csv
import io
import unicodedata
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from cchc_rules.errors import MAX_ROWS_PER_PROBLEM, InputError, Problem
from cchc_rules.inputs import _grammar as grammar
from cchc_rules.inputs._sheets import cell_text
from cchc_rules.ruleset._models import FactSpec, Ruleset

__all__ = [
    "KEY_MARK",
    "UNIT_LABELS",
    "CsvLayout",
    "OfficeOptions",
    "OfficeTable",
    "column_label",
    "header_key",
    "office_cells",
    "office_columns",
    "read_column_map",
    "read_office_csv",
    "read_office_xlsx",
    "sniff_csv",
]

KEY_MARK = "unit_id"
"""The first cell of a form's hidden key row (the row of column names)."""

UNIT_LABELS: Mapping[str, tuple[str, str]] = {
    "unit_id": ("Mã đơn vị", "Unit id"),
    "name": ("Tên đơn vị", "Unit name"),
    "name_en": ("Tên tiếng Anh", "English name"),
    "unit_type": ("Loại đơn vị", "Unit type"),
    "peer_group": ("Nhóm so sánh", "Peer group"),
}
"""The unit columns' labels (Vietnamese, English), as the form and offices head them."""

_LANGS = ("vi", "en")
_STT = frozenset({"stt", "tt", "số thứ tự", "no.", "no", "#"})
_TOTALS = frozenset({"tổng cộng", "cộng", "tổng", "tổng số", "total", "totals", "grand total"})
_HEADER_SEARCH = 30
"""Rows searched for the header below title rows."""
_SHOWN = 5
"""Rows a note names before it counts the rest."""
_NOISE = Decimal("1e-9")
"""Float noise: a number within this (relative) distance of one with the fact's digits."""
_NOISE_LENGTH = 15
"""Float noise prints with 15 to 17 significant digits: a column of shorter cells has
none, and is left after one cheap pass (the plain path stays fast)."""


def header_key(text: str) -> str:
    """A header as compared: NFC, case-folded, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


@dataclass(frozen=True)
class OfficeOptions:
    """How to read an office file when it cannot be told from the file itself."""

    sheet: str | None = None
    """A sheet's name or number (from 1); default: the first sheet with a header row."""
    encoding: str | None = None
    delimiter: str | None = None
    columns: Mapping[str, str] = field(default_factory=dict)
    """Header text → column name (``--map``), over the labels the ruleset declares."""


@dataclass(frozen=True)
class OfficeTable:
    """A units file as text columns named as the ruleset names them."""

    table: pa.Table
    rows: npt.NDArray[np.int64]
    """Each row's number as the office sees it in Excel or in the CSV file."""
    notes: tuple[str, ...]


@dataclass(frozen=True)
class CsvLayout:
    """What a CSV file is: its encoding, delimiter, lines above the header, and notes
    on what was assumed (:func:`sniff_csv` tells them; a streamed file is read by them)."""

    encoding: str = "utf-8"
    delimiter: str = ","
    title_lines: int = 0
    notes: tuple[str, ...] = ()

    @property
    def first_row(self) -> int:
        """The row of the first unit as messages name it: the header is row
        ``title_lines + 1``, as in a spreadsheet."""
        return self.title_lines + 2


def read_column_map(path: Path) -> dict[str, str]:
    """``--map``: header text → column name, from a TOML table or a two-column CSV."""
    import tomllib

    source = str(path)
    try:
        content = path.read_text(encoding="utf-8-sig")
        if path.suffix.lower() == ".toml":
            pairs: list[tuple[object, ...]] = list(tomllib.loads(content).items())
        else:
            pairs = [tuple(row) for row in csv.reader(io.StringIO(content)) if row]
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError([Problem(source, None, "", f"cannot read: {exc}")]) from exc
    problems = [
        Problem(source, index, "", "expected header text and a column name, both text")
        for index, pair in enumerate(pairs, start=1)
        if len(pair) != 2 or not all(isinstance(part, str) and part.strip() for part in pair)
    ]
    if problems:
        raise InputError(problems)
    return {str(pair[0]): str(pair[1]).strip() for pair in pairs}


def column_label(column: str, spec: FactSpec | None, lang: str) -> str:
    """A column's heading in the form: the label in ``lang`` with its unit of measure,
    the other language's label on a second line."""
    if spec is None:
        vi, en = UNIT_LABELS[column]
        unit = None
    else:
        vi, en, unit = spec.description.vi, spec.description.en, spec.unit
    first, second = (vi, en) if lang == "vi" else (en, vi)
    measure = f" ({unit})" if unit else ""
    return f"{first}{measure}\n{second}"


def _vocabulary(ruleset: Ruleset | None, options: OfficeOptions) -> dict[str, str]:
    """Header key → column name: column names, labels, then the explicit map over both."""
    names: dict[str, str] = {}
    for column, labels in UNIT_LABELS.items():
        for text in (column, *labels, *(column_label(column, None, lang) for lang in _LANGS)):
            names[header_key(text)] = column
    if ruleset is not None:
        for fact, spec in ruleset.facts.items():
            forms = (column_label(fact, spec, lang) for lang in _LANGS)
            for text in (fact, spec.description.vi, spec.description.en, *forms):
                names.setdefault(header_key(text), fact)
    for text, column in options.columns.items():
        names[header_key(text)] = column
    return names


def _rows_note(what: str, rows: Sequence[int]) -> str:
    shown = ", ".join(str(row) for row in rows[:_SHOWN])
    more = f" and {len(rows) - _SHOWN} more" if len(rows) > _SHOWN else ""
    plural = "s" if len(rows) > 1 else ""
    return f"{len(rows)} {what} row{plural} skipped (row{plural} {shown}{more})"


# -- the header -------------------------------------------------------------------------


def _header_at(rows: Sequence[Sequence[str]], names: Mapping[str, str]) -> int | None:
    """The first row (of the first few) with a unit id column, by name or label."""
    for index, row in enumerate(rows[:_HEADER_SEARCH]):
        if any(names.get(header_key(cell)) == "unit_id" for cell in row):
            return index
    return None


def _columns(header: Sequence[str], names: Mapping[str, str]) -> list[str]:
    """The header cells as column names (unmatched ones as typed, to be reported)."""
    return [names.get(header_key(cell), cell.strip()) for cell in header]


def _is_label_row(row: Sequence[str], columns: Sequence[str], names: Mapping[str, str]) -> bool:
    """Whether a row under a key row repeats its columns as labels (a form's second row)."""
    filled = [(cell, column) for cell, column in zip(row, columns, strict=False) if cell.strip()]
    return bool(filled) and all(names.get(header_key(cell)) == col for cell, col in filled)


# -- rows -----------------------------------------------------------------------------------


def _number(text: str) -> Decimal | None:
    try:
        value = Decimal(text.replace(",", "."))
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _is_sum_row(row: Sequence[str], above: Sequence[Sequence[str]], unit_at: int) -> bool:
    """Whether a row without a unit id holds, in every number cell, its column's sum."""
    sums = 0
    for index, cell in enumerate(row):
        if index == unit_at or not cell.strip():
            continue
        value = _number(cell.strip())
        if value is None:
            return False
        column = [_number(r[index].strip()) if index < len(r) else None for r in above]
        if value != sum((v for v in column if v is not None), Decimal(0)):
            return False
        sums += 1
    return sums > 0


def _office_rows(
    grid: Sequence[Sequence[str]], first_row: int, ruleset: Ruleset | None, options: OfficeOptions
) -> tuple[list[str], list[list[str]], list[int], list[str]] | None:
    """Header, data rows, their numbers and notes from a grid of text; ``None`` when the
    grid has no header row with a unit id column."""
    names = _vocabulary(ruleset, options)
    at = _header_at(grid, names)
    if at is None:
        return None
    notes: list[str] = []
    header = list(grid[at])
    columns = _columns(header, names)
    start = at + 1
    if start < len(grid) and _is_label_row(grid[start], columns, names):
        start += 1
    stt = [i for i, column in enumerate(columns) if header_key(column) in _STT]
    if stt:
        notes.append(_stt_note([header[i] for i in stt]))
    unit_at = columns.index("unit_id")
    blank: list[int] = []
    totals: list[int] = []
    body: list[list[str]] = []
    numbers: list[int] = []
    for offset, row in enumerate(grid[start:]):
        number = first_row + start + offset
        cells = [row[i] if i < len(row) else "" for i in range(len(columns))]
        if not any(cell.strip() for cell in cells):
            blank.append(number)
            continue
        if not cells[unit_at].strip() and any(header_key(c) in _TOTALS for c in cells):
            totals.append(number)
            continue
        body.append(cells)
        numbers.append(number)
    # A last row without a unit id whose numbers are the columns' sums is a totals row
    # nobody labelled; anywhere else such a row is a unit with its id forgotten.
    if body and not body[-1][unit_at].strip() and _is_sum_row(body[-1], body[:-1], unit_at):
        totals.append(numbers.pop())
        body.pop()
    if blank:
        notes.append(_rows_note("blank", blank))
    if totals:
        notes.append(_rows_note("totals", totals))
    # Columns with neither a heading nor a value: the sheet's used area reaching further.
    kept = [
        i
        for i, column in enumerate(columns)
        if i not in stt and (column.strip() or any(cells[i].strip() for cells in body))
    ]
    return (
        [columns[i] for i in kept],
        [[cells[i] for i in kept] for cells in body],
        numbers,
        notes,
    )


def _table(columns: Sequence[str], body: Sequence[Sequence[str]]) -> pa.Table:
    arrays = [pa.array([row[i] for row in body], pa.string()) for i in range(len(columns))]
    return pa.Table.from_arrays(arrays, names=list(columns))


# -- XLSX -------------------------------------------------------------------------------


def _sheet_grid(sheet: object) -> list[list[str]]:
    rows = sheet.to_python(skip_empty_area=False)  # type: ignore[attr-defined]
    return [[_cell(value) for value in row] for row in rows]


def _cell(value: object) -> str:
    if isinstance(value, float) and not value.is_integer():
        return repr(value)  # every digit the float has, for float noise to be seen
    return cell_text(None if value == "" else value) or ""


def read_office_xlsx(
    path: Path, source: str, ruleset: Ruleset | None, options: OfficeOptions
) -> OfficeTable:
    """A workbook's units sheet: ``--sheet``, else the first with a header row."""
    from python_calamine import CalamineWorkbook  # only XLSX input needs it

    found = None
    name = ""
    try:
        # Python's zip reader first: it names what is wrong with a file that is not a
        # workbook at all (truncated, another format) in the words zip users know.
        with zipfile.ZipFile(path):
            pass
        workbook = CalamineWorkbook.from_path(str(path))
        sheets = list(workbook.sheet_names)
        chosen = _chosen_sheets(sheets, options.sheet, source)
        # Sheet by sheet, up to the first with a header: a workbook's later sheets
        # (pivots, charts' data) are never read.
        for name in chosen:
            found = _office_rows(_sheet_grid(workbook.get_sheet_by_name(name)), 1, ruleset, options)
            if found is not None:
                break
    except (InputError, FileNotFoundError, PermissionError, IsADirectoryError):
        raise  # located already, or the file itself cannot be opened: said as for any format
    except Exception as exc:
        # NOTE: every exception: calamine reports a damaged workbook (zip, XML, a
        # missing part) in its own error types, and any of them means the same.
        message = f"cannot read: not a valid XLSX workbook ({type(exc).__name__}: {exc})"
        raise InputError([Problem(source, None, "", message)]) from exc
    if found is not None:
        columns, body, numbers, notes = found
        if name != sheets[0] and options.sheet is None:
            notes.insert(0, f"units read from sheet {name!r} (the sheets before it have none)")
        return OfficeTable(_table(columns, body), np.asarray(numbers, np.int64), tuple(notes))
    where = f"sheet {name!r}" if options.sheet is not None else "any sheet"
    message = (
        f"expected a header row with a unit id column (unit_id or 'Mã đơn vị') in the "
        f"first {_HEADER_SEARCH} rows of {where}"
    )
    raise InputError([Problem(source, None, "", message)])


def _chosen_sheets(sheets: list[str], sheet: str | None, source: str) -> list[str]:
    if sheet is None:
        return sheets
    if sheet in sheets:
        return [sheet]
    if sheet.isdigit() and 1 <= int(sheet) <= len(sheets):
        return [sheets[int(sheet) - 1]]
    message = f"no sheet {sheet!r} (expected one of {', '.join(sheets)} or 1 to {len(sheets)})"
    raise InputError([Problem(source, None, "", message)])


# -- CSV --------------------------------------------------------------------------------

_SNIFF_BYTES = 1 << 16
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_DELIMITERS = (",", ";", "\t")


def sniff_csv(path: Path, encoding: str | None = None, delimiter: str | None = None) -> CsvLayout:
    """How a CSV file is written, from its first bytes; ``encoding`` and ``delimiter``
    (``--encoding``, ``--delimiter``) are taken as given."""
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError as exc:
            raise ValueError(
                f"unknown encoding {encoding!r} (expected e.g. utf-8, utf-16, cp1258)"
            ) from exc
    with path.open("rb") as file:
        head = file.read(_SNIFF_BYTES)
    notes: list[str] = []
    if encoding is None:
        encoding = next((name for bom, name in _BOMS if head.startswith(bom)), None)
    if encoding is None:
        # UTF-8 when most of the head's non-ASCII text decodes as UTF-8: a few bad bytes
        # in a UTF-8 file are the validator's to locate by row, not another encoding.
        decoded = codecs.getincrementaldecoder("utf-8")(errors="replace").decode(head)
        bad = decoded.count("\ufffd")
        good = sum(1 for char in decoded if char > "\x7f") - bad
        encoding = "utf-8"
        if bad > good:
            encoding = "cp1258"
            notes.append("not UTF-8: read as Windows-1258 (assumed; name another with --encoding)")
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(head, final=False)
    lines = text.lstrip("\ufeff").splitlines()[:_HEADER_SEARCH]
    names = _vocabulary(None, OfficeOptions())
    candidates = (delimiter,) if delimiter else _DELIMITERS
    for mark in candidates:
        grid = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=mark))
        at = _header_at(grid, names)
        if at is not None:
            return CsvLayout(encoding, mark, at, tuple(notes))
    first = lines[0] if lines else ""
    counts = {mark: first.count(mark) for mark in candidates}
    mark = max(counts, key=lambda m: counts[m])
    if not counts[mark]:
        mark = candidates[0]
    if delimiter is None and sum(1 for c in counts.values() if c) > 1:
        notes.append(
            f"delimiter {mark!r} assumed (the header has several; name it with --delimiter)"
        )
    return CsvLayout(encoding, mark, 0, tuple(notes))


def read_office_csv(
    path: Path, source: str, ruleset: Ruleset | None, options: OfficeOptions
) -> OfficeTable:
    """A CSV file in any layout :func:`sniff_csv` tells, read by pyarrow as text."""
    layout = sniff_csv(path, options.encoding, options.delimiter)
    read = pacsv.ReadOptions(
        encoding=layout.encoding, skip_rows=layout.title_lines, autogenerate_column_names=True
    )
    parse = pacsv.ParseOptions(delimiter=layout.delimiter)
    try:
        raw = pacsv.read_csv(
            path,
            read_options=read,
            parse_options=parse,
            convert_options=pacsv.ConvertOptions(
                column_types={f"f{i}": pa.string() for i in range(4096)},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as exc:
        message = f"cannot read as {layout.encoding} separated by {layout.delimiter!r}: {exc}"
        raise InputError([Problem(source, None, "", message)]) from exc
    raw = raw.cast(pa.schema([(name, pa.string()) for name in raw.column_names]))
    if layout.encoding not in ("utf-8", "utf-16"):
        # Windows-1258 writes many Vietnamese letters as a base and a combining tone mark.
        raw = pa.Table.from_arrays(
            [pc.utf8_normalize(c, grammar.TEXT_FORM) for c in raw.columns], raw.column_names
        )
    header = [str(cell) for cell in raw.slice(0, 1).to_pylist()[0].values()] if raw.num_rows else []
    body = pa.Table.from_arrays(raw.slice(1).columns, header)
    office = office_columns(body, layout.title_lines + 2, ruleset, options)
    return OfficeTable(office.table, office.rows, (*layout.notes, *office.notes))


def office_columns(
    table: pa.Table, first_row: int, ruleset: Ruleset | None, options: OfficeOptions
) -> OfficeTable:
    """A text table read with its header as column names: the header matched to the
    ruleset's columns, an STT column, blank rows and a totals row skipped (with notes)."""
    names = _vocabulary(ruleset, options)
    columns = _columns(table.column_names, names)
    notes: list[str] = []
    keep = [i for i, column in enumerate(columns) if header_key(column) not in _STT]
    if len(keep) < len(columns):
        notes.append(
            _stt_note([table.column_names[i] for i in range(len(columns)) if i not in keep])
        )
    table = pa.Table.from_arrays([table.column(i) for i in keep], [columns[i] for i in keep])
    rows = np.arange(table.num_rows, dtype=np.int64) + first_row
    if table.num_rows and table.column_names.count("unit_id") == 1:
        table, rows, skipped = _drop_office_rows(table, rows)
        notes.extend(skipped)
    return OfficeTable(table, rows, tuple(notes))


def _stt_note(headers: Sequence[str]) -> str:
    return f"column {', '.join(repr(h) for h in headers)} (row numbers) skipped"


def _drop_office_rows(
    table: pa.Table, rows: npt.NDArray[np.int64]
) -> tuple[pa.Table, npt.NDArray[np.int64], list[str]]:
    """Blank rows and a totals row, vectorised: only rows without a unit id are looked at."""
    no_id = pc.equal(pc.utf8_trim_whitespace(table.column("unit_id")), "")
    if not pc.any(no_id).as_py():
        return table, rows, []
    candidates = np.flatnonzero(np.asarray(no_id.to_numpy(zero_copy_only=False), dtype=bool))
    grid = table.take(pa.array(candidates)).to_pylist()
    unit_at = table.column_names.index("unit_id")
    blank, totals = [], []
    for index, record in zip(candidates, grid, strict=True):
        cells = [str(v or "") for v in record.values()]
        if not any(cell.strip() for cell in cells):
            blank.append(int(index))
        elif any(header_key(cell) in _TOTALS for cell in cells):
            totals.append(int(index))
    last = table.num_rows - 1
    if last in candidates and last not in blank and last not in totals:
        above = [[str(v or "") for v in r.values()] for r in table.slice(0, last).to_pylist()]
        cells = [str(v or "") for v in table.slice(last).to_pylist()[0].values()]
        if _is_sum_row(cells, above, unit_at):
            totals.append(last)
    notes = []
    if blank:
        notes.append(_rows_note("blank", [int(rows[i]) for i in blank]))
    if totals:
        notes.append(_rows_note("totals", [int(rows[i]) for i in totals]))
    keep = np.setdiff1d(np.arange(table.num_rows), np.asarray(blank + totals, dtype=np.int64))
    return table.take(pa.array(keep)), rows[keep], notes


# -- cells as offices type them ------------------------------------------------------------

_COMMA_DECIMAL = r"^\s*[+-]?[0-9]+,[0-9]+\s*$"
_POINT_GROUPED = r"^\s*[+-]?[0-9]{1,3}(\.[0-9]{3})+\s*$"
_DAY_FIRST = r"^\s*[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}\s*$"
_DAY_FIRST_PARTS = r"^\s*(?P<d>[0-9]{1,2})/(?P<m>[0-9]{1,2})/(?P<y>[0-9]{4})\s*$"


def office_cells(
    table: pa.Table, rows: npt.NDArray[np.int64], ruleset: Ruleset, source: str
) -> tuple[pa.Table, list[str]]:
    """Number and date cells as the grammar reads them: ``95,5`` → ``95.5``,
    ``20/12/2019`` → ``2019-12-20``, ``91.0000000000001`` → ``91`` (noise, noted).

    Only columns with such cells are touched, each with one vectorised pass to find
    them. Raises :class:`InputError` for a cell that could mean two things.
    """
    specs = {n: s for n, s in ruleset.facts.items() if n in table.column_names}
    numeric = [n for n, s in specs.items() if s.type in ("integer", "decimal") and not s.computed]
    names = table.column_names
    # NOTE: only a column whose name is unique: two of one name are the validator's to report.
    text = [
        n
        for i, n in enumerate(names)
        if names.count(n) == 1 and pa.types.is_string(table.column(i).type)
    ]
    # A literal search first (fast): the regular expressions run only on a column that
    # has a comma, a slash or a long fraction at all, so a plain file pays little.
    commas = {
        n: pc.match_substring_regex(table.column(n), _COMMA_DECIMAL)
        for n in numeric
        if n in text and pc.any(pc.match_substring(table.column(n), ",")).as_py()
    }
    uses_commas = any(pc.any(m).as_py() for m in commas.values())
    problems: list[Problem] = []
    notes: list[str] = []
    noise: list[str] = []
    for name in text:
        if name not in specs:
            continue
        spec = specs[name]
        column = table.column(name)
        if spec.type in ("integer", "decimal") and not spec.computed:
            if uses_commas:
                grouped = pc.match_substring_regex(column, _POINT_GROUPED)
                for index in _where(grouped)[:MAX_ROWS_PER_PROBLEM]:
                    cell = column[int(index)].as_py()
                    problems.append(
                        Problem(
                            source,
                            int(rows[index]),
                            name,
                            f"ambiguous number {cell!r}: the file writes decimals with a comma, "
                            "so the point may group thousands; write it without grouping",
                        )
                    )
            if name in commas:
                column = pc.if_else(commas[name], pc.replace_substring(column, ",", "."), column)
            column = _denoised(column, spec.decimals or 0, rows, name, noise)
        elif spec.type == "date":
            column = _iso_dates(column, rows, name, source, problems)
        table = table.set_column(table.column_names.index(name), name, column)
    if problems:
        raise InputError(problems)
    if noise:
        more = f" and {len(noise) - _SHOWN} more" if len(noise) > _SHOWN else ""
        notes.append(f"{len(noise)} float-noise cells rounded ({'; '.join(noise[:_SHOWN])}{more})")
    return table, notes


def _where(mask: pa.ChunkedArray | pa.Array) -> npt.NDArray[np.intp]:
    return np.flatnonzero(np.asarray(mask.to_numpy(zero_copy_only=False), dtype=bool))


def _denoised(
    column: pa.ChunkedArray, decimals: int, rows: npt.NDArray[np.int64], name: str, noise: list[str]
) -> pa.ChunkedArray:
    """Cells with more digits than the fact's, within float noise of its digits, rounded."""
    longest = pc.max(pc.utf8_length(column)).as_py()
    if longest is None or longest < _NOISE_LENGTH:
        return column
    point = pc.find_substring(column, ".")
    fraction = pc.subtract(pc.subtract(pc.utf8_length(pc.utf8_rtrim_whitespace(column)), point), 1)
    if not pc.any(pc.and_(pc.greater_equal(point, 0), pc.greater(fraction, decimals))).as_py():
        return column
    longer = pc.match_substring_regex(column, rf"^\s*[+-]?[0-9]+\.[0-9]{{{decimals + 1},}}\s*$")
    found = _where(longer)
    if not len(found):
        return column
    cells = column.to_pylist()
    step = Decimal(1).scaleb(-decimals)
    for index in found:
        value = Decimal(str(cells[index]).strip())
        rounded = value.quantize(step)
        if abs(value - rounded) <= _NOISE * max(Decimal(1), abs(value)):
            cells[index] = str(rounded)
            noise.append(f"row {int(rows[index])} {name}: {value} → {rounded}")
    return pa.chunked_array([pa.array(cells, pa.string())])


def _iso_dates(
    column: pa.ChunkedArray,
    rows: npt.NDArray[np.int64],
    name: str,
    source: str,
    problems: list[Problem],
) -> pa.ChunkedArray:
    """``dd/mm/yyyy`` cells as ISO dates; a cell only month-first could read is refused."""
    if not pc.any(pc.match_substring(column, "/")).as_py():
        return column
    written = pc.match_substring_regex(column, _DAY_FIRST)
    if not pc.any(written).as_py():
        return column
    parts = pc.extract_regex(pc.if_else(written, column, "01/01/0001"), _DAY_FIRST_PARTS)
    day, month, year = (pc.struct_field(parts, key) for key in ("d", "m", "y"))
    month_first = pc.and_(written, pc.greater(pc.cast(month, pa.int32()), 12))
    for index in _where(month_first)[:MAX_ROWS_PER_PROBLEM]:
        problems.append(
            Problem(
                source,
                int(rows[index]),
                name,
                f"expected a date dd/mm/yyyy, day first (got {column[int(index)].as_py()!r}: "
                "no month 13 or later; a month-first date?)",
            )
        )
    iso = pc.binary_join_element_wise(
        year, pc.utf8_lpad(month, 2, "0"), pc.utf8_lpad(day, 2, "0"), "-"
    )
    return pc.if_else(written, iso, column)
