"""Reading record sets (rosters, schemes, document logs) and checking them against the
schemas of the fact providers that read them.

A record set may be bound to roles of several providers (one roster read for placement,
rotation and digital signatures): it is checked once, against the union of those
roles' columns. Sources: CSV and XLSX (read as text and parsed by the schema), Parquet
(typed columns checked type by type; text columns parsed like CSV), or an in-memory
polars frame. Every problem is located ``file:row: column: message``, rows counted as
a person sees them (CSV and XLSX count the header, so the first record is row 2;
Parquet and frames count from 1), as for units (docs/decisions/0004).

Checks are columnar: one lazy query counts every kind of problem; only when one is
found does a second query locate (up to ten of) the rows. Nothing is materialised
beyond what a check needs, so a 100-million-row document log is checked streaming.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from cchc_rules._loading import CompiledRuleset, did_you_mean
from cchc_rules._sheets import read_xlsx_text
from cchc_rules.errors import InputError, Problem
from cchc_rules.providers import Column, RecordSchema

__all__ = [
    "BOOLEAN_WORDS",
    "MergedSchema",
    "RecordSet",
    "merged_schemas",
    "read_record_set",
    "read_xlsx_frame",
]

# The spellings units accept too (docs/decisions/0004); nothing else is guessed.
BOOLEAN_WORDS = {
    "true": True,
    "false": False,
    "1": True,
    "0": False,
    "yes": True,
    "no": False,
    "có": True,
    "không": False,
}
MAX_ROWS_PER_PROBLEM = 10
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


def _is_text(dtype: pl.DataType) -> bool:
    return dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum)


def _stripped(name: str) -> pl.Expr:
    """A text cell without surrounding blanks; an empty cell is no value."""
    raw = pl.col(name).cast(pl.String).str.strip_chars()
    return pl.when(raw == "").then(None).otherwise(raw)


def _parse(name: str, column: Column) -> tuple[pl.Expr, pl.Expr, str]:
    """From a text column: the typed value (over the source frame), a mask of unreadable
    cells (over the check frame, which has both), and what was expected."""
    text = _stripped(name)
    unreadable = _stripped(_RAW + name).is_not_null() & pl.col(name).is_null()
    if column.type == "text":
        return text, pl.lit(False), ""
    if column.type == "boolean":
        value = text.str.to_lowercase().replace_strict(
            list(BOOLEAN_WORDS), list(BOOLEAN_WORDS.values()), default=None, return_dtype=pl.Boolean
        )
        expected = f"expected a boolean ({', '.join(BOOLEAN_WORDS)})"
    elif column.type == "date":
        valid = text.str.contains(r"^\d{4}-\d{2}-\d{2}$")
        value = pl.when(valid).then(text).str.to_date("%Y-%m-%d", strict=False)
        expected = "expected a date as YYYY-MM-DD"
    elif column.type == "integer":
        valid = text.str.contains(r"^[+-]?\d{1,18}$")
        value = pl.when(valid).then(text).cast(pl.Int64, strict=False)
        expected = "expected a whole number"
    else:
        digits = column.decimals
        pattern = rf"^[+-]?\d{{1,18}}(\.\d{{1,{digits}}})?$" if digits else r"^[+-]?\d{1,18}$"
        valid = text.str.contains(pattern)
        value = pl.when(valid).then(text).str.to_decimal(scale=digits)
        expected = f"expected a number with at most {digits} digits after the point"
    return value, unreadable, expected


def _typed(name: str, column: Column, dtype: pl.DataType) -> tuple[pl.Expr, pl.Expr, str] | None:
    """From a typed (Parquet) column: the value, unreadable cells, the expectation; or
    ``None`` when its type cannot hold the column's values."""
    if _is_text(dtype):
        return _parse(name, column)
    target = column.polars_type
    fits = {
        "integer": dtype.is_integer(),
        "decimal": dtype.is_integer() or isinstance(dtype, pl.Decimal),
        "boolean": dtype == pl.Boolean,
        "date": dtype == pl.Date,
        "text": False,
    }[column.type]
    if not fits:
        return None
    value = pl.col(name).cast(target, strict=False)
    unreadable = pl.col(_RAW + name).is_not_null() & pl.col(name).is_null()
    return value, unreadable, f"expected a value that fits a {column.type} column"


