"""The author's kit: golden cases and property checks for criterion kinds.

Golden cases live in one TOML file per kind::

    kind = "flag"
    points_decimals = 2                  # optional, default 2; a case may override it

    [[case]]
    name = "true is full points"
    max_points = 1
    params = { fact = "plan_issued" }
    facts = { plan_issued = true }
    fact_types = { plan_issued = "boolean" }   # optional, inferred from the values
    points = 1
    reason = "met"
    text_en = "The criterion's requirement is met"   # optional: the rendered explanation

    [[bad_params]]
    name = "unknown key"
    params = { fact = "x", good = true }
    error_path = "good"
    error_contains = "unknown"

A case either expects a score (``points`` and ``reason``, ``applicable = false`` for a
unit the kind drops) or refused input (``input_error = "substring of the message"``).
Facts the kind reads but the case leaves out reach the kind as missing (for
``optional_facts``). Fact types are inferred: ``true`` → boolean, ``3`` → integer,
``2.50`` → decimal with 2 digits, ``"…"`` → text, ``2024-01-31`` → date.

A plugin's whole golden test::

    import pytest
    from cchc_rules.testing import kind_case_params, run_golden
    from my_plugin import MyKind

    @pytest.mark.parametrize(("kind_class", "case"), kind_case_params("tests/cases", [MyKind]))
    def test_golden(kind_class, case): run_golden(kind_class, case)

For property tests, :func:`fact_columns` and :func:`batches` draw exact fact columns
and :func:`assert_consistent` checks that the batch and unit paths agree, stay within
bounds and do not depend on the order of units.

Fact providers have golden cases too, one TOML file per provider (records in, derived
facts and evidence out; bad records in, located errors out)::

    provider = "rotation_compliance"
    period = 2020                            # the evaluation year (1 Jan – 31 Dec)

    [[case]]
    name = "due on the last day of the period"
    params = { periods = { TT = 3 } }
    units = ["U1"]
    records.roster = [
        { person_id = "P1", unit_id = "U1", position_code = "TT", position_start = 2017-12-31 },
    ]
    records.rotating_positions = [{ position_code = "TT" }]
    expect.U1 = { due = 1, rotated = 0 }
    evidence.U1 = ["P1"]                     # substrings of the English evidence lines

    [[bad_records]]
    name = "a date out of order"
    ...
    error = "deferrals:2: ends_on: expected a date on or after starts_on"

:func:`provider_case_params` and :func:`run_provider_golden` run them;
:func:`derive_records` derives from in-memory records the way a run does, and
:func:`unit_tables`, :func:`record_sets` and :func:`params_from_model` draw units,
record sets and valid parameters for property tests.
"""

from __future__ import annotations

import datetime as dt
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.fields import FieldInfo

from cchc_rules._diagnostics import line_of, validation_problems
from cchc_rules.errors import InputError, Problem
from cchc_rules.inputs._records import MergedSchema, RecordSet, read_record_set
from cchc_rules.kinds import (
    EPOCH,
    Batch,
    BatchScore,
    CriterionInfo,
    CriterionKind,
    FactColumn,
    FactType,
    FactValue,
    UnitScore,
)
from cchc_rules.providers import Column, DeriveContext, FactProvider, RecordSchema
from cchc_rules.ruleset._toml import key_lines, read_toml

__all__ = [
    "BadParamsCase",
    "KindCase",
    "ProviderCase",
    "assert_consistent",
    "batches",
    "bind",
    "bind_provider",
    "check_bad_params",
    "criteria",
    "derive_records",
    "fact_columns",
    "kind_case_params",
    "load_bad_params",
    "load_cases",
    "load_provider_cases",
    "params_from_model",
    "provider_case_params",
    "record_frame",
    "record_sets",
    "run_case",
    "run_golden",
    "run_provider_golden",
    "unit_tables",
]

AnyKind = type[CriterionKind[Any]]
_NUMBER = Decimal | int


# -- the case file ---------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _CaseEntry(_Strict):
    name: str
    max_points: _NUMBER
    points_decimals: int | None = Field(default=None, ge=0, le=4)
    params: dict[str, Any] = {}
    facts: dict[str, Any] = {}
    fact_types: dict[str, FactType] = {}
    points: _NUMBER | None = None
    reason: str | None = None
    applicable: bool = True
    input_error: str | None = None
    text_vi: str | None = None
    text_en: str | None = None
    hint_vi: str | None = None
    hint_en: str | None = None


