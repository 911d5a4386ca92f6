"""Hypothesis strategies for property tests of kinds and providers: exact fact columns,
batches, criteria, unit tables, record sets and valid parameters."""

from __future__ import annotations

import datetime as dt
import typing
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa
from pydantic import BaseModel

from cchc_rules.kinds import (
    Batch,
    CriterionInfo,
    FactColumn,
    FactType,
    param_fields,
    type_constraints,
)
from cchc_rules.providers import Column, RecordSchema
from cchc_rules.testing._optional import missing_extra
from cchc_rules.testing._provider_cases import record_frame

try:
    from hypothesis import strategies as st
except ImportError as exc:
    raise missing_extra("hypothesis") from exc

__all__ = [
    "ColumnFactory",
    "batches",
    "criteria",
    "fact_columns",
    "params_from_model",
    "record_sets",
    "unit_tables",
]


def criteria(
    max_points: st.SearchStrategy[Decimal] | None = None,
    points_decimals: st.SearchStrategy[int] | None = None,
) -> st.SearchStrategy[CriterionInfo]:
    """Criteria with a maximum that is a multiple of the drawn precision."""

    @st.composite
    def build(draw: st.DrawFn) -> CriterionInfo:
        decimals = draw(points_decimals if points_decimals is not None else st.integers(0, 3))
        scale = 10**decimals
        if max_points is not None:
            maximum = draw(max_points)
        else:
            maximum = Decimal(draw(st.integers(0, 50 * scale))) / scale
        return CriterionInfo("T", maximum, scale)

    return build()


def fact_columns(
    fact_type: FactType,
    size: int,
    *,
    min_value: int | Decimal | None = None,
    max_value: int | Decimal | None = None,
    decimals: int = 2,
    missing: bool = False,
) -> st.SearchStrategy[FactColumn]:
    """Columns of ``size`` exact values of ``fact_type``.

    Numeric bounds are in the fact's own unit (``max_value = Decimal("100")`` for a
    decimal score); a decimal column has ``decimals`` digits. ``missing = True`` marks
    some rows missing (with placeholder values, as the engine passes them).
    """
    scale = 10**decimals if fact_type == "decimal" else 1
    values: st.SearchStrategy[Any]
    if fact_type == "boolean":
        values = st.booleans()
    elif fact_type == "text":
        values = st.text(max_size=20)
    else:
        low = None if min_value is None else int(Decimal(min_value) * scale)
        high = None if max_value is None else int(Decimal(max_value) * scale)
        values = st.integers(
            min_value=low if low is not None else -(2**40),
            max_value=high if high is not None else 2**40,
        )
    dtypes: dict[str, Any] = {"boolean": np.bool_, "text": np.object_}
    dtype = dtypes.get(fact_type, np.int64)

    @st.composite
    def build(draw: st.DrawFn) -> FactColumn:
        drawn = draw(st.lists(values, min_size=size, max_size=size))
        absent = draw(st.lists(st.booleans(), min_size=size, max_size=size)) if missing else []
        mask = np.array(absent or [False] * size, dtype=np.bool_)
        column = np.empty(size, dtype=dtype)
        column[:] = drawn
        placeholder: dict[str, Any] = {"boolean": False, "text": ""}
        column[mask] = placeholder.get(fact_type, 0)
        return FactColumn(fact_type, column, mask, scale)

    return build()


ColumnFactory = Callable[[int], st.SearchStrategy[FactColumn]]


def batches(
    columns: Mapping[str, ColumnFactory],
    *,
    min_size: int = 1,
    max_size: int = 30,
    unit_types: Sequence[str] = ("unit",),
) -> st.SearchStrategy[Batch]:
    """Batches whose columns come from ``columns``: fact name → ``size → strategy``,
    e.g. ``{"done": lambda n: fact_columns("boolean", n)}``."""

    @st.composite
    def build(draw: st.DrawFn) -> Batch:
        size = draw(st.integers(min_size, max_size))
        types = draw(st.lists(st.sampled_from(list(unit_types)), min_size=size, max_size=size))
        drawn = {name: draw(factory(size)) for name, factory in columns.items()}
        return Batch(np.array(types, dtype=np.object_), drawn)

    return build()


def unit_tables(
    *, min_size: int = 1, max_size: int = 10, unit_types: Sequence[str] = ("unit",)
) -> st.SearchStrategy[pa.Table]:
    """Units tables (``unit_id``, ``name``, ``unit_type``) with distinct ids."""

    @st.composite
    def build(draw: st.DrawFn) -> pa.Table:
        size = draw(st.integers(min_size, max_size))
        ids = [
            f"U{i}"
            for i in draw(st.lists(st.integers(0, 999), min_size=size, max_size=size, unique=True))
        ]
        types = draw(st.lists(st.sampled_from(list(unit_types)), min_size=size, max_size=size))
        return pa.table({"unit_id": ids, "name": [f"Unit {u}" for u in ids], "unit_type": types})

    return build()


