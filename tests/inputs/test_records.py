"""Reading and checking record sets (``_records.py``): decimal columns, and the fast pass
that only proves a record set clean, against the exact pass that locates problems."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from cchc_rules.errors import InputError
from cchc_rules.inputs import _records
from cchc_rules.inputs._records import MergedSchema, RecordSet, read_record_set
from cchc_rules.providers import Column, FactProvider, Output, ProviderParams, RecordSchema
from cchc_rules.testing import bind_provider, derive_records

UNITS = pl.Series("unit_id", ["A", "B"])

PAYMENTS = RecordSchema(
    columns={
        "payment_id": Column("text", "Payment number"),
        "unit_id": Column("text", "Unit"),
        "amount": Column("decimal", "Amount", decimals=2),
        "fee": Column("decimal", "Fee, whole", required=False),
    },
    description={"vi": "Thanh toán", "en": "Payments"},
    key=("payment_id",),
)


def _read(data: Path | pl.DataFrame, schema: RecordSchema = PAYMENTS, **options: Any) -> RecordSet:
    name = schema.description["en"].lower()
    merged = MergedSchema()
    merged.add(schema, f"test.{name}")
    return read_record_set(name, data, merged, UNITS, **options)


def _problems(
    data: Path | pl.DataFrame, schema: RecordSchema = PAYMENTS, **options: Any
) -> list[str]:
    with pytest.raises(InputError) as caught:
        _read(data, schema, **options)
    return [str(problem) for problem in caught.value.problems]


# -- decimal columns ------------------------------------------------------------------------


def test_decimal_text_is_read_exactly(tmp_path: Path) -> None:
    path = tmp_path / "payments.csv"
    path.write_text(
        "payment_id,unit_id,amount,fee\nP1,A,1.5,3\nP2,A, 0.25 ,\nP3,B,-2,+7\nP4,B,+10.10,-0\n",
        encoding="utf-8",
    )
    frame = _read(path).frame.collect()
    assert frame.schema["amount"] == pl.Decimal(38, 2)
    assert frame.schema["fee"] == pl.Decimal(38, 0)
    assert frame["amount"].to_list() == [
        Decimal("1.50"),
        Decimal("0.25"),
        Decimal("-2.00"),
        Decimal("10.10"),
    ]
    assert frame["fee"].to_list() == [Decimal(3), None, Decimal(7), Decimal(0)]


def test_bad_decimal_text_is_located(tmp_path: Path) -> None:
    path = tmp_path / "payments.csv"
    path.write_text(
        "payment_id,unit_id,amount,fee\nP1,A,1.555,3.5\nP2,A,abc,\nP3,A,,1e3\nP4,A,1,2\n",
        encoding="utf-8",
    )
    assert _problems(path) == [
        f"{path}:2: amount: expected a number with at most 2 digits after the point (got '1.555')",
        f"{path}:2: fee: expected a whole number (got '3.5')",
        f"{path}:3: amount: expected a number with at most 2 digits after the point (got 'abc')",
        f"{path}:4: amount: expected a value (the column is required)",
        f"{path}:4: fee: expected a whole number (got '1e3')",
    ]


def _payments(amount: pl.Series, fee: pl.Series | None = None) -> pl.DataFrame:
    size = amount.len()
    columns = {
        "payment_id": [f"P{i}" for i in range(size)],
        "unit_id": ["A"] * size,
        "amount": amount,
    }
    return pl.DataFrame({**columns, **({"fee": fee} if fee is not None else {})})


def test_typed_decimals_fit_exactly_or_are_refused_row_by_row(tmp_path: Path) -> None:
    same = pl.Series([Decimal("1.50"), Decimal("-2.25")], dtype=pl.Decimal(38, 2))
    assert _read(_payments(same)).frame.collect()["amount"].equals(same.alias("amount"))
    # More digits after the point than declared: fine when they are zeros, never rounded.
    finer = pl.Series([Decimal("2.250"), Decimal("1.505"), None], dtype=pl.Decimal(10, 3))
    path = tmp_path / "payments.parquet"
    pq.write_table(_payments(finer).to_arrow(), path)
    assert _problems(path) == [
        f"{path}:2: amount: expected a number with at most 2 digits after the point (got '1.505')",
        f"{path}:3: amount: expected a value (the column is required)",
    ]
    whole = pl.Series([Decimal("12.000"), Decimal("0.500")], dtype=pl.Decimal(10, 3))
    assert _problems(_payments(same, whole)) == [
        "<payments>:2: fee: expected a whole number (got '0.500')"
    ]
    read = _read(_payments(finer.head(1))).frame.collect()
    assert read["amount"].to_list() == [Decimal("2.25")]
    assert read.schema["amount"] == pl.Decimal(38, 2)


def test_integer_decimal_overflow_and_float_columns() -> None:
    integers = _read(_payments(pl.Series([2, -3], dtype=pl.Int32))).frame.collect()
    assert integers["amount"].to_list() == [Decimal("2.00"), Decimal("-3.00")]
    huge = pl.Series([Decimal("9" * 37)], dtype=pl.Decimal(38, 0))
    assert _problems(_payments(huge)) == [
        f"<payments>:1: amount: expected a value that fits a decimal column (got '{'9' * 37}')"
    ]
    floats = pl.Series([1.5])
    assert _problems(_payments(floats)) == [
        "<payments>: amount: expected a column of decimal values (got Float64)"
    ]


class _LargePayments(FactProvider[ProviderParams]):
    """Counts each unit's payments of at least 1.50."""

    name: ClassVar[str] = "large_payments"
    Params: ClassVar[type[BaseModel]] = ProviderParams
    record_sets: ClassVar[Mapping[str, RecordSchema]] = {"payments": PAYMENTS}

    def outputs(self) -> Mapping[str, Output]:
        return {"large": Output("integer", {"vi": "Lớn", "en": "Large"})}

    def derive(self, records: Mapping[str, pl.LazyFrame], units: pl.LazyFrame) -> pl.LazyFrame:
        large = (
            records["payments"]
            .filter(pl.col("amount") >= Decimal("1.50"))
            .group_by("unit_id")
            .agg(pl.len().cast(pl.Int64).alias("large"))
        )
        return (
            units.join(large, on="unit_id", how="left")
            .with_columns(pl.col("large").fill_null(0))
            .select("unit_id", "large")
        )