class _BadParamsEntry(_Strict):
    name: str
    params: dict[str, Any]
    max_points: _NUMBER = 1
    points_decimals: int | None = Field(default=None, ge=0, le=4)
    error_path: str
    error_contains: str = ""


class _CaseFile(_Strict):
    kind: str
    points_decimals: int = Field(default=2, ge=0, le=4)
    case: list[_CaseEntry] = []
    bad_params: list[_BadParamsEntry] = []


@dataclass(frozen=True)
class KindCase:
    """One golden case: facts of one unit in, expected points and reason out."""

    kind: str
    name: str
    where: str
    """``file:line`` of the case, for failure messages."""
    max_points: Decimal
    points_decimals: int
    params: Mapping[str, Any]
    facts: Mapping[str, Any]
    fact_types: Mapping[str, FactType] = field(default_factory=dict)
    points: Decimal | None = None
    reason: str | None = None
    applicable: bool = True
    input_error: str | None = None
    texts: Mapping[str, str] = field(default_factory=dict)
    """Expected rendered explanations by template: ``text_vi``, ``text_en``, ``hint_vi``,
    ``hint_en``."""


@dataclass(frozen=True)
class BadParamsCase:
    """Parameters a kind must refuse, and where the error must point."""

    kind: str
    name: str
    where: str
    params: Mapping[str, Any]
    max_points: Decimal
    points_decimals: int
    error_path: str
    error_contains: str = ""


def _read_case_file(path: Path) -> tuple[_CaseFile, dict[tuple[str | int, ...], int]]:
    data, source = read_toml(path)
    try:
        return _CaseFile.model_validate(data), key_lines(source)
    except ValidationError as exc:
        raise ValueError(f"{path}: not a valid case file:\n{exc}") from exc


def _where(path: Path, lines: dict[tuple[str | int, ...], int], key: tuple[str | int, ...]) -> str:
    line = line_of(lines, key)
    return f"{path}:{line}" if line is not None else str(path)


def load_cases(path: str | Path) -> list[KindCase]:
    """The scoring cases (``[[case]]``) of one case file."""
    path = Path(path)
    parsed, lines = _read_case_file(path)
    return [
        KindCase(
            kind=parsed.kind,
            name=entry.name,
            where=_where(path, lines, ("case", index)),
            max_points=Decimal(entry.max_points),
            points_decimals=(
                parsed.points_decimals if entry.points_decimals is None else entry.points_decimals
            ),
            params=entry.params,
            facts=entry.facts,
            fact_types=entry.fact_types,
            points=None if entry.points is None else Decimal(entry.points),
            reason=entry.reason,
            applicable=entry.applicable,
            input_error=entry.input_error,
            texts={
                key: text
                for key in ("text_vi", "text_en", "hint_vi", "hint_en")
                if (text := getattr(entry, key)) is not None
            },
        )
        for index, entry in enumerate(parsed.case)
    ]


def load_bad_params(path: str | Path) -> list[BadParamsCase]:
    """The parameter cases (``[[bad_params]]``) of one case file."""
    path = Path(path)
    parsed, lines = _read_case_file(path)
    return [
        BadParamsCase(
            kind=parsed.kind,
            name=entry.name,
            where=_where(path, lines, ("bad_params", index)),
            params=entry.params,
            max_points=Decimal(entry.max_points),
            points_decimals=(
                parsed.points_decimals if entry.points_decimals is None else entry.points_decimals
            ),
            error_path=entry.error_path,
            error_contains=entry.error_contains,
        )
        for index, entry in enumerate(parsed.bad_params)
    ]


