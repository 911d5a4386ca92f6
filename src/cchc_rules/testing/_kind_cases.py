"""Golden cases of criterion kinds, run through the host's own loader, engine and
scorecards, and the consistency check of property tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, Field

from cchc_rules.errors import Problem
from cchc_rules.expressions import ExprType
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
from cchc_rules.results._scorecards import render_reason
from cchc_rules.ruleset._bind import bind_criterion
from cchc_rules.ruleset._compiled import Leaf
from cchc_rules.ruleset._models import Area, Criterion, Text
from cchc_rules.scoring._engine import ENGINE_REASONS, leaf_input_problems, score_leaf
from cchc_rules.testing._case_files import CASE_TABLE, case_params, read_case_file, where

__all__ = [
    "BadParamsCase",
    "KindCase",
    "assert_consistent",
    "bind",
    "check_bad_params",
    "kind_case_params",
    "load_bad_params",
    "load_cases",
    "run_case",
    "run_golden",
]

AnyKind = type[CriterionKind[Any]]
WhenMissing = Literal["zero", "not_applicable"]
_NUMBER = Decimal | int
_UNIT_TYPE = "unit"
"""The unit type of a case's one unit (conditions may compare it with any type)."""


# -- the case file ---------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = CASE_TABLE


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
    when_missing: WhenMissing = "zero"
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
    when_missing: WhenMissing = "zero"
    """The criterion's ``when_missing``, for cases whose facts leave a read fact out."""
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