def test_a_provider_reads_decimal_records_typed() -> None:
    provider = bind_provider(_LargePayments, {})
    payments = pl.DataFrame(
        {
            "payment_id": ["P1", "P2", "P3"],
            "unit_id": ["A", "A", "B"],
            "amount": ["1.50", "1.49", "7"],
        }
    )
    derived, roles = derive_records(provider, {"payments": payments}, ["A", "B"])
    assert roles["payments"].collect_schema()["amount"] == pl.Decimal(38, 2)
    assert derived.rows() == [("A", 1), ("B", 1)]


# -- the fast pass and the exact pass ------------------------------------------------------

DOCUMENTS = RecordSchema(
    columns={
        "doc": Column("text", "Id"),
        "unit_id": Column("text", "Unit"),
        "kind": Column("text", "Kind", choices=("in", "out")),
        "on": Column("date", "Day"),
        "until": Column("date", "Until", required=False),
        "note": Column("text", "Note", required=False),
    },
    description={"vi": "Văn bản", "en": "Documents"},
    key=("doc",),
    ordered=(("on", "until"),),
)


def _documents(**columns: list[Any]) -> pl.DataFrame:
    size = len(next(iter(columns.values())))
    base: dict[str, list[Any]] = {
        "doc": [f"D{i}" for i in range(size)],
        "unit_id": ["A"] * size,
        "kind": ["in"] * size,
        "on": [dt.date(2020, 1, 1)] * size,
    }
    return pl.DataFrame({**base, **columns})


def test_repeated_keys_are_counted_and_the_first_ten_located() -> None:
    frame = _documents(doc=[f"D{i % 3}" for i in range(30)])
    problems = _problems(frame, DOCUMENTS)
    assert problems[0] == "<documents>:4: doc: duplicate doc (got 'D0')"
    assert problems[9] == "<documents>:13: doc: duplicate doc (got 'D0')"
    assert problems[10:] == ["<documents>:14: doc: duplicate doc: 17 more rows like this"]


def test_a_hash_collision_is_never_reported_as_a_duplicate(monkeypatch: pytest.MonkeyPatch) -> None:
    # Every key hashes alike: only the exact re-check can tell them apart.
    monkeypatch.setattr(
        _records._Key, "hash", property(lambda self: pl.col(self.columns[0]).hash() & 0)
    )
    assert _read(_documents(doc=["D1", "D2", "D3"]), DOCUMENTS).frame.collect().height == 3
    assert _problems(_documents(doc=["D1", "D2", "D1", None]), DOCUMENTS) == [
        "<documents>:3: doc: duplicate doc (got 'D1')",
        "<documents>:4: doc: expected a value (the column is required)",
    ]