def kind_case_params(path: str | Path, kinds: Iterable[AnyKind]) -> list[Any]:
    """``pytest.param(kind_class, case)`` for every case under ``path`` (a file or a folder
    of ``*.toml``), with readable ids, for ``@pytest.mark.parametrize``."""
    path = Path(path)
    by_name = {kind.name: kind for kind in kinds}
    files = sorted(path.glob("*.toml")) if path.is_dir() else [path]
    params: list[Any] = []
    for file in files:
        cases: list[KindCase | BadParamsCase] = [*load_cases(file), *load_bad_params(file)]
        for case in cases:
            kind_class = by_name.get(case.kind)
            if kind_class is None:
                raise ValueError(
                    f"{file}: kind {case.kind!r} is not among the kinds given "
                    f"({', '.join(sorted(by_name))})"
                )
            prefix = "bad_params" if isinstance(case, BadParamsCase) else "case"
            params.append(pytest.param(kind_class, case, id=f"{case.kind}/{prefix}/{case.name}"))
    return params


# -- running cases ---------------------------------------------------------------------


def bind(
    kind_class: AnyKind, params: Mapping[str, Any], max_points: Decimal, points_decimals: int = 2
) -> CriterionKind[Any]:
    """Validate ``params`` and bind the kind to a criterion, as the loader does.

    Raises :class:`AssertionError` listing every problem, from the parameter model and
    from the kind's ``check``.
    """
    criterion = CriterionInfo("T", Decimal(max_points), 10**points_decimals)
    problems = _param_problems(kind_class, params, criterion)
    if problems:
        listed = "; ".join(f"{path or '<params>'}: {message}" for path, message in problems)
        raise AssertionError(f"parameters refused: {listed}")
    return kind_class(kind_class.Params.model_validate(dict(params)), criterion)


def _param_problems(
    kind_class: AnyKind, params: Mapping[str, Any], criterion: CriterionInfo
) -> list[tuple[str, str]]:
    data = dict(params)
    try:
        validated = kind_class.Params.model_validate(data)
    except ValidationError as exc:
        # The loader's own wording, so error_contains matches what users read; its
        # paths write list items as "steps[1]", dotted here like check()'s paths.
        return [
            (_dotted(problem.path), problem.message)
            for problem in validation_problems("<params>", {}, data, exc, kind_class.Params)
        ]
    return kind_class(validated, criterion).check()


def _dotted(path: str) -> str:
    return path.replace("[", ".").replace("]", "")


def _infer_type(value: Any) -> FactType:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, Decimal):
        return "decimal"
    if isinstance(value, str):
        return "text"
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return "date"
    raise ValueError(f"expected a boolean, integer, decimal, text or date fact (got {value!r})")


def _column(fact_type: FactType, value: Any) -> FactColumn:
    """A one-row column holding ``value`` (``None``: missing)."""
    missing = np.array([value is None])
    if fact_type == "boolean":
        return FactColumn(fact_type, np.array([bool(value)]), missing)
    if fact_type == "integer":
        return FactColumn(fact_type, np.array([value or 0], dtype=np.int64), missing)
    if fact_type == "decimal":
        number = Decimal(value or 0)
        digits = max(1, -int(number.as_tuple().exponent))
        scale = 10**digits
        raw = np.array([int(number * scale)], dtype=np.int64)
        return FactColumn(fact_type, raw, missing, scale)
    if fact_type == "date":
        days = 0 if value is None else (value - EPOCH).days
        return FactColumn(fact_type, np.array([days], dtype=np.int64), missing)
    text = np.array(["" if value is None else value], dtype=np.object_)
    return FactColumn(fact_type, text, missing)


def _one_unit_batch(kind: CriterionKind[Any], case: KindCase) -> Batch:
    allowed = kind.fact_types()
    columns: dict[str, FactColumn] = {}
    for name in dict.fromkeys([*kind.facts(), *case.facts]):
        value = case.facts.get(name)
        fact_type = case.fact_types.get(name)
        if fact_type is None:
            fact_type = _infer_type(value) if value is not None else allowed[name][0]
        if name in allowed and fact_type not in allowed[name]:
            raise AssertionError(
                f"{case.where}: fact {name!r} is {fact_type}; kind {kind.name!r} accepts "
                f"{' or '.join(allowed[name])}"
            )
        columns[name] = _column(fact_type, value)
    return Batch(np.array(["unit"], dtype=np.object_), columns)


