"""Reading units and their facts, and checking them against a ruleset's facts schema.

Sources: CSV, Parquet, XLSX, JSON (a list of records) or an in-memory Arrow-compatible
table (pyarrow, polars, pandas). Text sources (CSV, XLSX, JSON) are read as text and
parsed by the schema; typed sources (Parquet, tables) are checked type by type. Every
problem is reported at once with file, row and column; nothing is coerced silently.
What a valid cell of each fact type is, and how a bad one is worded, is the column
grammar's (``_grammar``, shared with record sets); this module applies it with pyarrow.
"""

from __future__ import annotations

import functools
import json
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from cchc_rules._diagnostics import clipped, did_you_mean
from cchc_rules.errors import MAX_ROWS_PER_PROBLEM, InputError, Problem
from cchc_rules.inputs import _grammar as grammar
from cchc_rules.inputs._office import (
    OfficeOptions,
    OfficeTable,
    office_cells,
    office_columns,
    read_office_csv,
    read_office_xlsx,
    sniff_csv,
)
from cchc_rules.inputs._sheets import cell_text
from cchc_rules.kinds import Batch, FactColumn, FactValue
from cchc_rules.ruleset._models import FactSpec, Ruleset

__all__ = [
    "UNIT_COLUMNS",
    "UnitTable",
    "read_units",
    "read_units_file",
    "read_units_source",
    "to_arrow",
]

UNIT_COLUMNS = ("unit_id", "name", "unit_type")
OPTIONAL_UNIT_COLUMNS = ("name_en", "peer_group")

RowLabel = Callable[[int], int]


@dataclass(frozen=True)
class UnitTable:
    """Units with validated, exact fact columns, in input order."""

    unit_ids: pa.StringArray
    """Ids stay Arrow strings: a million Python strings would cost more than scoring."""
    names: pa.StringArray
    """Names stay Arrow strings: only explanations and the terminal table read them."""
    names_en: pa.StringArray
    unit_types: npt.NDArray[np.object_]
    peer_groups: npt.NDArray[np.object_]
    facts: dict[str, FactColumn]
    source: str
    rows: npt.NDArray[np.int64]
    """Each unit's row in its source, as a person counts it (for located errors)."""
    notes: tuple[str, ...] = ()
    """What reading the source skipped or rounded (office files: docs/decisions/0027)."""

    def __len__(self) -> int:
        return len(self.unit_ids)

    def unit_id(self, position: int) -> str:
        return str(self.unit_ids[position].as_py())

    def batch(self) -> Batch:
        return Batch(self.unit_types, self.facts)

    def name(self, position: int, lang: str = "vi") -> str:
        """The unit's name; in English when asked and given (``name_en``)."""
        if lang == "en":
            english = self.names_en[position].as_py()
            if english:
                return str(english)
        return str(self.names[position].as_py())

    def take(self, index: npt.NDArray[np.intp]) -> UnitTable:
        positions = pa.array(index, pa.int64())
        return UnitTable(
            self.unit_ids.take(positions),
            self.names.take(positions),
            self.names_en.take(positions),
            self.unit_types[index],
            self.peer_groups[index],
            {name: column.take(index) for name, column in self.facts.items()},
            self.source,
            self.rows[index],
            self.notes,
        )

    def position(self, unit_id: str) -> int:
        unit_id = unicodedata.normalize(grammar.TEXT_FORM, unit_id)
        found = pc.index(self.unit_ids, unit_id).as_py()
        if found < 0:
            close = did_you_mean(unit_id, self.unit_ids.to_pylist())
            raise InputError([Problem(self.source, None, "unit_id", f"no unit {unit_id!r}{close}")])
        return int(found)


# -- reading sources into Arrow tables -----------------------------------------------------


class _UnreadableError(Exception):
    """A source file whose content is not a table of units: its problems, each
    ``(row or None, column, message)``, for :func:`read_units_file` to name the file."""

    def __init__(self, problems: list[tuple[int | None, str, str]]) -> None:
        super().__init__("; ".join(message for _, _, message in problems))
        self.problems = problems


_CSV_BLOCK = 1 << 20
"""Bytes pyarrow parses at once (its default); a row must fit in one block."""
_CSV_LARGEST_BLOCK = (1 << 31) - 1
"""pyarrow's block size is a 32-bit integer."""
_ROW_OVER_A_BLOCK = ("straddl", "cannot infer number of columns")
"""pyarrow's words for a row longer than a block: a data row straddles two blocks; a
header row longer than the first block leaves it "empty"."""


def _read_csv(path: Path) -> pa.Table:
    block = _CSV_BLOCK
    size = path.stat().st_size
    while True:
        try:
            return _read_csv_text(path, block)
        except pa.ArrowInvalid as exc:
            # NOTE: matched on pyarrow's words: a row longer than a block has no error
            # type of its own. Such rows are rare, so only a file that has one pays for
            # larger blocks (parsed with less parallelism).
            overlong = any(words in str(exc) for words in _ROW_OVER_A_BLOCK)
            if overlong and block < min(size, _CSV_LARGEST_BLOCK):
                block = min(block * 16, _CSV_LARGEST_BLOCK)
                continue
            located = _csv_problems(path, block)
            if located:
                raise _UnreadableError(located) from exc
            raise