def test_repeated_keys_are_found_across_the_files_of_a_directory(tmp_path: Path) -> None:
    schema = RecordSchema(
        columns={"unit_id": Column("text", "Unit"), "code": Column("text", "Code")},
        description={"vi": "Mã", "en": "Codes"},
        key=("unit_id", "code"),
    )
    (tmp_path / "codes").mkdir()
    for part, rows in enumerate(([("A", "x"), ("A", "y")], [("B", "x"), ("A", "x")])):
        units, codes = zip(*rows, strict=True)
        table = pa.table({"unit_id": pa.array(units).dictionary_encode(), "code": codes})
        pq.write_table(table, tmp_path / "codes" / f"part-{part}.parquet")
    assert _problems(tmp_path / "codes", schema) == [
        f"{tmp_path / 'codes'}:4: code: duplicate unit_id + code (got 'x')"
    ]


def test_text_is_trimmed_whatever_the_source(tmp_path: Path) -> None:
    frame = _documents(doc=["D1", " D2 "], unit_id=[" A", "B"], note=["  ", "n "])
    for data in (frame, frame.with_columns(pl.col("unit_id", "note").cast(pl.Categorical))):
        read = _read(data, DOCUMENTS).frame.collect()
        assert read["doc"].to_list() == ["D1", "D2"]
        assert read["unit_id"].to_list() == ["A", "B"]
        assert read["note"].to_list() == [None, "n"]
        assert read.schema["unit_id"] == pl.String
    assert _problems(_documents(doc=["D1", " D1"]), DOCUMENTS) == [
        "<documents>:2: doc: duplicate doc (got 'D1')"
    ]


def test_clean_records_reach_providers_as_stored(tmp_path: Path) -> None:
    # Nothing to trim: providers scan the file itself, with no per-cell work.
    path = tmp_path / "documents.parquet"
    pq.write_table(_documents(doc=["D1", "D2"]).to_arrow(), path)
    assert "strip_chars" not in _read(path, DOCUMENTS).frame.explain()
    pq.write_table(_documents(doc=["D1", "D2 "]).to_arrow(), path)
    assert "strip_chars" in _read(path, DOCUMENTS).frame.explain()


def test_categorical_columns_are_checked_and_read_as_text() -> None:
    frame = _documents(unit_id=["A", "Z", "B"], kind=["in", "out", "up"]).with_columns(
        pl.col("unit_id", "kind").cast(pl.Categorical)
    )
    assert _problems(frame, DOCUMENTS) == [
        "<documents>:2: unit_id: unknown unit (not in the units table) (got 'Z')",
        "<documents>:3: kind: expected one of in, out (got 'up')",
    ]
    good = _read(frame.head(1), DOCUMENTS).frame.collect()
    assert good.schema["unit_id"] == good.schema["kind"] == pl.String


def test_a_provider_check_the_fast_pass_cannot_run_is_run_exactly() -> None:
    # String functions on a categorical column: the fast pass, which keeps the codes,
    # fails; the exact pass reads text.
    frame = _documents(note=["ok", "bad: x"]).with_columns(pl.col("note").cast(pl.Categorical))
    extra = [("note", pl.col("note").str.starts_with("bad"), "expected a good note")]
    assert _problems(frame, DOCUMENTS, extra=extra) == [
        "<documents>:2: note: expected a good note (got 'bad: x')"
    ]
    assert _read(frame.head(1), DOCUMENTS, extra=extra).frame.collect().height == 1


_CELLS = st.sampled_from(["D1", "D2", " D1", "D1 ", "", "  ", None])


@settings(max_examples=150, deadline=None)
@given(
    docs=st.lists(_CELLS, min_size=1, max_size=6),
    data=st.data(),
    valid=st.booleans(),
    categorical=st.booleans(),
)
def test_the_fast_pass_agrees_with_the_exact_pass(
    docs: list[str | None], data: st.DataObject, valid: bool, categorical: bool
) -> None:
    def column(good: list[Any], bad: list[Any]) -> list[Any]:
        values = st.sampled_from(good if valid else good + bad)
        return data.draw(st.lists(values, min_size=len(docs), max_size=len(docs)))

    frame = _documents(
        doc=docs,
        unit_id=column(["A", " B"], ["Z", "", None]),
        kind=column(["in", "out "], ["up", None]),
        until=column([dt.date(2020, 1, 1), None], [dt.date(2019, 12, 31)]),
        note=column(["x", " ", None], []),
    )
    if categorical:
        frame = frame.with_columns(pl.col("unit_id", "kind").cast(pl.Categorical))

    def outcome() -> list[str] | list[tuple[Any, ...]]:
        try:
            return _read(frame, DOCUMENTS).frame.collect().rows()
        except InputError as exc:
            return [str(problem) for problem in exc.problems]

    fast = outcome()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_records, "_fast_pass", lambda plan: (False, False))  # exact only
        exact = outcome()
    assert fast == exact
