"""Reading record sets (rosters, schemes, document logs) and checking them against the
schemas of the fact providers that read them.

A record set may be bound to roles of several providers (one roster read for placement,
rotation and digital signatures): it is checked once, against the union of those
roles' columns. Sources: CSV and XLSX (read as text and parsed by the schema), Parquet
(typed columns checked type by type; text columns parsed like CSV), or an in-memory
polars frame. Every problem is located ``file:row: column: message``, rows counted as
a person sees them (CSV and XLSX count the header, so the first record is row 2;
Parquet and frames count from 1), as for units (docs/decisions/0004).

Checks are columnar, in two passes. The first only proves a record set clean: one
streaming query counts every kind of problem on the values as stored (text is trimmed
only to count the cells that trimming would change), and a 64-bit hash of each unique
key is sorted to find repeats, so memory stays at 8 bytes a row. Only when it finds
something does the second pass read the values exactly, re-check repeated hashes on
the keys themselves (a hash collision is never reported) and locate up to ten rows of
each problem. A 100-million-row document log is checked streaming, in bounded memory.
What a valid cell of each column type is, and how a bad one is worded, is the column
grammar's (``_grammar``, shared with units); this module applies it with polars.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from cchc_rules._diagnostics import clipped, did_you_mean
from cchc_rules.errors import MAX_ROWS_PER_PROBLEM, InputError, Problem
from cchc_rules.inputs import _grammar as grammar
from cchc_rules.inputs._sheets import read_xlsx_text
from cchc_rules.providers import Column, RecordSchema
from cchc_rules.ruleset._compiled import CompiledRuleset

__all__ = [
    "MergedSchema",
    "RecordSet",
    "merged_schemas",
    "read_record_set",
    "read_xlsx_frame",
]

_ROW = "__cchc_row"
_RAW = "__cchc_raw:"


@dataclass
class MergedSchema:
    """What one record set must hold: the columns of every role bound to it."""

    columns: dict[str, Column] = field(default_factory=dict)
    unit_columns: list[str] = field(default_factory=list)
    keys: list[tuple[str, ...]] = field(default_factory=list)
    ordered: list[tuple[str, str]] = field(default_factory=list)
    readers: list[str] = field(default_factory=list)
    """``provider table.role`` of every role reading it, for messages."""

    def add(self, schema: RecordSchema, reader: str) -> None:
        for name, column in schema.columns.items():
            known = self.columns.get(name)
            # A column one role needs is needed: required wins over optional.
            if known is None or (column.required and not known.required):
                self.columns[name] = column
        if schema.unit_column and schema.unit_column not in self.unit_columns:
            self.unit_columns.append(schema.unit_column)
        if schema.key and schema.key not in self.keys:
            self.keys.append(schema.key)
        self.ordered.extend(pair for pair in schema.ordered if pair not in self.ordered)
        self.readers.append(reader)


def merged_schemas(ruleset: CompiledRuleset) -> dict[str, MergedSchema]:
    """Every record set the ruleset's providers read, with its merged schema."""
    merged: dict[str, MergedSchema] = {}
    for table_name, spec in (ruleset.model.providers or {}).items():
        roles = type(ruleset.providers[table_name]).record_sets
        for role, record_set in spec.records.items():
            merged.setdefault(record_set, MergedSchema()).add(roles[role], f"{table_name}.{role}")
    return merged


@dataclass(frozen=True)
class RecordSet:
    """A checked record set: typed columns of its schema, scanned lazily on each use."""

    name: str
    source: str
    frame: pl.LazyFrame

    def role(self, schema: RecordSchema) -> pl.LazyFrame:
        """The columns one role reads."""
        return self.frame.select(list(schema.columns))


# -- reading ---------------------------------------------------------------------------