def _read_csv_text(path: Path, block: int) -> pa.Table:
    """The CSV file with every column as text (the header comes from the first block)."""
    read = pacsv.ReadOptions(block_size=block)
    with pacsv.open_csv(path, read_options=read) as reader:
        header = reader.schema.names
    return pacsv.read_csv(
        path,
        read_options=read,
        convert_options=pacsv.ConvertOptions(
            column_types={name: pa.string() for name in header},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )


def _csv_problems(path: Path, block: int) -> list[tuple[int | None, str, str]]:
    """Where a CSV file pyarrow refused goes wrong, by row: rows with another number of
    fields than the header; else cells that are not UTF-8. Empty when nothing is found.

    Only after a failed read, on one thread (so pyarrow numbers the rows it refuses).
    """
    problems: list[tuple[int | None, str, str]] = []

    def refuse(row: pacsv.InvalidRow) -> str:
        if len(problems) < MAX_ROWS_PER_PROBLEM:
            hint = (
                "; a comma in an unquoted cell?"
                if row.actual_columns > row.expected_columns
                else ""
            )
            message = (
                f"expected {row.expected_columns} fields as in the header "
                f"(got {row.actual_columns}{hint})"
            )
            problems.append((row.number, "", message))
        return "skip"

    try:
        # NOTE: read as Latin-1, where every byte is a character: pyarrow hands a refused
        # row to the handler as text, and fails on one that is not UTF-8. Delimiters,
        # quotes and line ends are the same bytes in both.
        latin = pacsv.ReadOptions(block_size=block, use_threads=False, encoding="latin-1")
        pacsv.read_csv(
            path,
            read_options=latin,
            parse_options=pacsv.ParseOptions(invalid_row_handler=refuse),
            convert_options=_as_bytes(path, latin),
        )
        if problems:
            return problems
        read = pacsv.ReadOptions(block_size=block)
        table = pacsv.read_csv(path, read_options=read, convert_options=_as_bytes(path, read))
    except (pa.ArrowInvalid, OSError):
        return problems
    for name, column in zip(table.column_names, table.columns, strict=True):
        if _is_utf8(column):
            continue
        cells = column.to_pylist()
        bad = [(index, _bad_byte(cell)) for index, cell in enumerate(cells)]
        bad = [(index, byte) for index, byte in bad if byte is not None]
        for index, byte in bad[:MAX_ROWS_PER_PROBLEM]:
            # Records are rows as a person counts them: the header is row 1.
            message = f"expected UTF-8 text (got the byte 0x{byte}; save the file as CSV UTF-8)"
            problems.append((index + 2, name, message))
        if len(bad) > MAX_ROWS_PER_PROBLEM:
            more = grammar.more_rows("expected UTF-8 text", len(bad) - MAX_ROWS_PER_PROBLEM)
            problems.append((bad[MAX_ROWS_PER_PROBLEM][0] + 2, name, more))
    return problems


def _as_bytes(path: Path, read: pacsv.ReadOptions) -> pacsv.ConvertOptions:
    """Every column of the CSV file as bytes: no conversion, nor UTF-8 check, can fail."""
    skip = pacsv.ParseOptions(invalid_row_handler=lambda row: "skip")
    with pacsv.open_csv(path, read_options=read, parse_options=skip) as reader:
        header = reader.schema.names
    return pacsv.ConvertOptions(
        column_types={name: pa.binary() for name in header}, check_utf8=False
    )


def _is_utf8(column: pa.ChunkedArray) -> bool:
    try:
        column.cast(pa.string())
    except pa.ArrowInvalid:
        return False
    return True


def _bad_byte(cell: bytes | None) -> str | None:
    """The first byte of ``cell`` that is not UTF-8, in hex (``None``: it is UTF-8)."""
    try:
        (cell or b"").decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.object[exc.start : exc.start + 1].hex()
    return None


_NESTED: dict[type, str] = {list: "a list", dict: "an object"}


def _read_json(path: Path) -> pa.Table:
    try:
        # Integers are kept as typed: a 5,000-digit number is a bad cell to report, not
        # a conversion for Python to refuse.
        records = json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal, parse_int=str)
    except RecursionError as exc:
        message = "cannot read: nested too deeply (expected an array of objects, one per unit)"
        raise _UnreadableError([(None, "", message)]) from exc
    if not isinstance(records, list):
        raise _UnreadableError([(None, "", "expected a JSON array of objects, one per unit")])
    problems: list[tuple[int | None, str, str]] = []
    names: list[str] = []
    for row, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            got = _NESTED.get(type(record), "a single value")
            problems.append((row, "", f"expected an object, one per unit (got {got})"))
            continue
        names.extend(k for k in record if k not in names)
        problems.extend(
            (row, key, f"expected a number, text, boolean or null (got {_NESTED[type(value)]})")
            for key, value in record.items()
            if type(value) in _NESTED
        )
    if problems:
        raise _UnreadableError(problems)
    return pa.table(
        {name: pa.array([cell_text(r.get(name)) for r in records], pa.string()) for name in names}
    )


