"""One column grammar (``inputs/_grammar.py``): units (pyarrow) and record sets (polars)
accept the same cells, give the same values and word a bad cell the same way; the
differences the grammar declares (float columns, the noun of a required value) hold."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import polars as pl
import pyarrow as pa
import pytest

from cchc_rules import InputError, Ruleset, load_ruleset
from cchc_rules.inputs import _grammar as grammar
from cchc_rules.inputs._derive import derive_facts
from cchc_rules.inputs._records import MergedSchema, read_record_set
from cchc_rules.inputs._units import read_units
from cchc_rules.providers import Column, ColumnType, RecordSchema
from cchc_rules.ruleset._models import FactSpec, Text

UNIT_IDS = pl.Series("unit_id", ["A"])


BASE = load_ruleset("ttcp@2018").model
UNIT_TYPE = next(iter(BASE.unit_types))


def _ruleset(column: ColumnType, decimals: int) -> Ruleset:
    """A ruleset whose only fact, ``value``, is of type ``column`` (the units reader
    reads only its facts, unit types and peer groups)."""
    fact = FactSpec(
        type=column,
        decimals=decimals if column == "decimal" else None,
        required=False,
        description=Text(vi="Giá trị", en="Value"),
    )
    return BASE.model_copy(update={"facts": {"value": fact}})


def _schema(column: ColumnType, decimals: int) -> MergedSchema:
    merged = MergedSchema()
    merged.add(
        RecordSchema(
            columns={
                "unit_id": Column("text", "Unit"),
                "value": Column(column, "Value", required=False, decimals=decimals),
            },
            description={"vi": "Bản ghi", "en": "Records"},
        ),
        "test.records",
    )
    return merged


def _unit(data: pa.Table, column: ColumnType, decimals: int) -> object:
    """The value a units table's one cell is read as, or the message of its problem."""
    units = pa.table({"unit_id": ["A"], "name": ["Cục A"], "unit_type": [UNIT_TYPE]})
    for name in data.column_names:
        units = units.append_column(name, data.column(name))
    try:
        return read_units(units, _ruleset(column, decimals)).facts["value"].value(0)
    except InputError as exc:
        return [problem.message for problem in exc.problems]


def _record(data: pl.DataFrame, column: ColumnType, decimals: int) -> object:
    """The value a record set's one cell is read as, or the message of its problem."""
    frame = pl.DataFrame({"unit_id": ["A"]}).with_columns(data)
    try:
        read = read_record_set("records", frame, _schema(column, decimals), UNIT_IDS)
    except InputError as exc:
        return [problem.message for problem in exc.problems]
    return read.frame.collect()["value"][0]


def _both(cell: str, column: ColumnType, decimals: int = 0) -> tuple[object, object]:
    """What units and record sets make of one text cell (as in a CSV file)."""
    unit = _unit(pa.table({"value": pa.array([cell], pa.string())}), column, decimals)
    record = _record(pl.DataFrame({"value": [cell]}, schema={"value": pl.String}), column, decimals)
    return unit, record


NUMBER = grammar.expected_cell("decimal", 2)
WHOLE = grammar.expected_cell("integer")
DATE = grammar.expected_cell("date")
BOOLEAN = grammar.expected_cell("boolean")

CELLS: list[tuple[ColumnType, int, str, object]] = [
    ("decimal", 2, " 12.5 ", Decimal("12.5")),
    ("decimal", 2, "+1", Decimal(1)),
    ("decimal", 2, "-0.25", Decimal("-0.25")),
    ("decimal", 2, "9" * 16 + ".99", Decimal("9" * 16 + ".99")),
    ("decimal", 2, "9" * 17, [f"{NUMBER} (got '{'9' * 17}')"]),
    ("decimal", 2, "1.555", [f"{NUMBER} (got '1.555')"]),
    ("decimal", 2, "1e3", [f"{NUMBER} (got '1e3')"]),
    ("decimal", 2, ".5", [f"{NUMBER} (got '.5')"]),
    ("decimal", 2, "1.", [f"{NUMBER} (got '1.')"]),
    ("decimal", 2, "1,5", [f"{NUMBER} (got '1,5')"]),
    ("integer", 0, "-" + "9" * 18, -int("9" * 18)),
    ("integer", 0, "9" * 19, [f"{WHOLE} (got '{'9' * 19}')"]),
    ("integer", 0, "2.5", [f"{WHOLE} (got '2.5')"]),
    ("integer", 0, "١٢", [f"{WHOLE} (got '١٢')"]),
    ("boolean", 0, " Có ", True),
    ("boolean", 0, "KHÔNG", False),
    ("boolean", 0, "0", False),
    ("boolean", 0, "maybe", [f"{BOOLEAN} (got 'maybe')"]),
    ("date", 0, "2024-02-29", dt.date(2024, 2, 29)),
    ("date", 0, "0001-01-01", dt.date(1, 1, 1)),
    ("date", 0, "9999-12-31", dt.date(9999, 12, 31)),
    ("date", 0, "2023-02-29", [f"{DATE} (got '2023-02-29')"]),
    ("date", 0, "0000-01-01", [f"{DATE} (got '0000-01-01')"]),
    ("date", 0, "2024-2-03", [f"{DATE} (got '2024-2-03')"]),
    ("date", 0, "31/12/2024", [f"{DATE} (got '31/12/2024')"]),
    ("text", 0, "ghi chú", "ghi chú"),
    ("text", 0, "   ", None),
]