def read_xlsx_frame(path: Path) -> pl.LazyFrame:
    """The first sheet of a (small) workbook, every cell as text, the first row as header."""
    frame = pl.from_arrow(read_xlsx_text(path))
    assert isinstance(frame, pl.DataFrame)  # a Table always converts to a DataFrame
    return frame.lazy()


def _scan(path: Path, source: str) -> tuple[pl.LazyFrame, int]:
    """A lazy scan of a record-set file and the row number of its first record."""
    suffix = path.suffix.lower()
    if not path.exists():
        raise InputError([Problem(source, None, "", "file does not exist")])
    try:
        if path.is_dir():
            # A dataset too big for one file: every Parquet file of the directory, in
            # name order, rows numbered across them.
            return pl.scan_parquet(sorted(path.glob("*.parquet"))), 1
        if suffix == ".csv":
            # Text throughout: the schema parses it, so "007" stays "007" and a bad
            # number is reported, not guessed.
            return pl.scan_csv(path, infer_schema=False), 2
        if suffix in (".parquet", ".pq"):
            return pl.scan_parquet(path), 1
        if suffix == ".xlsx":
            return read_xlsx_frame(path), 2
    except (OSError, pl.exceptions.PolarsError, ValueError) as exc:
        raise InputError([Problem(source, None, "", f"cannot read: {exc}")]) from exc
    raise InputError(
        [Problem(source, None, "", f"expected a .csv, .parquet or .xlsx file (got {suffix!r})")]
    )


# -- converting and checking columns -----------------------------------------------------


def _stored(dtype: pl.DataType) -> grammar.StoredType | None:
    """A polars type as the column grammar names it (``None``: no type it knows)."""
    if dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum):
        return "text"
    if dtype.is_integer():
        return "integer"
    if isinstance(dtype, pl.Decimal):
        return "decimal"
    if dtype.is_float():
        return "float"
    if dtype == pl.Boolean:
        return "boolean"
    return "date" if dtype == pl.Date else None


def _stripped(name: str) -> pl.Expr:
    """A text cell without surrounding blanks; an empty cell is no value."""
    raw = pl.col(name).cast(pl.String).str.strip_chars()
    return pl.when(raw == "").then(None).otherwise(raw)


def _ascii(text: pl.Expr) -> pl.Expr:
    # A byte per character: far cheaper than a regex, and ASCII is already in every form.
    return text.str.len_bytes() == text.str.len_chars()


def _nfc(text: pl.Expr) -> pl.Expr:
    """Text in the one Unicode form cells are read in (``grammar.TEXT_FORM``).

    NOTE: polars normalises even ASCII at a cost (1.5 s for 5 million ids), so only
    the other cells are normalised.
    """
    return pl.when(_ascii(text)).then(text).otherwise(text.str.normalize(grammar.TEXT_FORM))


def _not_nfc(raw: pl.Expr) -> pl.Expr:
    """How many cells normalising would change (an aggregate, over non-ASCII cells only)."""
    other = raw.filter(~_ascii(raw))
    return (other.str.normalize(grammar.TEXT_FORM) != other).sum()


@dataclass(frozen=True)
class _Value:
    """How one schema column is read from its source column: ``exact`` is the typed
    value, ``unreadable`` masks cells its type cannot read (over the checked frame).

    ``trimmed`` is set for text: an aggregate counting the stored cells that trimming
    changes (blanks around, or empty, or not in the Unicode form text is read in). When
    it counts none, the stored column is the value and neither checks nor providers pay
    for trimming every cell.
    """

    exact: pl.Expr
    expected: str = ""
    unreadable: pl.Expr | None = None
    trimmed: pl.Expr | None = None


def _text(name: str, dtype: pl.DataType) -> _Value:
    raw = pl.col(_RAW + name)
    if dtype != pl.String:
        # Categorical: the checks read the codes; only the (few) distinct values are
        # trimmed to look for blanks, and providers still get text.
        raw = raw.unique().cast(pl.String)
    blanks = ((raw.str.strip_chars() != raw) | (raw == "")).sum()
    return _Value(_nfc(_stripped(name)), trimmed=blanks + _not_nfc(raw))