def to_arrow(data: object) -> pa.Table:
    if isinstance(data, pa.Table):
        return data
    if hasattr(data, "__arrow_c_stream__"):
        return pa.table(data)
    if type(data).__module__.startswith("pandas"):
        return pa.Table.from_pandas(data, preserve_index=False)
    raise TypeError(f"expected a path or an Arrow-compatible table (got {type(data).__name__})")


# -- converting columns ---------------------------------------------------------------------


class _Collector:
    def __init__(self, source: str, row_of: RowLabel) -> None:
        self.source = source
        self.row_of = row_of
        self.problems: list[Problem] = []

    def rows(
        self, column: str, mask: npt.NDArray[np.bool_], message: str, values: Any = None
    ) -> None:
        """One problem per bad row (up to a limit, then a count of the rest)."""
        bad = np.flatnonzero(mask)
        for index in bad[:MAX_ROWS_PER_PROBLEM]:
            got = "" if values is None else grammar.got(_cell(values, int(index)))
            self.problems.append(
                Problem(self.source, self.row_of(int(index)), column, f"{message}{got}")
            )
        if len(bad) > MAX_ROWS_PER_PROBLEM:
            self.problems.append(
                Problem(
                    self.source,
                    self.row_of(int(bad[MAX_ROWS_PER_PROBLEM])),
                    column,
                    grammar.more_rows(message, len(bad) - MAX_ROWS_PER_PROBLEM),
                )
            )


class _ArrowText(FactColumn):
    """A text fact kept as Arrow strings; its numpy ``values`` are made on first read.

    Most criteria only ask whether a note is there (``blank``), which Arrow answers
    without a Python string per unit.
    """

    def __init__(self, strings: pa.StringArray, missing: npt.NDArray[np.bool_]) -> None:
        # The frozen dataclass's own __init__ would set ``values`` eagerly.
        object.__setattr__(self, "type", "text")
        object.__setattr__(self, "missing", missing)
        object.__setattr__(self, "scale", 1)
        object.__setattr__(self, "strings", strings)

    strings: pa.StringArray

    @functools.cached_property
    def values(self) -> npt.NDArray[Any]:
        return _objects(_nfc(self.strings))

    def take(self, index: npt.NDArray[np.intp]) -> FactColumn:
        return _ArrowText(self.strings.take(pa.array(index, pa.int64())), self.missing[index])

    def window(self, start: int, stop: int) -> FactColumn:
        return _ArrowText(self.strings.slice(start, stop - start), self.missing[start:stop])

    def blank(self) -> npt.NDArray[np.bool_]:
        only_space = _bools(pc.equal(pc.utf8_trim_whitespace(self.strings), ""))
        return self.missing | only_space

    def value(self, row: int) -> FactValue:
        if self.missing[row]:
            return None
        return unicodedata.normalize(grammar.TEXT_FORM, str(self.strings[row].as_py()))


def _nfc(strings: pa.Array) -> pa.Array:
    """Text in the one Unicode form keys are compared in (``grammar.TEXT_FORM``).

    Arrow passes ASCII through untouched, so ids such as ``TTCP-VPC`` cost nothing; names
    are not normalised (they are shown, never compared, and both forms look alike), nor
    text facts until a kind or a condition reads their values.
    """
    normalised: pa.Array = pc.utf8_normalize(strings, grammar.TEXT_FORM)
    return normalised


def _bools(array: pa.Array) -> npt.NDArray[np.bool_]:
    """A boolean Arrow array without nulls as numpy (unpacked from Arrow's bits in C)."""
    return np.asarray(array.to_numpy(zero_copy_only=False), dtype=bool)


def _objects(array: pa.Array) -> npt.NDArray[np.object_]:
    """Arrow strings as a numpy array of ``str`` (``None`` where null)."""
    return np.asarray(array.to_numpy(zero_copy_only=False), dtype=object)


def _repeated(values: pa.StringArray) -> npt.NDArray[np.bool_]:
    """Every occurrence of a value after its first."""
    # Arrow's hash kernel answers "all distinct?" far faster than sorting Python strings;
    # only a table that does repeat a value pays for finding where.
    if len(pc.unique(values)) == len(values):
        return np.zeros(len(values), dtype=bool)
    _, first_index = np.unique(_objects(values), return_index=True)
    repeated = np.ones(len(values), dtype=bool)
    repeated[first_index] = False
    return repeated


def _cell(values: Any, index: int) -> object:
    if isinstance(values, pa.Array):
        return values[index].as_py()
    return values[index]