def record_sets(
    schema: RecordSchema,
    unit_ids: Sequence[str],
    *,
    min_size: int = 0,
    max_size: int = 20,
    values: Mapping[str, st.SearchStrategy[Any]] | None = None,
    dates: tuple[dt.date, dt.date] = (dt.date(2010, 1, 1), dt.date(2030, 12, 31)),
) -> st.SearchStrategy[pl.DataFrame]:
    """Valid records of ``schema``: units drawn from ``unit_ids``, unique keys, ordered
    date pairs in order, choices respected; ``values`` overrides a column's strategy
    (e.g. person ids from a roster, so records join)."""
    values = dict(values or {})

    def column_strategy(name: str, column: Column) -> st.SearchStrategy[Any]:
        if name in values:
            return values[name]
        if name == schema.unit_column:
            return st.sampled_from(list(unit_ids))
        if column.choices:
            return st.sampled_from(list(column.choices))
        strategy: st.SearchStrategy[Any] = {
            "integer": st.integers(0, 100),
            "decimal": st.decimals(0, 100, places=column.decimals),
            "boolean": st.booleans(),
            "date": st.dates(*dates),
            "text": st.text("ABCDEFGH0123456789", min_size=1, max_size=6),
        }[column.type]
        return strategy if column.required else st.none() | strategy

    @st.composite
    def build(draw: st.DrawFn) -> pl.DataFrame:
        size = draw(st.integers(min_size, max_size))
        rows: list[dict[str, Any]] = []
        seen: set[tuple[Any, ...]] = set()
        for index in range(size):
            row = {n: draw(column_strategy(n, c)) for n, c in schema.columns.items()}
            if schema.key:
                key = tuple(row[k] for k in schema.key)
                if key in seen:
                    # A fresh key from the row's position keeps it unique.
                    row[schema.key[-1]] = (
                        f"K{index}"
                        if schema.columns[schema.key[-1]].type == "text"
                        else row[schema.key[-1]]
                    )
                    key = tuple(row[k] for k in schema.key)
                    if key in seen:
                        continue
                seen.add(key)
            for earlier, later in schema.ordered:
                if (
                    row[earlier] is not None
                    and row[later] is not None
                    and row[later] < row[earlier]
                ):
                    row[earlier], row[later] = row[later], row[earlier]
            rows.append(row)
        return record_frame(rows, schema)

    return build()


def params_from_model(
    model: type[BaseModel], overrides: Mapping[str, st.SearchStrategy[Any]] | None = None
) -> st.SearchStrategy[dict[str, Any]]:
    """Valid parameter tables of a kind's or provider's ``Params`` model.

    Fields with a default are drawn or left out; required ones always drawn. Handled:
    booleans, integers and decimals (with ``ge``/``le`` bounds), ``Literal`` choices,
    dates, text, lists and dicts of those, nested models. ``overrides`` gives the
    strategy of a field the model alone cannot (a fact name, a known code).
    """
    overrides = dict(overrides or {})
    fields = param_fields(model)

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        drawn: dict[str, Any] = {}
        for field in fields:
            if not field.required and not draw(st.booleans()):
                continue
            strategy = overrides.get(field.name) or _for_type(field.annotation, field.constraints)
            drawn[field.name] = draw(strategy)
        return drawn

    return build()


def _bound(constraints: Sequence[Any], name: str) -> Any:
    return next((getattr(c, name) for c in constraints if getattr(c, name, None) is not None), None)


def _for_type(annotation: Any, constraints: Sequence[Any]) -> st.SearchStrategy[Any]:
    """Values of ``annotation`` within ``constraints`` (``Ge``/``Le`` bounds)."""
    annotation, own = type_constraints(annotation)
    constraints = [*constraints, *own]
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    low, high = _bound(constraints, "ge"), _bound(constraints, "le")
    if origin is typing.Literal:
        return st.sampled_from(list(args))
    if origin in (typing.Union, type(int | None)):
        options = [a for a in args if a is not type(None)]
        return st.one_of([_for_type(a, constraints) for a in options])
    if origin is list:
        return st.lists(_for_type(args[0], []), min_size=1, max_size=4)
    if origin is dict:
        return st.dictionaries(
            st.from_regex(r"[A-Z][A-Z0-9_]{0,5}", fullmatch=True),
            _for_type(args[1], constraints),
            min_size=1,
            max_size=4,
        )
    if annotation is bool:
        return st.booleans()
    if annotation is int:
        return st.integers(
            int(low) if low is not None else 0, int(high) if high is not None else 1000
        )
    if annotation is Decimal:
        return st.decimals(
            low if low is not None else 0, high if high is not None else 1000, places=2
        )
    if annotation is dt.date:
        return st.dates(dt.date(2000, 1, 1), dt.date(2040, 12, 31))
    if annotation is str:
        return st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return params_from_model(annotation)
    raise TypeError(f"params_from_model cannot draw {annotation!r}; pass it in overrides")