class _Checks:
    """Named masks of bad rows, counted in one query and located in a second."""

    def __init__(self) -> None:
        self.masks: list[tuple[str, pl.Expr, str, pl.Expr | None]] = []

    def add(self, column: str, bad: pl.Expr, message: str, shown: pl.Expr | None = None) -> None:
        self.masks.append((column, bad, message, shown))


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
                    column_name,
                    f"unknown column{did_you_mean(column_name, known)} (record set {name!r} "
                    f"has columns {', '.join(known)}, read as {', '.join(schema.readers)})",
                )
            )
    values: dict[str, pl.Expr] = {}
    checks = _Checks()
    for column_name, column in schema.columns.items():
        if column_name not in present:
            if column.required:
                problems.append(Problem(label, None, column_name, "missing required column"))
            values[column_name] = pl.lit(None, dtype=column.polars_type).alias(column_name)
            continue
        converted = _typed(column_name, column, present[column_name])
        if converted is None:
            problems.append(
                Problem(
                    label,
                    None,
                    column_name,
                    f"expected a column of {column.type} values (got {present[column_name]})",
                )
            )
            values[column_name] = pl.lit(None, dtype=column.polars_type).alias(column_name)
            continue
        value, unreadable, expected = converted
        values[column_name] = value.alias(column_name)
        typed_value = pl.col(column_name)
        checks.add(column_name, unreadable, expected, pl.col(_RAW + column_name).cast(pl.String))
        if column.required:
            checks.add(
                column_name,
                typed_value.is_null() & ~unreadable,
                "expected a value (the column is required)",
            )
        if column.choices is not None:
            checks.add(
                column_name,
                typed_value.is_not_null() & ~typed_value.is_in(list(column.choices)),
                f"expected one of {', '.join(column.choices)}",
                typed_value,
            )
    typed = frame.select(list(values.values()))
    # Checks read the typed value and, for unreadable cells, the text as written.
    raw = [pl.col(c).alias(_RAW + c) for c in present if c in schema.columns]
    checked = frame.with_row_index(_ROW).select(pl.col(_ROW), *raw, *values.values())
    for unit_column in schema.unit_columns:
        if unit_column in present:
            unit = pl.col(unit_column)
            checks.add(
                unit_column,
                unit.is_not_null() & ~unit.is_in(unit_ids.implode()),
                "unknown unit (not in the units table)",
                unit,
            )
    for key in schema.keys:
        if all(k in present for k in key):
            # Every occurrence after the first is the duplicate: the first one stays.
            repeated = (
                ~pl.struct(key).is_first_distinct()
                if len(key) > 1
                else ~pl.col(key[0]).is_first_distinct()
            )
            checks.add(
                key[-1],
                repeated & pl.all_horizontal([pl.col(k).is_not_null() for k in key]),
                f"duplicate {' + '.join(key)}",
                pl.col(key[-1]).cast(pl.String),
            )
    for earlier, later in schema.ordered:
        if earlier in present and later in present:
            checks.add(
                later,
                pl.col(later) < pl.col(earlier),
                f"expected a date on or after {earlier}",
                pl.col(later).cast(pl.String),
            )
    for column_name, bad, message in extra:
        checks.add(column_name, bad.fill_null(False), message, pl.col(column_name).cast(pl.String))
    problems += _locate(checked, checks, label, first)
    if problems:
        column_level = [p for p in problems if p.line is None]
        rows = sorted((p for p in problems if p.line is not None), key=lambda p: (p.line, p.path))
        raise InputError([*column_level, *rows])
    return RecordSet(name, label, typed)


def _locate(frame: pl.LazyFrame, checks: _Checks, label: str, first: int) -> list[Problem]:
    """Count every check in one query; locate the rows of those that fail."""
    if not checks.masks:
        return []
    try:
        counts = frame.select(
            [
                bad.fill_null(False).sum().alias(str(i))
                for i, (_, bad, _, _) in enumerate(checks.masks)
            ]
        ).collect(engine="streaming")
    except pl.exceptions.PolarsError as exc:
        return [Problem(label, None, "", f"cannot read: {exc}")]
    found: list[Problem] = []
    for index, (column, bad, message, shown) in enumerate(checks.masks):
        count = int(counts[str(index)][0])
        if not count:
            continue
        selected: list[Any] = [pl.col(_ROW)]
        if shown is not None:
            selected.append(shown.alias("__shown"))
        rows = (
            frame.filter(bad.fill_null(False))
            .select(selected)
            .head(MAX_ROWS_PER_PROBLEM + 1)
            .collect()
        )
        for position, row in enumerate(rows.iter_rows(named=True)):
            line = int(row[_ROW]) + first
            if position == MAX_ROWS_PER_PROBLEM:
                more = count - MAX_ROWS_PER_PROBLEM
                found.append(Problem(label, line, column, f"{message}: {more} more rows like this"))
                break
            got = row.get("__shown")
            suffix = f" (got {got!r})" if shown is not None and got is not None else ""
            found.append(Problem(label, line, column, f"{message}{suffix}"))
    return found