def _decimal_units(array: pa.Array, decimals: int) -> npt.NDArray[np.int64]:
    """Unscaled integers of a decimal128 array with ``decimals`` digits (valid rows only)."""
    as_decimal = array.cast(pa.decimal128(38, decimals))
    # decimal128 stores each value as a 16-byte little-endian integer; range checks keep
    # values well inside int64, so the low 8 bytes are the whole value.
    raw = np.frombuffer(as_decimal.buffers()[1], dtype=np.int64)
    offset = as_decimal.offset
    return np.asarray(raw[2 * offset : 2 * (offset + len(as_decimal)) : 2], dtype=np.int64)


def _text_bytes(text: pa.StringArray) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.uint8]]:
    """Where each cell starts in the cells' bytes (one more entry than cells, the first
    0), and those bytes: numpy views of the array's own buffers, nothing copied."""
    _, offsets_buffer, data_buffer = text.buffers()
    if offsets_buffer is None or not len(text):
        return np.zeros(len(text) + 1, dtype=np.int64), np.zeros(0, dtype=np.uint8)
    ends = np.frombuffer(offsets_buffer, dtype=np.int32)[text.offset : text.offset + len(text) + 1]
    first, last = int(ends[0]), int(ends[-1])
    data = np.zeros(0, np.uint8) if data_buffer is None else np.frombuffer(data_buffer, np.uint8)
    return ends.astype(np.int64) - first, data[first:last]


def _ascii(text: pa.StringArray) -> bool:
    """Whether every byte of the cells is ASCII."""
    _, data = _text_bytes(text)
    return not len(data) or int(data.max()) < 0x80


def _trimmed(cells: pa.StringArray) -> pa.StringArray:
    """The cells without surrounding blanks, a null as an empty cell.

    NOTE: a column of printable ASCII (every byte from ``!`` to ``~``: numbers, codes,
    dates) has nothing to trim. Checked on its bytes in two reductions, such a column
    skips Arrow's Unicode trim, which copies every cell.
    """
    if not cells.null_count:
        _, data = _text_bytes(cells)
        if not len(data) or (int(data.min()) > 0x20 and int(data.max()) < 0x7F):
            return cells
    trimmed: pa.StringArray = pc.utf8_trim_whitespace(cells).fill_null("")
    return trimmed


def _plain_integers(
    trimmed: pa.StringArray, missing: npt.NDArray[np.bool_]
) -> npt.NDArray[np.int64] | None:
    """The cells as integers (0 where ``missing``) when every present one is a plain
    integer: an optional minus and ASCII digits, at most 18 characters; else ``None``.

    NOTE: the common case read at memory speed (decision 0030, 0034): the cells' bytes
    are checked in numpy, then the column is one Arrow cast with the missing cells as
    nulls. Such cells are a subset of the grammar's integers, so no pattern match and
    no decimal cast is needed. Any other column (a ``+``, more characters, a bad cell,
    hexadecimal, which Arrow's parser would read) takes the grammar's pattern, which
    decides and reports each cell.
    """
    if not len(trimmed) or trimmed.null_count:
        return None
    starts, data = _text_bytes(trimmed)
    lengths = np.diff(starts)
    present = ~missing
    if int(lengths.max()) > grammar.MAX_DIGITS or (lengths[present] == 0).any():
        return None
    digit = (data >= ord("0")) & (data <= ord("9"))
    if not digit.all():
        others = np.flatnonzero(~digit)
        cell = np.searchsorted(starts, others, side="right") - 1
        signed = (data[others] == ord("-")) & (starts[cell] == others) & (lengths[cell] > 1)
        if not (signed & present[cell]).all():
            return None
    bits = np.concatenate([np.zeros(trimmed.offset, dtype=bool), present])
    validity = pa.array(bits).buffers()[1]
    with_nulls = pa.Array.from_buffers(
        pa.string(), len(trimmed), [validity, *trimmed.buffers()[1:]], offset=trimmed.offset
    )
    values = pc.cast(with_nulls, pa.int64()).fill_null(0)
    return np.asarray(values.to_numpy(zero_copy_only=False), dtype=np.int64)