def _from_batch(kind: CriterionKind[Any], score: BatchScore, size: int) -> list[UnitScore]:
    """The batch result as unit scores, after checking its shape."""
    for label, array in (("points", score.points), ("reasons", score.reasons)):
        if array.shape != (size,):
            raise AssertionError(f"score_batch {label} has shape {array.shape}, expected ({size},)")
    if score.points.dtype != np.int64:
        raise AssertionError(f"score_batch points are {score.points.dtype}, expected int64")
    if score.applicable is not None and score.applicable.shape != (size,):
        raise AssertionError(f"score_batch applicable has shape {score.applicable.shape}")
    scale = kind.criterion.scale
    return [
        UnitScore(
            Decimal(int(score.points[row])) / scale,
            kind.reasons[int(score.reasons[row])].code,
            True if score.applicable is None else bool(score.applicable[row]),
        )
        for row in range(size)
    ]


def _same(a: UnitScore, b: UnitScore) -> bool:
    return (a.points, a.reason, a.applicable) == (b.points, b.reason, b.applicable)


def _describe(score: UnitScore) -> str:
    applicable = "" if score.applicable else ", not applicable"
    return f"{score.points} points, reason {score.reason!r}{applicable}"


def _render(
    kind: CriterionKind[Any], facts: Mapping[str, FactValue], score: UnitScore, where: str
) -> dict[str, str]:
    """Every template of the unit's reason, filled; fails on a field explain_values lacks."""
    reason = kind.reasons[kind.reason_code(score.reason)]
    values = kind.explain_values(facts)
    values.update(points=score.points, max_points=kind.criterion.max_points)
    rendered: dict[str, str] = {}
    for key, template in (
        ("text_vi", reason.vi),
        ("text_en", reason.en),
        ("hint_vi", reason.hint_vi),
        ("hint_en", reason.hint_en),
    ):
        try:
            rendered[key] = template.format(**values)
        except (KeyError, IndexError) as exc:
            raise AssertionError(
                f"{where}: reason {score.reason!r} {key} needs {exc}, which explain_values "
                f"does not give (it gives {', '.join(sorted(values))})"
            ) from exc
    return rendered


def run_case(kind_class: AnyKind, case: KindCase) -> None:
    """Run one golden case through both paths; raise AssertionError on any difference."""
    kind = bind(kind_class, case.params, case.max_points, case.points_decimals)
    batch = _one_unit_batch(kind, case)
    refused = [message for mask, _fact, message in kind.input_problems(batch) if bool(mask[0])]
    if case.input_error is not None:
        if not any(case.input_error in message for message in refused):
            raise AssertionError(
                f"{case.where}: expected an input problem containing {case.input_error!r} "
                f"(got {refused or 'none'})"
            )
        return
    if refused:
        raise AssertionError(f"{case.where}: unexpected input problems: {refused}")

    [from_batch] = _from_batch(kind, kind.score_batch(batch), 1)
    facts = batch.row(0)
    if type(kind).score_unit is not CriterionKind.score_unit:
        from_unit = kind.score_unit(facts)
        if not _same(from_batch, from_unit):
            raise AssertionError(
                f"{case.where}: score_batch gives {_describe(from_batch)} but score_unit "
                f"gives {_describe(from_unit)}"
            )
    if case.points is None or case.reason is None:
        raise AssertionError(f"{case.where}: a case needs 'points' and 'reason' (or input_error)")
    expected = UnitScore(case.points, case.reason, case.applicable)
    if not _same(from_batch, expected):
        raise AssertionError(
            f"{case.where}: expected {_describe(expected)} (got {_describe(from_batch)})"
        )
    rendered = _render(kind, facts, from_batch, case.where)
    full = from_batch.applicable and from_batch.points == kind.criterion.max_points
    if full and (rendered["hint_vi"] or rendered["hint_en"]):
        raise AssertionError(
            f"{case.where}: reason {from_batch.reason!r} gives full points, so its hint "
            f"must be empty (got {rendered['hint_en']!r})"
        )
    for key, text in case.texts.items():
        if rendered[key] != text:
            raise AssertionError(f"{case.where}: expected {key} {text!r} (got {rendered[key]!r})")