def _parse(name: str, column: Column) -> _Value:
    """From a text column: the typed value (over the source frame), a mask of unreadable
    cells (over the check frame, which has both), and what was expected."""
    text = _stripped(name)
    unreadable = _stripped(_RAW + name).is_not_null() & pl.col(name).is_null()
    if column.type == "boolean":
        words = grammar.BOOLEAN_WORDS
        value = text.str.to_lowercase().replace_strict(
            list(words), list(words.values()), default=None, return_dtype=pl.Boolean
        )
    elif column.type == "date":
        # chrono refuses impossible days (2021-02-29) itself: no round trip needed.
        valid = text.str.contains(grammar.DATE_PATTERN) & ~text.str.starts_with(grammar.NO_YEAR)
        value = pl.when(valid).then(text).str.to_date(grammar.DATE_FORMAT, strict=False)
    else:
        valid = text.str.contains(grammar.number_pattern(column.decimals))
        value = pl.when(valid).then(text)
        if column.type == "integer":
            value = value.cast(pl.Int64, strict=False)
        else:
            value = value.str.to_decimal(scale=column.decimals)
    return _Value(value, grammar.expected_cell(column.type, column.decimals), unreadable=unreadable)


def _typed(name: str, column: Column, dtype: pl.DataType) -> _Value | None:
    """How a source column of type ``dtype`` is read, or ``None`` when its type cannot
    hold the column's values."""
    stored = _stored(dtype)
    if stored == "text":
        return _text(name, dtype) if column.type == "text" else _parse(name, column)
    target = column.polars_type
    if dtype == target:
        return _Value(pl.col(name))  # nothing to convert, nothing unreadable
    if not grammar.accepts(column.type, stored, floats=False):
        return None
    value = pl.col(name).cast(target, strict=False)
    expected = grammar.expected_fit(column.type)
    if isinstance(dtype, pl.Decimal) and (dtype.scale or 0) > column.decimals:
        # A cast to fewer digits after the point loses the extra ones: 12.500 fits two
        # digits, 12.505 is refused, never rounded or cut.
        value = pl.when(value.cast(dtype, strict=False) == pl.col(name)).then(value)
        expected = grammar.expected_cell(column.type, column.decimals)
    return _Value(
        value, expected, unreadable=pl.col(_RAW + name).is_not_null() & pl.col(name).is_null()
    )


@dataclass(frozen=True, eq=False)
class _Check:
    """Rows failing one check: ``bad`` is a mask over the checked frame; ``shown`` the
    value a located problem quotes. Compared by identity: two checks may be alike."""

    column: str
    bad: pl.Expr
    message: str
    shown: pl.Expr | None = None


@dataclass(frozen=True)
class _Key:
    """Columns whose values no two rows may share (rows with an empty part excepted)."""

    columns: tuple[str, ...]

    @property
    def complete(self) -> pl.Expr:
        return pl.all_horizontal([pl.col(k).is_not_null() for k in self.columns])

    @property
    def hash(self) -> pl.Expr:
        columns = self.columns
        value = pl.struct(columns) if len(columns) > 1 else pl.col(columns[0])
        return value.hash()