def _text_column(
    name: str,
    spec: FactSpec,
    strings: pa.StringArray,
    trimmed: pa.StringArray,
    missing: npt.NDArray[np.bool_],
    collect: _Collector,
) -> FactColumn:
    """A text source column (CSV, XLSX, JSON, or strings in Parquet) parsed as the fact's
    type; ``trimmed`` is it without surrounding blanks, ``missing`` where that is empty."""
    # Checks and conversions stay in Arrow; Python objects are made only for text facts
    # (their values are numpy arrays of str for kinds) and for the rows reported.
    kind = spec.type
    decimals = spec.decimals or 0
    expected = grammar.expected_cell(kind, decimals)
    if kind == "text":
        return _ArrowText(pc.if_else(pa.array(missing), "", strings), missing)
    if kind == "boolean":
        # One lookup gives both whether a word is known and which value it spells.
        words = list(grammar.BOOLEAN_WORDS)
        found = pc.index_in(pc.utf8_lower(trimmed), value_set=pa.array(words))
        spelled = _bools(found.is_valid())
        collect.rows(name, ~(spelled | missing), expected, strings)
        truth = np.array([grammar.BOOLEAN_WORDS[word] for word in words], dtype=bool)
        values = truth[found.fill_null(0).to_numpy(zero_copy_only=False)] & spelled
        return FactColumn("boolean", values, missing)
    if kind == "date":
        shaped = pc.and_(
            pc.match_substring_regex(trimmed, grammar.DATE_PATTERN),
            pc.not_equal(pc.utf8_slice_codeunits(trimmed, 0, 4), grammar.NO_YEAR),
        )
        candidate = pc.if_else(shaped, trimmed, "1970-01-01")
        parsed = pc.strptime(candidate, grammar.DATE_FORMAT, "s", error_is_null=True)
        # strptime rolls impossible days over (2021-02-29 becomes 2021-03-01): a date is
        # valid only when it prints back as typed.
        exact = pc.equal(pc.strftime(parsed, grammar.DATE_FORMAT), candidate).fill_null(False)
        days = pc.cast(pc.cast(parsed, pa.date32()), pa.int32()).fill_null(0)
        bad = ~(_bools(shaped) & _bools(exact)) & ~missing
        collect.rows(name, bad, expected, strings)
        return FactColumn("date", days.to_numpy(zero_copy_only=False).astype(np.int64), missing)
    plain = _plain_integers(trimmed, missing) if decimals == 0 else None
    if plain is not None:
        return FactColumn(kind, plain, missing, spec.scale)
    well_formed = pc.match_substring_regex(trimmed, grammar.number_pattern(decimals))
    ok = _bools(well_formed)
    collect.rows(name, ~ok & ~missing, expected, strings)
    valid = pc.if_else(well_formed, trimmed, "0")
    units = _decimal_units(pc.cast(valid, pa.decimal128(38, decimals)), decimals)
    return FactColumn(kind, units, missing | ~ok, spec.scale)


def _stored(atype: pa.DataType) -> grammar.StoredType | None:
    """An Arrow type as the column grammar names it (``None``: no type it knows)."""
    if pa.types.is_string(atype) or pa.types.is_large_string(atype):
        return "text"
    if pa.types.is_dictionary(atype):
        return "text" if _stored(atype.value_type) == "text" else None
    checks: tuple[tuple[Callable[[pa.DataType], bool], grammar.StoredType], ...] = (
        (pa.types.is_integer, "integer"),
        (pa.types.is_decimal, "decimal"),
        (pa.types.is_floating, "float"),
        (pa.types.is_boolean, "boolean"),
        (pa.types.is_date, "date"),
    )
    return next((stored for check, stored in checks if check(atype)), None)