def check_bad_params(kind_class: AnyKind, case: BadParamsCase) -> None:
    """Check that the kind refuses ``case.params`` with an error at ``case.error_path``."""
    criterion = CriterionInfo("T", case.max_points, 10**case.points_decimals)
    problems = _param_problems(kind_class, case.params, criterion)
    for path, message in problems:
        if path == case.error_path and case.error_contains in message:
            return
    found = "; ".join(f"{path or '<params>'}: {message}" for path, message in problems)
    raise AssertionError(
        f"{case.where}: expected an error at {case.error_path!r}"
        + (f" containing {case.error_contains!r}" if case.error_contains else "")
        + f" (got {found or 'no error: the parameters were accepted'})"
    )


def run_golden(kind_class: AnyKind, case: KindCase | BadParamsCase) -> None:
    """Run a case from :func:`kind_case_params`, whichever sort it is."""
    if isinstance(case, BadParamsCase):
        check_bad_params(kind_class, case)
    else:
        run_case(kind_class, case)


# -- properties --------------------------------------------------------------------------


def assert_consistent(kind: CriterionKind[Any], batch: Batch) -> list[UnitScore]:
    """Score ``batch`` and check what must hold for any kind; return the unit scores.

    Checks: points within ``[0, max_points]``, not-applicable units at 0 points, the
    unit path (when the kind has one) equal to the batch path on every unit, and the
    same result for every unit when the batch is reversed and when it is rotated.
    """
    scores = _from_batch(kind, kind.score_batch(batch), batch.size)
    max_points = kind.criterion.max_points
    for row, score in enumerate(scores):
        if not Decimal(0) <= score.points <= max_points:
            raise AssertionError(f"row {row}: {score.points} points, outside 0..{max_points}")
        if not score.applicable and score.points != 0:
            raise AssertionError(f"row {row}: not applicable but {score.points} points")
    if type(kind).score_unit is not CriterionKind.score_unit:
        for row, score in enumerate(scores):
            from_unit = kind.score_unit(batch.row(row))
            if not _same(score, from_unit):
                raise AssertionError(
                    f"row {row} ({batch.row(row)}): score_batch gives {_describe(score)} but "
                    f"score_unit gives {_describe(from_unit)}"
                )
    size = batch.size
    for order in (np.arange(size)[::-1], np.roll(np.arange(size), 1)):
        index = np.asarray(order, dtype=np.intp)
        moved = _from_batch(kind, kind.score_batch(batch.take(index)), size)
        for position, row in enumerate(index):
            if not _same(moved[position], scores[row]):
                raise AssertionError(
                    f"row {row}: {_describe(scores[row])} in order but "
                    f"{_describe(moved[position])} after reordering the batch"
                )
    return scores


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


# -- fact providers: golden cases ----------------------------------------------------------

AnyProvider = type[FactProvider[Any]]


class _ProviderCaseEntry(_Strict):
    name: str
    params: dict[str, Any] = {}
    period: int | None = None
    units: list[str]
    records: dict[str, list[dict[str, Any]]] = {}
    expect: dict[str, dict[str, Any]] = {}
    evidence: dict[str, list[str]] = {}
    error: str | None = None


class _ProviderCaseFile(_Strict):
    provider: str
    period: int = 2020
    case: list[_ProviderCaseEntry] = []
    bad_records: list[_ProviderCaseEntry] = []


@dataclass(frozen=True)
class ProviderCase:
    """Records of a few units in, derived facts (and evidence) or located errors out."""

    provider: str
    name: str
    where: str
    period: int
    params: Mapping[str, Any]
    units: Sequence[str]
    records: Mapping[str, Sequence[Mapping[str, Any]]]
    expect: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    evidence: Mapping[str, Sequence[str]] = field(default_factory=dict)
    error: str | None = None
    """For ``[[bad_records]]``: a substring of one problem, e.g. ``roster:3: person_id:``."""


