"""Columnar scoring: every criterion scores whole batches of units at once.

The engine decides applicability (unit type, condition) and missing values, hands each
kind only the units it must score, and checks what the kind returns. The result is a
points matrix (criteria × units) of exact integers in units of ``1/ruleset.scale``,
with a reason code per cell. Batches are independent and scoring is per unit, so the
result does not depend on batch size or unit order.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cchc_rules.errors import MAX_ROWS_PER_PROBLEM, InputError, Problem
from cchc_rules.expressions import (
    UNIT_TYPE,
    ExpressionOverflowError,
    evaluate_all,
    unit_type_column,
)
from cchc_rules.inputs._fact_checks import FactWarning, check_facts
from cchc_rules.inputs._overflow import overflow_error
from cchc_rules.inputs._units import UnitTable
from cchc_rules.kinds import Batch, FactColumn
from cchc_rules.ruleset._compiled import CompiledRuleset, Leaf
from cchc_rules.scoring._kind_calls import (
    call_kind,
    check_array,
    check_score,
    kind_failed,
    out_of_range,
    undeclared_reason,
)
from cchc_rules.scoring._plan import LeafPlan, Stack, scoring_plan

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
        check_array(leaf, "masks from input_problems", mask, (batch.size,), "b", "a bool array")
    return found


def _window(batch: Batch, start: int, stop: int) -> Batch:
    """Units ``start:stop`` of ``batch`` as views: a contiguous batch needs no copy."""
    return Batch(
        batch.unit_types[start:stop],
        {name: col.window(start, stop) for name, col in batch.columns.items()},
    )


class _TypeMasks:
    """``unit_type in types`` per set of unit types, computed once per batch and shared
    by the criteria."""

    def __init__(self, unit_types: npt.NDArray[np.object_]) -> None:
        self.unit_types = unit_types
        self.masks: dict[tuple[str, ...], npt.NDArray[np.bool_]] = {}

    def any_of(self, types: tuple[str, ...]) -> npt.NDArray[np.bool_]:
        """Read-only: the mask is shared."""
        if types not in self.masks:
            mask = np.zeros(len(self.unit_types), dtype=bool)
            for unit_type in types:
                one = (unit_type,)
                if one not in self.masks:
                    self.masks[one] = np.asarray(self.unit_types == unit_type, dtype=bool)
                mask |= self.masks[one]
            self.masks[types] = mask
        return self.masks[types]


def _lacking(
    plan: LeafPlan, batch: Batch, gaps: dict[str, npt.NDArray[np.bool_]]
) -> npt.NDArray[np.bool_]:
    """Units missing a required fact the kind needs for them (``gaps``: the required
    facts with a missing value somewhere in the batch, and where).

    NOTE: the kind's own "nothing to score" rules come before ``when_missing`` (decision
    0023): where ``decided_without`` spares a fact (a zero denominator spares the
    numerator), its absence is not a missing input and the kind decides the unit.
    """
    leaf, kind = plan.leaf, plan.leaf.kind
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
            raise kind_failed(
                leaf,
                f"decided_without returned a mask of the wrong length for {fact!r} "
                f"(expected {batch.size})",
            )
        lacking |= gap if mask is None else gap & ~np.asarray(mask, dtype=bool)
    return lacking


def _decide(
    plan: LeafPlan,
    batch: Batch,
    types: _TypeMasks,
    points: npt.NDArray[np.int64],
    reasons: npt.NDArray[np.int16],
    applicable: npt.NDArray[np.bool_],
) -> npt.NDArray[np.bool_] | None:
    """The engine's part of scoring ``leaf`` over ``batch``, in the order of decision
    0023: unit type, ``applies_when``, ``full_points_when``, the kind's rules that need
    no missing fact (``decided_without``), ``when_missing``. Writes the cells it decides
    into the given rows and returns the units left for the kind to score, or ``None``
    when that is every unit (then only ``applicable`` is written: the kind writes every
    other cell).
    """
    leaf = plan.leaf
    criterion = leaf.criterion
    size = batch.size
    # The rows may be reused buffers: every cell is written, none is assumed zero.
    applicable[:] = True
    gaps = {f: batch[f].missing for f in plan.required if batch[f].missing.any()}
    every_unit = plan.unit_types is None and leaf.condition is None and leaf.full_points is None
    if every_unit and not gaps:
        return None
    points[:] = 0
    reasons[:] = 0
    if plan.unit_types is not None:
        by_type = types.any_of(plan.unit_types)
        # putmask: several times faster than a boolean index for a mask of mixed units
        np.putmask(reasons, ~by_type, NOT_APPLICABLE_UNIT_TYPE)
        applicable &= by_type
    missing = _lacking(plan, batch, gaps)
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
    left: npt.NDArray[np.bool_] = applicable_to_score & ~missing
    return left


def _score_leaf(
    plan: LeafPlan,
    batch: Batch,
    types: _TypeMasks,
    points: npt.NDArray[np.int64],
    reasons: npt.NDArray[np.int16],
    applicable: npt.NDArray[np.bool_],
    unit_at: Callable[[int], str] | None = None,
) -> None:
    """Score ``leaf`` over ``batch`` into the given rows: the engine's part
    (:func:`_decide`), then the kind's score of the units left, which are all it is
    given. ``unit_at`` names the unit at a position of the batch (for the message when
    the kind fails)."""
    leaf = plan.leaf
    size = batch.size
    scored = _decide(plan, batch, types, points, reasons, applicable)
    count = size if scored is None else int(np.count_nonzero(scored))
    if count == 0:
        return
    to_score = None if scored is None or count == size else np.flatnonzero(scored)
    # Only the facts this kind reads travel into its batch: copying every column for
    # every criterion would cost more than the scoring itself.
    if to_score is None:
        sub = Batch(batch.unit_types, {f: batch[f] for f in plan.read})
    else:
        sub = Batch(batch.unit_types[to_score], {f: batch[f].take(to_score) for f in plan.read})

    def named() -> str:
        first = 0 if to_score is None else int(to_score[0])
        return f" for {count} units from {unit_at(first)}" if unit_at else ""

    score = check_score(
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


def _score_stack(
    stack: Stack,
    batch: Batch,
    types: _TypeMasks,
    points: npt.NDArray[np.int64],
    reasons: npt.NDArray[np.int16],
    applicable: npt.NDArray[np.bool_],
    decided: tuple[npt.NDArray[np.int64], npt.NDArray[np.int16]],
    unit_at: Callable[[int], str] | None = None,
) -> None:
    """Score the leaves of ``stack`` over ``batch`` into the given rows (one per leaf):
    the engine's part for each leaf, then one call of the kind's stacked scorer over
    every unit, straight into the rows; then the cells the engine decided are put back.

    ``decided`` holds the engine's part meanwhile: a scratch row for its points (0, or
    the maximum where ``full_points_when`` holds: known again from the reason), and
    reasons of the rows' shape.
    """
    assert stack.scorer is not None
    scorer = stack.scorer
    scratch, decided_reasons = decided
    left = [
        _decide(plan, batch, types, scratch, decided_reasons[row], applicable[row])
        for row, plan in enumerate(stack.leaves)
    ]
    if all(scored is not None and not scored.any() for scored in left):
        points[:] = 0
        reasons[:] = decided_reasons
        for row in range(len(left)):
            _full_points_back(stack, row, points[row], decided_reasons[row])
        return
    sub = Batch(batch.unit_types, {f: batch[f] for f in stack.reads})

    def named() -> str:
        return f" for {batch.size} units from {unit_at(0)}" if unit_at else ""

    dropped = call_kind(
        stack.leaves[0].leaf,
        "stacked scoring",
        lambda: scorer.score(sub, points, reasons),
        named,
        criteria=stack.criteria,
    )
    _check_stack(stack, points, reasons, dropped)
    for row, scored in enumerate(left):
        if dropped is not None:
            by_kind = ~dropped[row] if scored is None else scored & ~dropped[row]
            applicable[row] &= ~by_kind
            np.putmask(points[row], by_kind, 0)
        if scored is not None:
            # putmask: several times faster than a masked copyto or a boolean index
            unscored = ~scored
            np.putmask(reasons[row], unscored, decided_reasons[row])
            np.putmask(points[row], unscored, 0)
            _full_points_back(stack, row, points[row], decided_reasons[row])


def _full_points_back(
    stack: Stack,
    row: int,
    points: npt.NDArray[np.int64],
    decided_reasons: npt.NDArray[np.int16],
) -> None:
    """The maximum where the engine gave the leaf full points (``full_points_when``),
    known by its reason: every other cell the engine decides has 0 points."""
    if stack.leaves[row].leaf.full_points is not None:
        full = decided_reasons == FULL_POINTS_CONDITION
        np.putmask(points, full, stack.maxima[row])


def _check_stack(
    stack: Stack,
    points: npt.NDArray[np.int64],
    reasons: npt.NDArray[np.int16],
    applicable: object,
) -> None:
    """What a stacked scorer wrote and returned, checked over every cell, as
    :func:`check_score` checks one criterion's score."""
    if applicable is not None:
        check_array(
            stack.leaves[0].leaf, "applicable", applicable, points.shape, "b", "a bool array"
        )
    if points.min() < 0 or (points.max(axis=1) > stack.maxima).any():
        for row, plan in enumerate(stack.leaves):
            bad = np.flatnonzero((points[row] < 0) | (points[row] > stack.maxima[row]))
            if len(bad):
                raise out_of_range(plan.leaf, int(points[row, bad[0]]))
    reason_count = len(type(stack.leaves[0].leaf.kind).reasons)
    if reasons.min() < 0 or reasons.max() >= reason_count:
        for row, plan in enumerate(stack.leaves):
            if reasons[row].min() < 0 or reasons[row].max() >= reason_count:
                raise undeclared_reason(plan.leaf)


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
    _score_leaf(LeafPlan.of(leaf), batch, types, points[0], reasons[0], applicable[0])
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
    # into the matrix a row at a time. Scattering each criterion's points straight into
    # the freshly allocated matrix faulted its pages in one by one, and that cost more
    # than the scoring itself (decision 0030). The buffers hold each stack's leaves in
    # adjacent rows (decision 0037), so their rows are in the plan's order.
    plan = scoring_plan(ruleset)
    width = min(batch_size, count)
    batch_points = np.empty((leaves, width), dtype=np.int64)
    batch_reasons = np.empty((leaves, width), dtype=np.int16)
    batch_applicable = np.empty((leaves, width), dtype=bool)
    tallest = max((len(stack.leaves) for stack in plan.stacks if stack.scorer), default=0)
    scratch_points = np.empty(width, dtype=np.int64)
    decided_reasons = np.empty((tallest, width), dtype=np.int16)
    for start in range(0, count, batch_size):
        stop = min(start + batch_size, count)
        size = stop - start
        batch = _window(full, start, stop)
        types = _TypeMasks(batch.unit_types)
        unit_at = functools.partial(_unit_at, units, start)
        for stack in plan.stacks:
            if stack.scorer is None:
                _score_leaf(
                    stack.leaves[0],
                    batch,
                    types,
                    batch_points[stack.start, :size],
                    batch_reasons[stack.start, :size],
                    batch_applicable[stack.start, :size],
                    unit_at,
                )
                continue
            rows, height = stack.rows, len(stack.leaves)
            _score_stack(
                stack,
                batch,
                types,
                batch_points[rows, :size],
                batch_reasons[rows, :size],
                batch_applicable[rows, :size],
                (scratch_points[:size], decided_reasons[:height, :size]),
                unit_at,
            )
        for row, buffer_row in enumerate(plan.buffer_rows):
            points[row, start:stop] = batch_points[buffer_row, :size]
            reasons[row, start:stop] = batch_reasons[buffer_row, :size]
            applicable[row, start:stop] = batch_applicable[buffer_row, :size]
        if on_progress is not None:
            on_progress(stop - start)
    return PointsMatrix(points, reasons, applicable, warnings)