def _typed_column(
    name: str,
    spec: FactSpec,
    array: pa.Array,
    missing: npt.NDArray[np.bool_],
    collect: _Collector,
) -> FactColumn:
    """A typed Parquet / in-memory column (not text; ``missing`` where null), of a stored
    type the grammar accepts for the fact's type."""
    kind = spec.type
    stored = _stored(array.type)
    if stored == "boolean":
        filled = array.fill_null(False) if array.null_count else array
        return FactColumn("boolean", filled.to_numpy(zero_copy_only=False), missing)
    if stored == "date":
        days = array.cast(pa.date32()).cast(pa.int32()).fill_null(0).to_numpy(zero_copy_only=False)
        return FactColumn("date", days.astype(np.int64), missing)
    scale = spec.scale
    decimals = spec.decimals or 0
    if stored == "integer":
        whole = array.cast(pa.int64())
        if whole.null_count:
            whole = whole.fill_null(0)
        # Zero-copy (read-only) when no scaling is needed: kinds never write facts.
        values = whole.to_numpy(zero_copy_only=False)
        return FactColumn(kind, values * scale if scale != 1 else values, missing, scale)
    expected = grammar.expected_cell(kind, decimals)
    if stored == "decimal" and array.type.scale <= decimals:
        filled = array.fill_null(0)
        return FactColumn(kind, _decimal_units(filled, decimals), missing, scale)
    if stored == "decimal":
        extra = 10 ** (array.type.scale - decimals)
        fine = _decimal_units(array.fill_null(0), array.type.scale)
        exact = fine % extra == 0
        shown = [None if v is None else v.normalize() for v in array.to_pylist()]
        collect.rows(name, ~exact & ~missing, expected, shown)
        return FactColumn(kind, np.where(exact, fine // extra, 0), missing, scale)
    floats = array.cast(pa.float64()).fill_null(0).to_numpy(zero_copy_only=False)
    scaled = np.round(floats * scale)
    # A float is accepted only when it is exactly the decimal the user typed (its
    # shortest form has at most `decimals` digits): the round trip proves it.
    # NOTE: only below 2**50 units, where steps of 1/scale are wider than the float's
    # own and one decimal at most reads back as the float (a rate of 17 digits has
    # two: 0.0672111489376055 and 0.06721114893760551 are the same float).
    exact = (scaled / scale == floats) & (np.abs(scaled) < 2**50)
    units = np.where(exact, scaled, 0).astype(np.int64)
    # The others (few, unless a fact declares many digits) are read as the decimal they
    # print as, exactly.
    wide = ~exact & ~missing & np.isfinite(floats) & (np.abs(scaled) >= 2**50)
    for row in np.flatnonzero(wide):
        typed = Decimal(repr(float(floats[row]))).normalize()
        exponent = typed.as_tuple().exponent
        fits = abs(typed) * scale < 10**grammar.MAX_DIGITS  # as a typed number must
        if isinstance(exponent, int) and -exponent <= decimals and fits:
            units[row] = int(typed * scale)
            exact[row] = True
    collect.rows(name, ~exact & ~missing, expected, floats)
    return FactColumn(kind, units, missing, scale)


def _not_utf8(column: pa.ChunkedArray, name: str, collect: _Collector) -> bool:
    """Whether a text column of a typed source holds bytes that are not UTF-8 (Parquet
    does not check its strings); its rows are reported."""
    atype = column.type
    if pa.types.is_dictionary(atype):
        atype = atype.value_type
    if not (pa.types.is_string(atype) or pa.types.is_large_string(atype)):
        return False
    if pa.types.is_string(column.type) and all(_ascii(chunk) for chunk in column.chunks):
        # ASCII is UTF-8: told by the bytes' largest value, without a full validation
        return False
    try:
        column.validate(full=True)
        return False
    except pa.ArrowInvalid:
        pass
    cells = [chunk.cast(atype).cast(pa.large_binary()) for chunk in column.chunks]
    bad = [_bad_byte(cell) for chunk in cells for cell in chunk.to_pylist()]
    collect.rows(name, np.array([b is not None for b in bad]), "expected UTF-8 text")
    return True


def _no_values(spec: FactSpec, size: int) -> FactColumn:
    """A fact column with no value in any row (no column for it, or an unreadable one)."""
    placeholder = np.zeros(size, dtype=object if spec.type == "text" else np.int64)
    return FactColumn(spec.type, placeholder, np.ones(size, dtype=bool), spec.scale)


def _check_range(name: str, spec: FactSpec, column: FactColumn, collect: _Collector) -> None:
    if column.type not in ("integer", "decimal"):
        return
    present = ~column.missing
    for bound, compare, word, rounding in (
        (spec.min, np.less, "≥", ROUND_CEILING),
        (spec.max, np.greater, "≤", ROUND_FLOOR),
    ):
        if bound is None:
            continue
        # A bound finer than the fact's digits (min = 0.5 for an integer) still binds:
        # the smallest allowed stored value is the bound rounded inwards.
        limit = int((bound * column.scale).to_integral_value(rounding=rounding))
        bad = present & compare(column.values, limit)
        if not bad.any():
            continue
        # Only the reported rows are turned into Decimals: a million-row column is not.
        shown = {
            int(i): Decimal(int(column.values[i])) / column.scale
            for i in np.flatnonzero(bad)[:MAX_ROWS_PER_PROBLEM]
        }
        collect.rows(name, bad, f"expected a value {word} {bound}", shown)


# -- the whole table ----------------------------------------------------------------------


def _read_parquet(path: Path) -> pa.Table:
    # NOTE: lazy: pyarrow.parquet loads pyarrow's file systems and OpenSSL, a tenth of a
    # start-up that reads a CSV file (tests/cli/test_startup.py).
    import pyarrow.parquet as pq

    return pq.read_table(path)


_READERS: dict[str, Callable[[Path], pa.Table]] = {
    ".parquet": _read_parquet,
    ".pq": _read_parquet,
    ".json": _read_json,
}
_OFFICE = (".csv", ".xlsx")


def read_units_source(
    path: Path, source: str, ruleset: Ruleset | None = None, options: OfficeOptions | None = None
) -> OfficeTable:
    """A units file as an Arrow table (text files stay text, for the facts schema to
    parse every cell), each row's number in the file, and notes on what was skipped.

    CSV and XLSX are read as offices write them (``_office``); with ``ruleset`` their
    headers may be its labels and their cells decimal commas or ``dd/mm/yyyy`` dates.
    Raises :class:`InputError` naming ``source`` when the file cannot be read.
    """
    suffix = path.suffix.lower()
    if suffix not in (*_READERS, *_OFFICE):
        raise InputError(
            [
                Problem(
                    source,
                    None,
                    "",
                    f"expected a .csv, .parquet, .xlsx or .json file (got {suffix!r})",
                )
            ]
        )
    if not path.exists():
        raise InputError([Problem(source, None, "", "file does not exist")])
    options = options or OfficeOptions()
    try:
        if suffix in _OFFICE:
            office = _read_office(path, source, ruleset, options)
        else:
            table = _READERS[suffix](path)
            # JSON counts records from 1, Parquet rows from 1.
            office = OfficeTable(table, np.arange(table.num_rows, dtype=np.int64) + 1, ())
    except _UnreadableError as exc:
        raise InputError(
            [Problem(source, row, column, message) for row, column, message in exc.problems]
        ) from exc
    except (
        pa.ArrowInvalid,
        json.JSONDecodeError,
        InvalidOperation,
        OSError,
        ValueError,
    ) as exc:
        raise InputError([Problem(source, None, "", f"cannot read: {exc}")]) from exc
    if ruleset is None or suffix not in _OFFICE:
        return office
    table, notes = office_cells(office.table, office.rows, ruleset, source)
    return OfficeTable(table, office.rows, (*office.notes, *notes))


def _read_office(
    path: Path, source: str, ruleset: Ruleset | None, options: OfficeOptions
) -> OfficeTable:
    if path.suffix.lower() == ".xlsx":
        return read_office_xlsx(path, source, ruleset, options)
    layout = sniff_csv(path, options.encoding, options.delimiter)
    if (layout.encoding, layout.delimiter, layout.title_lines) != ("utf-8", ",", 0):
        return read_office_csv(path, source, ruleset, options)
    # The plain CSV every tool writes keeps pyarrow's multithreaded read; only its
    # header is matched, and only rows without a unit id are looked at.
    return office_columns(_read_csv(path), 2, ruleset, options)


def read_units_file(
    path: Path, source: str, ruleset: Ruleset | None = None, options: OfficeOptions | None = None
) -> tuple[pa.Table, int]:
    """A units file as :func:`read_units_source` reads it, and the row its first unit is
    on in messages."""
    office = read_units_source(path, source, ruleset, options)
    return office.table, int(office.rows[0]) if len(office.rows) else 1


def read_units(
    data: Path | str | object,
    ruleset: Ruleset,
    *,
    name: str | None = None,
    first_row: int = 1,
    options: OfficeOptions | None = None,
) -> UnitTable:
    """Read units and facts from a file or a table and check them against ``ruleset``.

    ``first_row`` is the row a table's first unit is called in messages: a part of a
    larger file read in pieces says where in that file its units are. ``options`` say
    how to read an office file (sheet, encoding, delimiter, header map); what reading
    it skipped or rounded is in the result's ``notes``.
    Raises :class:`InputError` listing every problem with its file, row and column.
    """
    if not isinstance(data, str | Path):
        first = first_row
        return _validate(to_arrow(data), ruleset, name or "<table>", lambda index: index + first)
    path = Path(data)
    source = name or str(path)
    office = read_units_source(path, source, ruleset, options)
    rows = office.rows

    def row_of(index: int) -> int:
        return int(rows[index]) if index < len(rows) else index + 1

    units = _validate(office.table, ruleset, source, row_of)
    return replace(units, rows=rows, notes=office.notes)


def _one_array(column: pa.ChunkedArray) -> pa.Array:
    """The column as one array: a streamed batch's only chunk as it is, where
    ``combine_chunks`` would copy even that (every fact column of every batch)."""
    return column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()


def _validate(table: pa.Table, ruleset: Ruleset, source: str, row_of: RowLabel) -> UnitTable:
    collect = _Collector(source, row_of)
    columns = table.column_names
    known = [*UNIT_COLUMNS, *OPTIONAL_UNIT_COLUMNS, *ruleset.facts]
    for column in columns:
        if column not in known:
            collect.problems.append(
                Problem(
                    source,
                    None,
                    clipped(column),
                    f"unknown column{did_you_mean(column, known)} (expected unit columns "
                    f"{', '.join(UNIT_COLUMNS)} and facts declared by {ruleset.ref})",
                )
            )
    duplicated = sorted({c for c in columns if columns.count(c) > 1})
    for column in duplicated:
        collect.problems.append(
            Problem(source, None, clipped(column), "column appears more than once")
        )
    for column in UNIT_COLUMNS:
        if column not in columns:
            collect.problems.append(Problem(source, None, column, "missing required column"))
    for fact, spec in ruleset.facts.items():
        if spec.computed and fact in columns:
            # A column for a computed fact would silently compete with its expression.
            collect.problems.append(
                Problem(
                    source,
                    None,
                    fact,
                    f"is a computed fact ({fact} = {spec.expr}); remove the column",
                )
            )
        elif spec.required and not spec.computed and fact not in columns:
            collect.problems.append(
                Problem(source, None, fact, "missing column for a required fact")
            )
    # A list, a struct or bytes holds no text to read an id or a name from.
    untextual = [
        column
        for column in (*UNIT_COLUMNS, *OPTIONAL_UNIT_COLUMNS)
        if columns.count(column) == 1
        and not pa.types.is_null(atype := table.column(column).type)
        and _stored(atype) is None
    ]
    for column in untextual:
        got_type = f"Arrow type {table.column(column).type}"
        collect.problems.append(
            Problem(source, None, column, grammar.expected_column("text", got_type))
        )
    not_utf8 = [
        c for c in columns if c not in duplicated and _not_utf8(table.column(c), c, collect)
    ]
    if duplicated or untextual or not_utf8:
        # With two columns of one name, a unit column that holds no text, or text that
        # is not text (bytes no text operation can read), no cell can be attributed:
        # stop at the columns.
        raise InputError(collect.problems)

    # Column problems do not stop here: the rows of the columns that are present are
    # checked too, so one run shows everything to fix.
    size = table.num_rows

    def strings(column: str) -> pa.StringArray:
        if column not in columns:
            return pa.repeat(pa.scalar("", pa.string()), size)
        return _trimmed(_one_array(table.column(column)).cast(pa.string()))

    def words(column: str) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.intp]]:
        # Unit types and peer groups repeat a handful of values: checks run on the few
        # distinct words and reach the units through their codes.
        encoded = pc.dictionary_encode(strings(column))
        # In NFC: two spellings of one word become one word (listed twice: harmless).
        vocabulary = np.asarray(_nfc(encoded.dictionary).to_pylist(), dtype=object)
        return vocabulary, encoded.indices.to_numpy(zero_copy_only=False)

    unit_ids = _nfc(strings("unit_id"))
    no_id = _bools(pc.equal(unit_ids, ""))
    if "unit_id" in columns:
        collect.rows("unit_id", no_id, "expected a unit id")
    duplicate = _repeated(unit_ids) & ~no_id
    collect.rows("unit_id", duplicate, "duplicate unit id", unit_ids)
    names = strings("name")
    if "name" in columns:
        empty = pc.equal(names, "").to_numpy(zero_copy_only=False)
        collect.rows("name", np.asarray(empty, dtype=bool), "expected the unit's name")
    type_words, type_codes = words("unit_type")
    unit_types = type_words[type_codes]
    declared_types = list(ruleset.unit_types)
    known_type = np.isin(type_words, declared_types)[type_codes]
    if "unit_type" in columns:
        collect.rows(
            "unit_type",
            ~known_type,
            f"expected one of the unit types {', '.join(declared_types)}",
            unit_types,
        )
    group_words, group_codes = words("peer_group")
    # A unit with no peer group of its own ranks in its type's declared group.
    type_group = np.asarray(
        [
            ruleset.unit_types[word].peer_group if word in ruleset.unit_types else ""
            for word in type_words
        ],
        dtype=object,
    )
    blank = (group_words == "")[group_codes]
    peer_groups = np.where(blank, type_group[type_codes], group_words[group_codes])
    declared_groups = list(ruleset.ranking.peer_groups)
    known_group = np.where(
        blank,
        np.isin(type_group, declared_groups)[type_codes],
        np.isin(group_words, declared_groups)[group_codes],
    )
    collect.rows(
        "peer_group",
        ~known_group & known_type,
        f"expected one of the peer groups {', '.join(declared_groups)}",
        peer_groups,
    )

    facts: dict[str, FactColumn] = {}
    for fact, spec in ruleset.facts.items():
        if spec.computed:
            continue  # the engine computes it from the input facts
        if fact not in columns:
            facts[fact] = _no_values(spec, size)
            continue
        array = _one_array(table.column(fact))
        stored = "text" if pa.types.is_null(array.type) else _stored(array.type)
        if not grammar.accepts(spec.type, stored, floats=True):
            got_type = f"Arrow type {array.type}"
            collect.problems.append(
                Problem(source, None, fact, grammar.expected_column(spec.type, got_type))
            )
            facts[fact] = _no_values(spec, size)
            continue
        # Cells with no value: null, or (text) nothing but blanks. Trimmed once, here.
        if stored == "text":
            cells = array.cast(pa.string())
            trimmed = _trimmed(cells)
            absent = _bools(pc.equal(trimmed, ""))
            column = _text_column(fact, spec, cells, trimmed, absent, collect)
        else:
            absent = _bools(array.is_null()) if array.null_count else np.zeros(size, dtype=bool)
            column = _typed_column(fact, spec, array, absent, collect)
        _check_range(fact, spec, column, collect)
        if spec.required:
            # NOTE: only empty cells: a cell that holds a bad value is already reported
            # as such, though the column marks it missing so no kind ever reads it
            collect.rows(fact, absent, grammar.expected_value("fact"))
        facts[fact] = column
    if collect.problems:
        # Column problems (no row) first, in the order found; then by row and column.
        raise InputError(
            sorted(
                collect.problems,
                key=lambda p: (p.line is not None, p.line or 0, p.path if p.line else ""),
            )
        )
    # Row labels are a fixed offset from the position (header line or 1-based count).
    rows = np.arange(size, dtype=np.int64) + row_of(0)
    return UnitTable(
        unit_ids, names, strings("name_en"), unit_types, peer_groups, facts, source, rows
    )
