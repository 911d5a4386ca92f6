"""Columnar scoring: every criterion scores whole batches of units at once.

The engine decides applicability (unit type, condition) and missing values, hands each
kind only the units it must score, and checks what the kind returns. The result is a
points matrix (criteria × units) of exact integers in units of ``1/ruleset.scale``,
with a reason code per cell. Batches are independent and scoring is per unit, so the
result does not depend on batch size or unit order.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from cchc_rules.errors import MAX_ROWS_PER_PROBLEM, CchcError, EngineError, InputError, Problem
from cchc_rules.expressions import (
    UNIT_TYPE,
    ExpressionOverflowError,
    evaluate_all,
    unit_type_column,
)
from cchc_rules.inputs._fact_checks import FactWarning, check_facts
from cchc_rules.inputs._overflow import overflow_error
from cchc_rules.inputs._units import UnitTable
from cchc_rules.kinds import Batch, BatchScore, FactColumn
from cchc_rules.ruleset._compiled import CompiledRuleset, Leaf

__all__ = [
    "ENGINE_REASONS",
    "MISSING_NOT_APPLICABLE",
    "MISSING_ZERO",
    "NOT_APPLICABLE_CONDITION",
    "NOT_APPLICABLE_UNIT_TYPE",
    "PointsMatrix",
    "call_kind",
    "check_inputs",
    "leaf_input_problems",
    "score_leaf",
    "score_units",
    "with_computed_facts",
]

# Reason codes the engine itself gives; kinds' own codes are their indexes (≥ 0).
NOT_APPLICABLE_UNIT_TYPE = -1
NOT_APPLICABLE_CONDITION = -2
MISSING_ZERO = -3
MISSING_NOT_APPLICABLE = -4
FULL_POINTS_CONDITION = -5
ENGINE_REASONS = {
    NOT_APPLICABLE_UNIT_TYPE: "not_applicable_unit_type",
    NOT_APPLICABLE_CONDITION: "not_applicable_condition",
    MISSING_ZERO: "missing_zero",
    MISSING_NOT_APPLICABLE: "missing_not_applicable",
    FULL_POINTS_CONDITION: "full_points_condition",
}

DEFAULT_BATCH_SIZE = 65_536


@dataclass(frozen=True)
class PointsMatrix:
    """Scores of every leaf (rows, in ruleset order) for every unit (columns).

    Points are 0 wherever ``applicable`` is false, so sums need no mask.
    """

    points: npt.NDArray[np.int64]
    reasons: npt.NDArray[np.int16]
    applicable: npt.NDArray[np.bool_]
    warnings: tuple[FactWarning, ...] = ()
    """Units that break a ``warning`` check between facts (``[[checks]]``)."""


def _kind_failed(leaf: Leaf, message: str) -> EngineError:
    """A kind failed or returned what the engine cannot accept: a plugin bug, named by
    the plugin (distribution and version, or file), the criterion and the kind."""
    kind = type(leaf.kind)
    plugin = leaf.plugin or kind.__module__
    return EngineError(
        [Problem(plugin, None, f"criterion {leaf.criterion.id}", f"kind {kind.name!r} {message}")]
    )


T = TypeVar("T")


def call_kind(
    leaf: Leaf, method: str, call: Callable[[], T], units: str | Callable[[], str] = ""
) -> T:
    """``call()`` (the kind's ``method``), its failure an :class:`EngineError` naming the
    plugin, the criterion and the kind. Every call into a kind's code goes through here,
    the engine's and the explanations' alike.

    ``units`` says which units it was called for, for the message (or a function that
    says it: only a failure needs the words).
    """
    try:
        return call()
    except CchcError:
        raise  # a kind may refuse input itself, in the user's words
    except Exception as exc:
        # NOTE: any exception: a plugin's code may fail in any way, and its author
        # needs the plugin, the criterion and the units to reproduce it; a traceback
        # shows none of them. The original stays chained as the cause.
        detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        named = units if isinstance(units, str) else units()
        raise _kind_failed(leaf, f"failed in {method}{named}: {detail}") from exc


def _check_array(
    leaf: Leaf, what: str, array: object, size: int, kinds: str, expected: str
) -> None:
    """A returned array is a numpy array of ``size`` entries of a dtype kind in ``kinds``."""
    if not isinstance(array, np.ndarray):
        raise _kind_failed(leaf, f"returned {what} as {type(array).__name__} (expected {expected})")
    if array.dtype.kind == "f" and "f" not in kinds:
        scale = leaf.kind.criterion.scale
        if what == "points" and not np.isfinite(array).all():
            raise _kind_failed(leaf, "returned non-finite points (NaN or infinity)")
        raise _kind_failed(
            leaf,
            f"returned float {what}; {what} must be exact integers"
            + (f" of 1/{scale}" if what == "points" else ""),
        )
    if array.dtype.kind not in kinds:
        raise _kind_failed(leaf, f"returned {what} of dtype {array.dtype} (expected {expected})")
    if array.shape != (size,):
        raise _kind_failed(
            leaf, f"returned {what} of shape {array.shape} (expected {size} entries, one per unit)"
        )


def _check_score(leaf: Leaf, score: object, size: int) -> BatchScore:
    if not isinstance(score, BatchScore):
        raise _kind_failed(leaf, f"returned {type(score).__name__} (expected a BatchScore)")
    _check_array(leaf, "points", score.points, size, "iu", "an int64 array")
    _check_array(leaf, "reasons", score.reasons, size, "iu", "an int16 array")
    if score.applicable is not None:
        _check_array(leaf, "applicable", score.applicable, size, "b", "a bool array")
    kind = type(leaf.kind)
    maximum = leaf.kind.criterion.max_units
    # Two reductions, no temporaries: this runs for every criterion of every batch.
    if score.points.min() < 0 or score.points.max() > maximum:
        out_of_range = (score.points < 0) | (score.points > maximum)
        bad = int(score.points[np.flatnonzero(out_of_range)[0]])
        raise _kind_failed(
            leaf,
            f"returned {Decimal(bad) / leaf.kind.criterion.scale} points, "
            f"outside 0 … {leaf.criterion.max_points}",
        )
    if score.reasons.min() < 0 or score.reasons.max() >= len(kind.reasons):
        raise _kind_failed(leaf, "returned a reason code it does not declare")
    return score


def with_computed_facts(ruleset: CompiledRuleset, batch: Batch, units: UnitTable) -> Batch:
    """``batch`` (all of ``units``) with the ruleset's computed facts added, in order.

    Raises :class:`InputError` naming the units whose computed value does not fit the
    exact fixed point.
    """
    if not ruleset.computed:
        return batch
    try:
        computed = evaluate_all(ruleset.computed, batch.columns, batch.size)
    except ExpressionOverflowError as exc:
        raise overflow_error(units, exc, "a computed fact") from exc
    return Batch(batch.unit_types, {**batch.columns, **computed})


def check_inputs(ruleset: CompiledRuleset, units: UnitTable, batch: Batch | None = None) -> None:
    """Ask every kind which facts it refuses; raise them all as located input errors."""
    batch = batch if batch is not None else with_computed_facts(ruleset, units.batch(), units)
    problems: list[Problem] = []
    units_named = f" for {len(units)} units from {units.unit_id(0)}" if len(units) else ""
    for leaf in ruleset.leaves:
        for mask, fact, message in leaf_input_problems(leaf, batch, units_named):
            bad = np.flatnonzero(mask)
            for index in bad[:MAX_ROWS_PER_PROBLEM]:
                problems.append(
                    Problem(
                        units.source,
                        int(units.rows[index]),
                        fact,
                        f"{message} (unit {units.unit_id(int(index))}, "
                        f"criterion {leaf.criterion.id})",
                    )
                )
            if len(bad) > MAX_ROWS_PER_PROBLEM:
                problems.append(
                    Problem(
                        units.source,
                        int(units.rows[bad[MAX_ROWS_PER_PROBLEM]]),
                        fact,
                        f"{message}: {len(bad) - MAX_ROWS_PER_PROBLEM} more rows like this",
                    )
                )
    if problems:
        raise InputError(sorted(problems, key=lambda p: (p.line or 0, p.path)))


def leaf_input_problems(
    leaf: Leaf, batch: Batch, units: str = ""
) -> list[tuple[npt.NDArray[np.bool_], str, str]]:
    """What the leaf's kind refuses in ``batch`` (``(bad rows, fact, message)``), asked
    with only the facts it reads; ``units`` names them when the kind fails."""

    def ask() -> list[tuple[npt.NDArray[np.bool_], str, str]]:
        facts = leaf.kind.facts()
        return leaf.kind.input_problems(Batch(batch.unit_types, {f: batch[f] for f in facts}))

    found = call_kind(leaf, "input_problems", ask, units)
    for mask, _fact, _message in found:
        _check_array(leaf, "masks from input_problems", mask, batch.size, "b", "a bool array")
    return found


def _window(batch: Batch, start: int, stop: int) -> Batch:
    """Units ``start:stop`` of ``batch`` as views: a contiguous batch needs no copy."""
    return Batch(
        batch.unit_types[start:stop],
        {name: col.window(start, stop) for name, col in batch.columns.items()},
    )


class _TypeMasks:
    """``unit_type == t`` per unit type, computed once per batch and shared by criteria."""

    def __init__(self, unit_types: npt.NDArray[np.object_]) -> None:
        self.unit_types = unit_types
        self.masks: dict[str, npt.NDArray[np.bool_]] = {}

    def any_of(self, types: Iterable[str]) -> npt.NDArray[np.bool_]:
        result = np.zeros(len(self.unit_types), dtype=bool)
        for unit_type in types:
            if unit_type not in self.masks:
                self.masks[unit_type] = np.asarray(self.unit_types == unit_type, dtype=bool)
            result |= self.masks[unit_type]
        return result


@dataclass(frozen=True)
class _LeafPlan:
    """What scoring a leaf asks of its kind and its criterion, asked once per call of
    :func:`score_units` instead of once per batch."""

    leaf: Leaf
    read: tuple[str, ...]
    required: tuple[str, ...]
    unit_types: tuple[str, ...] | None
    method: str

    @classmethod
    def of(cls, leaf: Leaf) -> _LeafPlan:
        kind = leaf.kind
        return cls(
            leaf,
            tuple(call_kind(leaf, "facts", kind.facts)),
            tuple(call_kind(leaf, "required_facts", kind.required_facts)),
            None if leaf.applies_to is None else tuple(sorted(leaf.applies_to)),
            "score_batch" if kind.has_batch_path() else "score_unit",
        )


def _lacking(plan: _LeafPlan, batch: Batch) -> npt.NDArray[np.bool_]:
    """Units missing a required fact the kind needs for them.

    NOTE: the kind's own "nothing to score" rules come before ``when_missing`` (decision
    0023): where ``decided_without`` spares a fact (a zero denominator spares the
    numerator), its absence is not a missing input and the kind decides the unit.
    """
    leaf, kind = plan.leaf, plan.leaf.kind
    gaps = {f: batch[f].missing for f in plan.required if batch[f].missing.any()}
    lacking = np.zeros(batch.size, dtype=bool)
    if not gaps:
        return lacking
    spared = call_kind(
        leaf,
        "decided_without",
        lambda: kind.decided_without(Batch(batch.unit_types, {f: batch[f] for f in plan.read})),
    )
    for fact, gap in gaps.items():
        mask = spared.get(fact)
        if mask is not None and np.shape(mask) != (batch.size,):
            raise _kind_failed(
                leaf,
                f"decided_without returned a mask of the wrong length for {fact!r} "
                f"(expected {batch.size})",
            )
        lacking |= gap if mask is None else gap & ~np.asarray(mask, dtype=bool)
    return lacking


def _score_leaf(
    plan: _LeafPlan,
    batch: Batch,
    types: _TypeMasks,
    points: npt.NDArray[np.int64],
    reasons: npt.NDArray[np.int16],
    applicable: npt.NDArray[np.bool_],
    unit_at: Callable[[int], str] | None = None,
) -> None:
    """Score ``leaf`` over ``batch`` into the given rows, in the order of decision 0023:
    unit type, ``applies_when``, ``full_points_when``, the kind's rules that need no
    missing fact (``decided_without``), ``when_missing``, then the kind's score.
    ``unit_at`` names the unit at a position of the batch (for the message when the
    kind fails)."""
    leaf = plan.leaf
    criterion = leaf.criterion
    size = batch.size
    # The rows may be reused buffers: every cell is written, none is assumed zero.
    points[:] = 0
    reasons[:] = 0
    applicable[:] = True
    if plan.unit_types is not None:
        by_type = types.any_of(plan.unit_types)
        # putmask: several times faster than a boolean index for a mask of mixed units
        np.putmask(reasons, ~by_type, NOT_APPLICABLE_UNIT_TYPE)
        applicable &= by_type
    missing = _lacking(plan, batch)
    columns: dict[str, FactColumn] = {}
    if leaf.condition is not None or leaf.full_points is not None:
        columns = {**batch.columns, UNIT_TYPE: unit_type_column(batch.unit_types)}
    if leaf.condition is not None:
        # A condition that cannot be decided (a missing input) follows when_missing.
        answer = leaf.condition.evaluate(columns, size)
        missing |= answer.missing
        holds = answer.values.astype(bool) | answer.missing
        reasons[applicable & ~holds] = NOT_APPLICABLE_CONDITION
        applicable &= holds
    if leaf.full_points is not None:
        # NOTE: only a definite "yes" gives full points; an undecidable answer (a missing
        # input) leaves the unit to be scored as usual.
        answer = leaf.full_points.evaluate(columns, size)
        full = applicable & answer.values.astype(bool) & ~answer.missing
        points[full] = leaf.kind.criterion.max_units
        reasons[full] = FULL_POINTS_CONDITION
        applicable_to_score = applicable & ~full
    else:
        applicable_to_score = applicable
    missing &= applicable_to_score
    if criterion.when_missing == "zero":
        reasons[missing] = MISSING_ZERO
    else:
        reasons[missing] = MISSING_NOT_APPLICABLE
        applicable &= ~missing
    scored = applicable_to_score & ~missing
    count = int(np.count_nonzero(scored))
    if count == 0:
        return
    to_score = None if count == size else np.flatnonzero(scored)
    # Only the facts this kind reads travel into its batch: copying every column for
    # every criterion would cost more than the scoring itself.
    if to_score is None:
        sub = Batch(batch.unit_types, {f: batch[f] for f in plan.read})
    else:
        sub = Batch(batch.unit_types[to_score], {f: batch[f].take(to_score) for f in plan.read})

    def named() -> str:
        first = 0 if to_score is None else int(to_score[0])
        return f" for {count} units from {unit_at(first)}" if unit_at else ""

    score = _check_score(
        leaf, call_kind(leaf, plan.method, lambda: leaf.kind.score_batch(sub), named), count
    )
    # Every unit: a slice copy, as scattering through an index costs several times more.
    at: slice | npt.NDArray[np.intp] = slice(None) if to_score is None else to_score
    points[at] = score.points
    reasons[at] = score.reasons
    if score.applicable is not None:
        applicable[at] = score.applicable
        not_applicable = np.flatnonzero(~score.applicable)
        points[not_applicable if to_score is None else to_score[not_applicable]] = 0


def score_leaf(leaf: Leaf, batch: Batch) -> PointsMatrix:
    """One leaf over every unit of ``batch``, as :func:`score_units` scores each leaf:
    applicability, missing values, the kind, and the checks of what it returns.

    A one-row matrix. The author's kit scores its golden cases with it, so a case
    passes only when a run would give the same result.
    """
    points = np.zeros((1, batch.size), dtype=np.int64)
    reasons = np.zeros((1, batch.size), dtype=np.int16)
    applicable = np.zeros((1, batch.size), dtype=bool)
    types = _TypeMasks(batch.unit_types)
    _score_leaf(_LeafPlan.of(leaf), batch, types, points[0], reasons[0], applicable[0])
    return PointsMatrix(points, reasons, applicable)


def _unit_at(units: UnitTable, start: int, position: int) -> str:
    return units.unit_id(start + position)


def score_units(
    ruleset: CompiledRuleset,
    units: UnitTable,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_progress: Callable[[int], None] | None = None,
) -> PointsMatrix:
    """Score every leaf of ``ruleset`` for every unit, ``batch_size`` units at a time.

    ``on_progress`` is called with the number of units finished after each batch.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    count = len(units)
    leaves = len(ruleset.leaves)
    points = np.empty((leaves, count), dtype=np.int64)
    reasons = np.empty((leaves, count), dtype=np.int16)
    applicable = np.empty((leaves, count), dtype=bool)
    full = with_computed_facts(ruleset, units.batch(), units)
    check_inputs(ruleset, units, full)
    # NOTE: here, where every way of scoring passes (in memory, streamed pieces, Dask,
    # the store), after the kinds' own checks: a cell a kind refuses is named as such
    warnings = check_facts(ruleset, units, full)
    # NOTE: each batch is scored into buffers allocated once and kept warm, then copied
    # into the matrix a block at a time. Scattering each criterion's points straight
    # into the freshly allocated matrix faulted its pages in one by one, and that cost
    # more than the scoring itself (decision 0030).
    plans = [_LeafPlan.of(leaf) for leaf in ruleset.leaves]
    width = min(batch_size, count)
    batch_points = np.empty((leaves, width), dtype=np.int64)
    batch_reasons = np.empty((leaves, width), dtype=np.int16)
    batch_applicable = np.empty((leaves, width), dtype=bool)
    for start in range(0, count, batch_size):
        stop = min(start + batch_size, count)
        size = stop - start
        batch = _window(full, start, stop)
        types = _TypeMasks(batch.unit_types)
        for row, plan in enumerate(plans):
            _score_leaf(
                plan,
                batch,
                types,
                batch_points[row, :size],
                batch_reasons[row, :size],
                batch_applicable[row, :size],
                functools.partial(_unit_at, units, start),
            )
        points[:, start:stop] = batch_points[:, :size]
        reasons[:, start:stop] = batch_reasons[:, :size]
        applicable[:, start:stop] = batch_applicable[:, :size]
        if on_progress is not None:
            on_progress(stop - start)
    return PointsMatrix(points, reasons, applicable, warnings)