@dataclass
class _Plan:
    """Everything read_record_set checks, over a frame of the source's columns."""

    frame: pl.LazyFrame
    values: dict[str, _Value] = field(default_factory=dict)
    missing: dict[str, pl.DataType] = field(default_factory=dict)
    checks: list[_Check | _Key] = field(default_factory=list)
    implied: dict[str, _Check] = field(default_factory=dict)
    """Text columns held to a set of trimmed values (choices, unit ids): when their
    check passes on the stored cells, none needs trimming, and nothing is counted."""

    def checked(self, *, stored: bool, rows: bool = False) -> pl.LazyFrame:
        """Raw cells (``__cchc_raw:NAME``) beside the values (text as stored, or
        exact), optionally numbered."""
        frame = self.frame.with_row_index(_ROW) if rows else self.frame
        columns: list[pl.Expr] = [pl.col(_ROW)] if rows else []
        columns += [pl.col(name).alias(_RAW + name) for name in self.values]
        columns += [self._value(name, stored).alias(name) for name in self.values]
        columns += [pl.lit(None, dtype).alias(name) for name, dtype in self.missing.items()]
        return frame.select(columns)

    def typed(self, types: Mapping[str, pl.DataType], *, stored: bool) -> pl.LazyFrame:
        """The schema's columns, typed: what providers read."""
        return self.frame.select(
            pl.lit(None, dtype).alias(name)
            if name in self.missing
            else self._value(name, stored).cast(dtype).alias(name)
            for name, dtype in types.items()
        )

    def _value(self, name: str, stored: bool) -> pl.Expr:
        value = self.values[name]
        return pl.col(name) if stored and value.trimmed is not None else value.exact

    def hold_to(self, column: str, values: pl.Series, check: _Check) -> None:
        """Record that ``check`` holds text ``column`` to ``values``: when those are all
        trimmed and not empty, a cell passing it needs no trimming."""
        value = self.values[column]
        trimmed = values.str.strip_chars()
        if value.trimmed is not None and (trimmed == values).all() and not (trimmed == "").any():
            self.implied[column] = check


def read_record_set(
    name: str,
    data: Path | pl.DataFrame | pl.LazyFrame,
    schema: MergedSchema,
    unit_ids: pl.Series,
    *,
    source: str | None = None,
    first_row: int = 1,
    extra: Sequence[tuple[str, pl.Expr, str]] = (),
) -> RecordSet:
    """Check a record set against ``schema`` and return its typed, lazy columns.

    ``unit_ids`` are the assessed units (the unit column must name one of them);
    ``extra`` are a provider's own row checks ``(column, bad rows, message)`` over the
    typed columns. Raises :class:`InputError` listing every problem, located.

    A first, fast pass only proves the record set clean: one streaming query counts
    every check on the values as stored, and a 64-bit hash of each key is sorted to
    find repeats. Only when something is found (or text needs trimming) does a
    second pass read the values exactly and locate the rows.
    """
    if isinstance(data, Path):
        label = source or str(data)
        frame, first = _scan(data, label)
    else:
        label = source or f"<{name}>"
        frame, first = (data.lazy() if isinstance(data, pl.DataFrame) else data), first_row
    problems: list[Problem] = []
    try:
        present = frame.collect_schema()
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise InputError([Problem(label, None, "", f"cannot read: {exc}")]) from exc
    known = list(schema.columns)
    for column_name in present:
        if column_name not in schema.columns:
            problems.append(
                Problem(
                    label,
                    None,
                    clipped(column_name),
                    f"unknown column{did_you_mean(column_name, known)} (record set {name!r} "
                    f"has columns {', '.join(known)}, read as {', '.join(schema.readers)})",
                )
            )
    plan = _Plan(frame)
    for column_name, column in schema.columns.items():
        if column_name not in present:
            if column.required:
                problems.append(Problem(label, None, column_name, "missing required column"))
            plan.missing[column_name] = column.polars_type
            continue
        converted = _typed(column_name, column, present[column_name])
        if converted is None:
            problems.append(
                Problem(
                    label,
                    None,
                    column_name,
                    grammar.expected_column(column.type, str(present[column_name])),
                )
            )
            plan.missing[column_name] = column.polars_type
            continue
        plan.values[column_name] = converted
        typed_value = pl.col(column_name)
        readable: pl.Expr = pl.lit(True)
        if converted.unreadable is not None:
            plan.checks.append(
                _Check(
                    column_name,
                    converted.unreadable,
                    converted.expected,
                    pl.col(_RAW + column_name).cast(pl.String),
                )
            )
            readable = ~converted.unreadable
        if column.required:
            plan.checks.append(
                _Check(
                    column_name,
                    typed_value.is_null() & readable,
                    grammar.expected_value("column"),
                )
            )
        if column.choices is not None:
            # NOTE: a few comparisons, not is_in: 2.5 times faster on polars 2.1.
            choices_text = [unicodedata.normalize(grammar.TEXT_FORM, c) for c in column.choices]
            chosen = pl.any_horizontal(typed_value == choice for choice in choices_text)
            choices = _Check(
                column_name,
                typed_value.is_not_null() & ~chosen,
                f"expected one of {', '.join(column.choices)}",
                typed_value,
            )
            plan.checks.append(choices)
            plan.hold_to(column_name, pl.Series(choices_text, dtype=pl.String), choices)
    for unit_column in schema.unit_columns:
        if unit_column in plan.values:
            unit = pl.col(unit_column)
            known_unit = _Check(
                unit_column,
                unit.is_not_null() & ~unit.is_in(unit_ids.implode()),
                "unknown unit (not in the units table)",
                unit,
            )
            plan.checks.append(known_unit)
            plan.hold_to(unit_column, unit_ids, known_unit)
    plan.checks += [_Key(key) for key in schema.keys if all(k in plan.values for k in key)]
    for earlier, later in schema.ordered:
        if earlier in plan.values and later in plan.values:
            plan.checks.append(
                _Check(
                    later,
                    pl.col(later) < pl.col(earlier),
                    f"expected a date on or after {earlier}",
                    pl.col(later).cast(pl.String),
                )
            )
    for column_name, bad, message in extra:
        plan.checks.append(
            _Check(column_name, bad.fill_null(False), message, pl.col(column_name).cast(pl.String))
        )
    stored, passed = _fast_pass(plan)
    if not passed:
        problems += _locate(plan, label, first, stored=stored)
    if problems:
        column_level = [p for p in problems if p.line is None]
        rows = sorted((p for p in problems if p.line is not None), key=lambda p: (p.line, p.path))
        raise InputError([*column_level, *rows])
    types = {column_name: column.polars_type for column_name, column in schema.columns.items()}
    return RecordSet(name, label, plan.typed(types, stored=stored))