def load_provider_cases(path: str | Path) -> list[ProviderCase]:
    """The ``[[case]]`` and ``[[bad_records]]`` entries of one provider case file."""
    path = Path(path)
    data, source = read_toml(path)
    try:
        parsed = _ProviderCaseFile.model_validate(data)
    except ValidationError as exc:
        raise ValueError(f"{path}: not a valid provider case file:\n{exc}") from exc
    lines = key_lines(source)
    found = []
    for section in ("case", "bad_records"):
        for index, entry in enumerate(getattr(parsed, section)):
            if (entry.error is None) != (section == "case"):
                raise ValueError(
                    f"{_where(path, lines, (section, index))}: a [[case]] has no "
                    "'error'; a [[bad_records]] needs one"
                )
            found.append(
                ProviderCase(
                    provider=parsed.provider,
                    name=entry.name,
                    where=_where(path, lines, (section, index)),
                    period=entry.period or parsed.period,
                    params=entry.params,
                    units=entry.units,
                    records=entry.records,
                    expect=entry.expect,
                    evidence=entry.evidence,
                    error=entry.error,
                )
            )
    return found


def provider_case_params(path: str | Path, providers: Iterable[AnyProvider]) -> list[Any]:
    """``pytest.param(provider_class, case)`` for every case under ``path`` (a file or a
    folder of ``*.toml``), for ``@pytest.mark.parametrize``."""
    path = Path(path)
    by_name = {provider.name: provider for provider in providers}
    files = sorted(path.glob("*.toml")) if path.is_dir() else [path]
    params: list[Any] = []
    for file in files:
        for case in load_provider_cases(file):
            provider_class = by_name.get(case.provider)
            if provider_class is None:
                raise ValueError(f"{file}: provider {case.provider!r} is not among those given")
            prefix = "bad_records" if case.error is not None else "case"
            params.append(
                pytest.param(provider_class, case, id=f"{case.provider}/{prefix}/{case.name}")
            )
    return params


def bind_provider(
    provider_class: AnyProvider, params: Mapping[str, Any], period: int = 2020
) -> FactProvider[Any]:
    """Validate ``params`` and bind the provider to a period, as the loader does."""
    provider = provider_class(
        provider_class.Params.model_validate(dict(params)), DeriveContext.for_year(period)
    )
    problems = provider.check()
    if problems:
        raise AssertionError(f"parameters refused: {problems}")
    return provider


def record_frame(rows: Sequence[Mapping[str, Any]], schema: RecordSchema) -> pl.DataFrame:
    """Rows (dicts) as a frame: typed columns where every value has the column's type,
    text otherwise, so a case can hold a wrong value and expect its located error."""
    # The columns the rows use (no rows: every column, typed, so an empty set reads).
    written = list(dict.fromkeys(k for row in rows for k in row))
    names = written if rows else list(schema.columns)
    columns: dict[str, pl.Series] = {}
    for name in names:
        values = [row.get(name) for row in rows]
        column = schema.columns.get(name)
        present = [v for v in values if v is not None]
        if column is not None and all(_fits(column, v) for v in present):
            columns[name] = pl.Series(name, values, column.polars_type)
        else:
            columns[name] = pl.Series(
                name, [None if v is None else _text(v) for v in values], pl.String
            )
    return pl.DataFrame(columns) if columns else pl.DataFrame()


def _fits(column: Column, value: Any) -> bool:
    expected: dict[str, Any] = {
        "integer": int,
        "boolean": bool,
        "date": dt.date,
        "text": str,
        "decimal": (int, Decimal),
    }
    if column.type == "integer" and isinstance(value, bool):
        return False
    return isinstance(value, expected[column.type])


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def derive_records(
    provider: FactProvider[Any],
    records: Mapping[str, pl.DataFrame],
    units: Sequence[str],
) -> tuple[pl.DataFrame, dict[str, pl.LazyFrame]]:
    """Check each role's records against its schema (and the provider's own row checks)
    and derive, as a run does; returns the outputs (one row per unit, in ``units``
    order) and the checked records (for ``evidence``). Raises :class:`InputError`."""
    unit_ids = pl.Series("unit_id", list(units), pl.String)
    checked: dict[str, RecordSet] = {}
    problems: list[Problem] = []
    for role, schema in type(provider).record_sets.items():
        merged = MergedSchema()
        merged.add(schema, role)
        extra = [(c.column, c.bad, c.message) for c in provider.record_checks() if c.role == role]
        frame = records.get(role)
        if frame is None:
            frame = record_frame([], schema)
        try:
            checked[role] = read_record_set(role, frame, merged, unit_ids, source=role, extra=extra)
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    roles = {
        role: record.role(type(provider).record_sets[role]) for role, record in checked.items()
    }
    result = provider.derive(roles, pl.DataFrame({"unit_id": unit_ids}).lazy())
    frame = result.collect() if isinstance(result, pl.LazyFrame) else result
    order = pl.DataFrame({"unit_id": unit_ids})
    return order.join(frame, on="unit_id", how="left", maintain_order="left"), roles


