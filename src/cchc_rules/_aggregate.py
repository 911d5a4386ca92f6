"""From the points matrix to totals, indexes, grades and ranks — exactly.

All sums are integers in units of ``1/scale``. The index is the rational
``total / applicable_max``: grades compare it with band thresholds by integer
cross-multiplication, so a unit whose points add up exactly to a threshold gets that
grade whatever the order of summation. The displayed index is truncated (not rounded)
to hundredths of a percent, so it never shows a value at or above a threshold the unit
has not reached.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from cchc_rules._engine import PointsMatrix
from cchc_rules._facts import UnitTable
from cchc_rules._loading import CompiledRuleset
from cchc_rules._models import Band

__all__ = ["Aggregates", "NodeTotals", "aggregate", "grade_units", "rank_within_groups"]

NO_GRADE = -1
NO_RANK = 0
# Ordering indexes by float64 division is exact while every maximum stays below this
# many units: two different fractions t1/m1 ≠ t2/m2 then differ by at least 1/(m1·m2),
# far more than a float64 rounding step, and equal fractions divide to equal floats.
MAX_EXACT_UNITS = 2**24


@dataclass(frozen=True)
class NodeTotals:
    """Points and applicable maximum of one area or group criterion, per unit."""

    points: npt.NDArray[np.int64]
    maximum: npt.NDArray[np.int64]


@dataclass(frozen=True)
class Aggregates:
    total: npt.NDArray[np.int64]
    applicable_max: npt.NDArray[np.int64]
    index_bp: npt.NDArray[np.int64]
    """Index in hundredths of a percent, truncated; meaningless where applicable_max is 0."""
    grade: npt.NDArray[np.int16]
    """Position of the grade in the unit's bands; ``NO_GRADE`` where nothing applies."""
    rank: npt.NDArray[np.int64]
    """Rank within the peer group, from 1; ``NO_RANK`` where nothing applies."""
    nodes: dict[str, NodeTotals]
    """Areas and group criteria by id."""


def _fraction(value: Decimal) -> tuple[int, int]:
    numerator, denominator = value.as_integer_ratio()
    return numerator, denominator


def grade_units(
    total: npt.NDArray[np.int64],
    applicable_max: npt.NDArray[np.int64],
    unit_types: npt.NDArray[np.object_],
    bands_for: dict[str, list[Band]],
) -> npt.NDArray[np.int16]:
    """Band position per unit: the first band whose ``min_index`` the index reaches."""
    grade = np.full(len(total), NO_GRADE, dtype=np.int16)
    for unit_type, bands in bands_for.items():
        of_type = (unit_types == unit_type) & (applicable_max > 0)
        undecided = of_type.copy()
        for position, band in enumerate(bands):
            numerator, denominator = _fraction(band.min_index)
            # index ≥ n/d  ⇔  total·100·d ≥ n·applicable_max   (all integers)
            reaches = total * (100 * denominator) >= numerator * applicable_max
            chosen = undecided & reaches
            grade[chosen] = position
            undecided &= ~chosen
    return grade


def rank_within_groups(
    total: npt.NDArray[np.int64],
    applicable_max: npt.NDArray[np.int64],
    groups: npt.NDArray[np.object_],
    ties: str,
) -> npt.NDArray[np.int64]:
    """Rank by index, high to low, within each peer group.

    ``shared``: equal index, equal rank, next rank skips (1, 2, 2, 4).
    ``dense``: equal index, equal rank, no skip (1, 2, 2, 3).
    """
    if applicable_max.size and int(applicable_max.max()) >= MAX_EXACT_UNITS:
        raise ValueError("maxima too large to rank exactly by float64 index")
    rank = np.full(len(total), NO_RANK, dtype=np.int64)
    ranked = np.flatnonzero(applicable_max > 0)
    if len(ranked) == 0:
        return rank
    key = total[ranked] / applicable_max[ranked]
    _, group_codes = np.unique(groups[ranked].astype(str), return_inverse=True)
    order = np.lexsort((-key, group_codes))
    sorted_key = key[order]
    sorted_group = group_codes[order]
    new_group = np.ones(len(order), dtype=bool)
    new_group[1:] = sorted_group[1:] != sorted_group[:-1]
    new_value = new_group.copy()
    new_value[1:] |= sorted_key[1:] != sorted_key[:-1]
    positions = np.arange(len(order))
    group_start = np.maximum.accumulate(np.where(new_group, positions, 0))
    if ties == "dense":
        distinct = np.cumsum(new_value)
        ranks_sorted = distinct - distinct[group_start] + 1
    else:
        value_start = np.maximum.accumulate(np.where(new_value, positions, 0))
        ranks_sorted = value_start - group_start + 1
    rank[ranked[order]] = ranks_sorted
    return rank


def aggregate(ruleset: CompiledRuleset, units: UnitTable, matrix: PointsMatrix) -> Aggregates:
    """Totals per area, group criterion and unit; index, grade and rank."""
    count = len(units)
    maxima = np.asarray([leaf.kind.criterion.max_units for leaf in ruleset.leaves], dtype=np.int64)
    earned = np.where(matrix.applicable, matrix.points, 0)
    possible = np.where(matrix.applicable, maxima[:, None], 0)

    members: dict[str, list[int]] = {}
    for row, leaf in enumerate(ruleset.leaves):
        for node in (leaf.area.id, *leaf.parents):
            members.setdefault(node, []).append(row)
    nodes = {
        node: NodeTotals(
            earned[rows].sum(axis=0, dtype=np.int64), possible[rows].sum(axis=0, dtype=np.int64)
        )
        for node, rows in members.items()
    }
    if ruleset.leaves:
        total = earned.sum(axis=0, dtype=np.int64)
        applicable_max = possible.sum(axis=0, dtype=np.int64)
    else:
        total = np.zeros(count, dtype=np.int64)
        applicable_max = np.zeros(count, dtype=np.int64)
    safe_max = np.where(applicable_max > 0, applicable_max, 1)
    index_bp = (total * 10_000) // safe_max
    model = ruleset.model
    bands_for = {name: model.grading.bands_for(name) for name in model.unit_types}
    grade = grade_units(total, applicable_max, units.unit_types, bands_for)
    rank = rank_within_groups(total, applicable_max, units.peer_groups, model.ranking.ties)
    return Aggregates(total, applicable_max, index_bp, grade, rank, nodes)