def _fast_pass(plan: _Plan) -> tuple[bool, bool]:
    """Whether the stored text needs no trimming (so it is the value), and whether,
    so read, the record set passes every check. A repeated key hash, or a check this
    pass cannot run (a provider's check that needs text where the source has codes,
    an unreadable source), is a failure: the exact pass then decides and locates."""
    checked = plan.checked(stored=True)
    keys = [check for check in plan.checks if isinstance(check, _Key)]
    masks = [check for check in plan.checks if isinstance(check, _Check)]
    trimmed = [
        value.trimmed
        for name, value in plan.values.items()
        if value.trimmed is not None and name not in plan.implied
    ]
    counts = [check.bad.fill_null(False).sum() for check in masks] + trimmed
    queries = [_hashes(checked, key) for key in keys]
    if counts:
        queries.append(checked.select(count.alias(str(i)) for i, count in enumerate(counts)))
    try:
        results = pl.collect_all(queries, engine="streaming")
    except pl.exceptions.PolarsError:
        return False, False
    found = list(results.pop().row(0)) if counts else []
    failed = {check for check, count in zip(masks, found[: len(masks)], strict=True) if count}
    stored = not any(found[len(masks) :]) and not failed & set(plan.implied.values())
    passed = stored and not failed
    for hashes in results:
        passed = passed and not len(_repeated_hashes(hashes.to_series()))
    return stored, passed


def _hashes(checked: pl.LazyFrame, key: _Key) -> pl.LazyFrame:
    return checked.filter(key.complete).select(key.hash.alias("hash"))