def run_provider_golden(provider_class: AnyProvider, case: ProviderCase) -> None:
    """Run one provider case; raise AssertionError on any difference."""
    provider = bind_provider(provider_class, case.params, case.period)
    frames = {
        role: record_frame(rows, provider_class.record_sets[role])
        for role, rows in case.records.items()
        if role in provider_class.record_sets
    }
    unknown = sorted(set(case.records) - set(provider_class.record_sets))
    if unknown:
        raise AssertionError(f"{case.where}: unknown roles {unknown}")
    try:
        derived, roles = derive_records(provider, frames, case.units)
    except InputError as exc:
        if case.error is None:
            raise AssertionError(f"{case.where}: unexpected record problems:\n{exc}") from exc
        if not any(case.error in str(problem) for problem in exc.problems):
            raise AssertionError(
                f"{case.where}: expected a problem containing {case.error!r} (got:\n{exc})"
            ) from exc
        return
    if case.error is not None:
        raise AssertionError(f"{case.where}: expected a problem {case.error!r}; none found")
    outputs = provider.outputs()
    rows = {row["unit_id"]: row for row in derived.iter_rows(named=True)}
    for unit_id, expected in case.expect.items():
        for output, value in expected.items():
            if output not in outputs:
                raise AssertionError(f"{case.where}: {output!r} is not an output")
            got = rows[unit_id][output]
            if got != value or type(got) is not type(value):
                raise AssertionError(
                    f"{case.where}: {unit_id}.{output}: expected {value!r} (got {got!r})"
                )
    for unit_id, wanted in case.evidence.items():
        lines = provider.evidence(roles, unit_id, 10)
        for line in lines:
            for lang in ("vi", "en"):
                if not line.text(lang) or "{" in line.text(lang):
                    raise AssertionError(f"{case.where}: unrendered evidence {line}")
            if line.output not in outputs:
                raise AssertionError(f"{case.where}: evidence for unknown output {line.output!r}")
        texts = [line.en for line in lines]
        for substring in wanted:
            if not any(substring in text for text in texts):
                raise AssertionError(
                    f"{case.where}: {unit_id}: expected evidence containing {substring!r} "
                    f"(got {texts})"
                )
        if not wanted and lines:
            raise AssertionError(f"{case.where}: {unit_id}: expected no evidence (got {texts})")


# -- fact providers: strategies -------------------------------------------------------------


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

    def for_type(annotation: Any, metadata: Sequence[Any]) -> st.SearchStrategy[Any]:
        # Field(ge=…) inside Annotated[...] carries its bounds in its own metadata.
        metadata = [
            inner
            for item in metadata
            for inner in (item.metadata if isinstance(item, FieldInfo) else [item])
        ]
        origin = typing.get_origin(annotation)
        args = typing.get_args(annotation)
        low = next(
            (getattr(m, "ge", None) for m in metadata if getattr(m, "ge", None) is not None), None
        )
        high = next(
            (getattr(m, "le", None) for m in metadata if getattr(m, "le", None) is not None), None
        )
        if origin is typing.Annotated:
            return for_type(args[0], [*metadata, *args[1:]])
        if origin is typing.Literal:
            return st.sampled_from(list(args))
        if origin in (typing.Union, type(int | None)):
            options = [a for a in args if a is not type(None)]
            return st.one_of([for_type(a, metadata) for a in options])
        if origin is list:
            return st.lists(for_type(args[0], []), min_size=1, max_size=4)
        if origin is dict:
            return st.dictionaries(
                st.from_regex(r"[A-Z][A-Z0-9_]{0,5}", fullmatch=True),
                for_type(args[1], metadata),
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

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        drawn: dict[str, Any] = {}
        for name, info in model.model_fields.items():
            if not info.is_required() and not draw(st.booleans()):
                continue
            strategy = overrides.get(name) or for_type(info.annotation, info.metadata)
            drawn[name] = draw(strategy)
        return drawn

    return build()