@pytest.mark.parametrize(("column", "decimals", "cell", "expected"), CELLS)
def test_units_and_record_sets_read_a_text_cell_alike(
    column: ColumnType, decimals: int, cell: str, expected: object
) -> None:
    assert _both(cell, column, decimals) == (expected, expected)


def test_a_units_decimal_fits_its_fixed_point_column() -> None:
    # 15 digits at 4 decimals would be 10**19 ten-thousandths, past int64: refused, not
    # wrapped round into another number.
    expected = grammar.expected_cell("decimal", 4)
    assert _both("9" * 15, "decimal", 4) == ([f"{expected} (got '{'9' * 15}')"],) * 2
    assert _both("9" * 14, "decimal", 4) == (Decimal("9" * 14),) * 2


def test_typed_columns_accept_the_same_stored_types() -> None:
    # an integer column from decimals whose digits after the point are zeros
    exact = [Decimal("12.000")]
    assert _unit(pa.table({"value": pa.array(exact, pa.decimal128(5, 3))}), "integer", 0) == 12
    assert (
        _record(pl.DataFrame({"value": pl.Series(exact, dtype=pl.Decimal(5, 3))}), "integer", 0)
        == 12
    )
    # categorical text is text, parsed like any text cell
    words = pa.array(["có"]).dictionary_encode()
    assert _unit(pa.table({"value": words}), "boolean", 0) is True
    categorical = pl.Series(["có"], dtype=pl.Categorical)
    assert _record(pl.DataFrame({"value": categorical}), "boolean", 0) is True
    # a date column is no boolean
    days = [dt.date(2024, 1, 1)]
    assert _unit(pa.table({"value": days}), "boolean", 0) == [
        grammar.expected_column("boolean", "Arrow type date32[day]")
    ]
    assert _record(pl.DataFrame({"value": days}), "boolean", 0) == [
        grammar.expected_column("boolean", "Date")
    ]


def test_only_units_accept_exact_float_columns() -> None:
    floats = [0.07]
    assert _unit(pa.table({"value": floats}), "decimal", 2) == Decimal("0.07")
    assert _record(pl.DataFrame({"value": floats}), "decimal", 2) == [
        grammar.expected_column("decimal", "Float64")
    ]


def test_the_grammar_words_every_problem_once() -> None:
    assert grammar.expected_cell("integer") == "expected a whole number"
    assert grammar.expected_cell("decimal", 0) == "expected a whole number"
    assert grammar.expected_cell("decimal", 3) == (
        "expected a number with at most 3 digits after the point"
    )
    assert grammar.expected_value("fact") == "expected a value (the fact is required)"
    assert grammar.expected_value("column") == "expected a value (the column is required)"
    assert grammar.expected_column("text", "Int64") == "expected a column of text (got Int64)"
    assert grammar.expected_fit("integer") == "expected a value that fits an integer column"
    assert grammar.got("2.5") == " (got '2.5')"
    assert grammar.got(Decimal("2.5")) == " (got 2.5)"
    assert grammar.more_rows("duplicate doc", 3) == "duplicate doc: 3 more rows like this"


def test_the_number_pattern_counts_the_declared_decimals() -> None:
    assert grammar.number_pattern(0) == "^[+-]?[0-9]{1,18}$"
    assert grammar.number_pattern(2) == r"^[+-]?[0-9]{1,16}(\.[0-9]{1,2})?$"


def test_derive_facts_reads_a_units_file_as_read_units_does(tmp_path: Path) -> None:
    path = tmp_path / "units.json"
    path.write_text('{"unit_id": "A"}', encoding="utf-8")
    expected = ["units.json: expected a JSON array of objects, one per unit"]
    for read in (
        lambda: read_units(path, BASE, name="units.json"),
        lambda: derive_facts(load_ruleset("ttcp@2018"), path, {}, source="units.json"),
    ):
        with pytest.raises(InputError) as info:
            read()
        assert str(info.value).splitlines() == expected