def load_cases(path: str | Path) -> list[KindCase]:
    """The scoring cases (``[[case]]``) of one case file."""
    path = Path(path)
    parsed, lines = read_case_file(path, _CaseFile, "case file")
    return [
        KindCase(
            kind=parsed.kind,
            name=entry.name,
            where=where(path, lines, ("case", index)),
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
            when_missing=entry.when_missing,
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
    parsed, lines = read_case_file(path, _CaseFile, "case file")
    return [
        BadParamsCase(
            kind=parsed.kind,
            name=entry.name,
            where=where(path, lines, ("bad_params", index)),
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


def _sections(file: Path) -> list[tuple[str, str, str, Any]]:
    return [
        *((case.kind, "case", case.name, case) for case in load_cases(file)),
        *((case.kind, "bad_params", case.name, case) for case in load_bad_params(file)),
    ]


def kind_case_params(path: str | Path, kinds: Iterable[AnyKind]) -> list[Any]:
    """``pytest.param(kind_class, case)`` for every case under ``path`` (a file or a folder
    of ``*.toml``), with readable ids, for ``@pytest.mark.parametrize``."""
    return case_params(path, kinds, lambda kind: kind.name, _sections)


# -- running cases ---------------------------------------------------------------------


def _decimals(value: Any) -> int:
    """Digits of a decimal fact as the case writes it (at least one)."""
    if not isinstance(value, Decimal):
        return 1
    return max(1, -int(value.as_tuple().exponent))


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


def _case_fact_types(case: KindCase) -> dict[str, FactType]:
    """Each fact the case writes or types, with its type (given, else inferred)."""
    types = {name: _infer_type(value) for name, value in case.facts.items() if value is not None}
    return {**types, **case.fact_types}


def _declared(case: KindCase) -> dict[str, ExprType]:
    """The case's facts as a ruleset would declare them, for the kind's conditions."""
    return {
        name: ExprType("decimal", _decimals(case.facts.get(name)))
        if fact_type == "decimal"
        else ExprType(fact_type)
        for name, fact_type in _case_fact_types(case).items()
    }


def _listed(problems: Iterable[Problem]) -> list[tuple[str, str]]:
    """``(dotted path inside params, message)``: the loader names list items ``steps[1]``,
    golden cases and ``check()`` write ``steps.1``."""
    return [
        (problem.path.replace("[", ".").replace("]", ""), problem.message) for problem in problems
    ]


def _criterion(max_points: Decimal, points_decimals: int) -> CriterionInfo:
    return CriterionInfo("T", Decimal(max_points), 10**points_decimals)


def bind(
    kind_class: AnyKind,
    params: Mapping[str, Any],
    max_points: Decimal,
    points_decimals: int = 2,
    facts: Mapping[str, ExprType] | None = None,
) -> CriterionKind[Any]:
    """Validate ``params`` and bind the kind to a criterion, by the loader's own binding.

    ``facts`` declares the facts the kind's conditions (``when = "…"``) read. Raises
    :class:`AssertionError` listing every problem: from the parameter model, from the
    conditions and from the kind's ``check``.
    """
    criterion = _criterion(max_points, points_decimals)
    kind, problems = bind_criterion(kind_class, params, criterion, facts or {})
    if kind is None:
        listed = "; ".join(
            f"{path or '<params>'}: {message}" for path, message in _listed(problems)
        )
        raise AssertionError(f"parameters refused: {listed}")
    return kind


def _column(fact_type: FactType, value: Any, decimals: int) -> FactColumn:
    """A one-row column holding ``value`` (``None``: missing)."""
    missing = np.array([value is None])
    if fact_type == "boolean":
        return FactColumn(fact_type, np.array([bool(value)]), missing)
    if fact_type == "integer":
        return FactColumn(fact_type, np.array([value or 0], dtype=np.int64), missing)
    if fact_type == "decimal":
        scale = 10**decimals
        raw = np.array([int(Decimal(value or 0) * scale)], dtype=np.int64)
        return FactColumn(fact_type, raw, missing, scale)
    if fact_type == "date":
        days = 0 if value is None else (value - EPOCH).days
        return FactColumn(fact_type, np.array([days], dtype=np.int64), missing)
    text = np.array(["" if value is None else value], dtype=np.object_)
    return FactColumn(fact_type, text, missing)


def _one_unit_batch(kind: CriterionKind[Any], case: KindCase) -> Batch:
    allowed = kind.fact_types()
    given = _case_fact_types(case)
    columns: dict[str, FactColumn] = {}
    for name in dict.fromkeys([*kind.facts(), *case.facts]):
        value = case.facts.get(name)
        fact_type = given.get(name) or allowed[name][0]
        if name in allowed and fact_type not in allowed[name]:
            raise AssertionError(
                f"{case.where}: fact {name!r} is {fact_type}; kind {kind.name!r} accepts "
                f"{' or '.join(allowed[name])}"
            )
        columns[name] = _column(fact_type, value, _decimals(value))
    return Batch(np.array([_UNIT_TYPE], dtype=np.object_), columns)


def _leaf(kind: CriterionKind[Any], params: Mapping[str, Any], when_missing: WhenMissing) -> Leaf:
    """The kind as the one leaf of a one-criterion ruleset."""
    name = Text(vi=kind.criterion.id, en=kind.criterion.id)
    criterion = Criterion(
        id=kind.criterion.id,
        name=name,
        max_points=kind.criterion.max_points,
        kind=kind.name,
        params=dict(params),
        when_missing=when_missing,
    )
    area = Area(id="A", name=name, max_points=criterion.max_points, criteria=[criterion])
    return Leaf(area, criterion, kind, ())


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
    leaf: Leaf, code: int, score: UnitScore, facts: Mapping[str, FactValue], where: str
) -> dict[str, str]:
    """Every template of the unit's reason, filled as explanations fill them; fails on a
    field explain_values lacks."""
    rendered: dict[str, str] = {}
    points = score.points if score.applicable else None
    for lang in ("vi", "en"):
        try:
            _name, text, hint = render_reason(
                leaf, code, points, facts, _UNIT_TYPE, _UNIT_TYPE, lang
            )
        except (KeyError, IndexError) as exc:
            present = {name: value for name, value in facts.items() if value is not None}
            gives = leaf.kind.explain_values({**present, "unit_type": _UNIT_TYPE})
            raise AssertionError(
                f"{where}: reason {score.reason!r} ({lang}) needs {exc}, which explain_values "
                f"does not give (it gives {', '.join(sorted(gives))})"
            ) from exc
        rendered[f"text_{lang}"], rendered[f"hint_{lang}"] = text, hint
    return rendered


def run_case(kind_class: AnyKind, case: KindCase) -> None:
    """Run one golden case as a run would score its unit: bound by the loader, scored
    by the engine (``score_unit`` checked against it), explained by the scorecards.
    Raise AssertionError on any difference."""
    kind = bind(kind_class, case.params, case.max_points, case.points_decimals, _declared(case))
    leaf = _leaf(kind, case.params, case.when_missing)
    batch = _one_unit_batch(kind, case)
    refused = [m for mask, _fact, m in leaf_input_problems(leaf, batch) if bool(mask[0])]
    if case.input_error is not None:
        if not any(case.input_error in message for message in refused):
            raise AssertionError(
                f"{case.where}: expected an input problem containing {case.input_error!r} "
                f"(got {refused or 'none'})"
            )
        return
    if refused:
        raise AssertionError(f"{case.where}: unexpected input problems: {refused}")

    matrix = score_leaf(leaf, batch)
    code = int(matrix.reasons[0, 0])
    facts = {name: column.value(0) for name, column in batch.columns.items()}
    points = Decimal(int(matrix.points[0, 0])) / kind.criterion.scale
    applicable = bool(matrix.applicable[0, 0])
    name = ENGINE_REASONS[code] if code < 0 else kind.reasons[code].code
    scored = UnitScore(points, name, applicable)
    if code >= 0 and type(kind).score_unit is not CriterionKind.score_unit:
        from_unit = kind.score_unit(batch.row(0))
        if not _same(scored, from_unit):
            raise AssertionError(
                f"{case.where}: score_batch gives {_describe(scored)} but score_unit "
                f"gives {_describe(from_unit)}"
            )
    if case.points is None or case.reason is None:
        raise AssertionError(f"{case.where}: a case needs 'points' and 'reason' (or input_error)")
    expected = UnitScore(case.points, case.reason, case.applicable)
    if not _same(scored, expected):
        raise AssertionError(
            f"{case.where}: expected {_describe(expected)} (got {_describe(scored)})"
        )
    rendered = _render(leaf, code, scored, facts, case.where)
    full = scored.applicable and scored.points == kind.criterion.max_points
    if full and (rendered["hint_vi"] or rendered["hint_en"]):
        raise AssertionError(
            f"{case.where}: reason {scored.reason!r} gives full points, so its hint "
            f"must be empty (got {rendered['hint_en']!r})"
        )
    for key, text in case.texts.items():
        if rendered[key] != text:
            raise AssertionError(f"{case.where}: expected {key} {text!r} (got {rendered[key]!r})")


def check_bad_params(kind_class: AnyKind, case: BadParamsCase) -> None:
    """Check that the kind refuses ``case.params`` with an error at ``case.error_path``,
    by the loader's own binding and in its words."""
    criterion = _criterion(case.max_points, case.points_decimals)
    problems = _listed(bind_criterion(kind_class, case.params, criterion, {})[1])
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
    unit path (when the kind has one) equal to the batch path on every unit, the same
    result for every unit when the batch is reversed and when it is rotated, and the
    same result, on both paths, when a fact the kind's ``decided_without`` spares is
    taken away from the units it spares.
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
    _check_spared(kind, batch, scores)
    return scores


def _check_spared(kind: CriterionKind[Any], batch: Batch, scores: list[UnitScore]) -> None:
    """Each fact ``decided_without`` spares, taken away where spared, changes nothing."""
    for fact, spared in kind.decided_without(batch).items():
        mask = np.asarray(spared, dtype=np.bool_)
        if not mask.any():
            continue
        column = batch[fact]
        values = column.values.copy()
        values[mask] = {"boolean": False, "text": ""}.get(column.type, 0)
        blanked = Batch(
            batch.unit_types,
            {
                **batch.columns,
                fact: FactColumn(column.type, values, column.missing | mask, column.scale),
            },
        )
        again = _from_batch(kind, kind.score_batch(blanked), batch.size)
        unit_path = type(kind).score_unit is not CriterionKind.score_unit
        for row in np.flatnonzero(mask):
            without = [again[row]]
            if unit_path:
                try:
                    without.append(kind.score_unit(blanked.row(int(row))))
                except (TypeError, KeyError, ValueError) as exc:
                    raise AssertionError(
                        f"row {row} ({batch.row(int(row))}): decided_without spares {fact!r}, "
                        f"yet score_unit fails without it: {exc!r}"
                    ) from exc
            for score in without:
                if not _same(score, scores[row]):
                    raise AssertionError(
                        f"row {row} ({batch.row(int(row))}): decided_without spares {fact!r}, "
                        f"yet without it the unit gets {_describe(score)} instead of "
                        f"{_describe(scores[row])}"
                    )