def _repeated_hashes(hashes: pl.Series) -> np.ndarray[Any, np.dtype[np.uint64]]:
    """The hash values that occur more than once.

    NOTE: a sort in place, not a hash set: 8 bytes a row however many rows, and
    numpy's vectorised sort of 64-bit integers is about twice as fast as polars' here.
    Split around the middle value, the two halves sort at once (numpy lets go of the
    GIL), which saves another third on two cores.
    """
    values = hashes.to_numpy(writable=True)
    middle = len(values) // 2
    if middle:
        values.partition(middle)
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(np.ndarray.sort, (values[:middle], values[middle:])))
    repeated: np.ndarray[Any, np.dtype[np.uint64]] = np.unique(
        values[1:][values[1:] == values[:-1]]
    )
    return repeated


def _locate(plan: _Plan, label: str, first: int, *, stored: bool) -> list[Problem]:
    """Count every check on the exact values (the stored ones when they are exact);
    locate the rows of those that fail."""
    checked = plan.checked(stored=stored)
    numbered = plan.checked(stored=stored, rows=True)
    masks = [check for check in plan.checks if isinstance(check, _Check)]
    keys = [check for check in plan.checks if isinstance(check, _Key)]
    counts = [check.bad.fill_null(False).sum().alias(str(i)) for i, check in enumerate(masks)]
    try:
        results = pl.collect_all(
            [checked.select(counts), *(_hashes(checked, key) for key in keys)],
            engine="streaming",
        )
    except pl.exceptions.PolarsError as exc:
        return [Problem(label, None, "", f"cannot read: {exc}")]
    found = dict(zip(masks, results[0].row(0), strict=True)) if counts else {}
    repeated = {
        key: _repeated_hashes(hashes.to_series())
        for key, hashes in zip(keys, results[1:], strict=True)
    }
    problems: list[Problem] = []
    for check in plan.checks:
        if isinstance(check, _Key):
            column, message = check.columns[-1], f"duplicate {' + '.join(check.columns)}"
            shown: pl.Expr | None = pl.col(column).cast(pl.String)
            duplicates = _duplicates(numbered, check, repeated[check])
            count = duplicates.height
            rows = duplicates.lazy()
        else:
            column, message, shown = check.column, check.message, check.shown
            count = int(found[check])
            rows = numbered.filter(check.bad.fill_null(False))
        if not count:
            continue
        selected: list[Any] = [pl.col(_ROW)]
        if shown is not None:
            selected.append(shown.alias("__shown"))
        first_rows = (
            rows.select(selected).head(MAX_ROWS_PER_PROBLEM + 1).collect(engine="streaming")
        )
        for position, row in enumerate(first_rows.iter_rows(named=True)):
            line = int(row[_ROW]) + first
            if position == MAX_ROWS_PER_PROBLEM:
                more = count - MAX_ROWS_PER_PROBLEM
                problems.append(Problem(label, line, column, grammar.more_rows(message, more)))
                break
            value = row.get("__shown")
            suffix = grammar.got(value) if shown is not None and value is not None else ""
            problems.append(Problem(label, line, column, f"{message}{suffix}"))
    return problems


def _duplicates(
    numbered: pl.LazyFrame, key: _Key, repeated: np.ndarray[Any, np.dtype[np.uint64]]
) -> pl.DataFrame:
    """Every row whose key an earlier row has, in row order: the exact re-check of the
    rows whose key hash repeats, so a hash collision is never reported."""
    if not len(repeated):
        return pl.DataFrame(schema={_ROW: pl.UInt32})
    candidates = (
        numbered.filter(
            key.complete & key.hash.is_in(pl.Series(repeated, dtype=pl.UInt64).implode())
        )
        .select(_ROW, *key.columns)
        .collect(engine="streaming")
        .sort(_ROW)
    )
    columns = key.columns
    value = pl.struct(columns) if len(columns) > 1 else pl.col(columns[0])
    return candidates.filter(~value.is_first_distinct())
