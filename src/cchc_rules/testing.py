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
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cchc_rules._loading import validation_problems
from cchc_rules._toml import key_lines, line_of, read_toml
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

__all__ = [
    "BadParamsCase",
    "KindCase",
    "assert_consistent",
    "batches",
    "bind",
    "check_bad_params",
    "criteria",
    "fact_columns",
    "kind_case_params",
    "load_bad_params",
    "load_cases",
    "run_case",
    "run_golden",
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
