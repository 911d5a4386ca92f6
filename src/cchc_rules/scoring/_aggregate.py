"""From the points matrix to totals, indexes, grades and ranks — exactly.

All sums are integers. Criteria points are in units of ``1/criterion_scale``; areas
(with ``per_area`` rounding) or the total (``total_only``) are rounded half-up to the
ruleset's ``1/scale`` (``[scoring]``, :mod:`cchc_rules.scoring._arithmetic`), so totals
and maxima are always in units of ``1/scale``. The index is the rational
``total / applicable_max``; grades compare it, or the displayed index, with band
thresholds by integer cross-multiplication, so a unit whose points add up exactly to a
threshold gets that grade whatever the order of summation. The displayed index is
rounded as the ruleset says (by default truncated to hundredths, so it never shows a
value at or above a threshold the unit has not reached).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt

from cchc_rules.inputs._units import UnitTable
from cchc_rules.kinds import round_half_up_div
from cchc_rules.ruleset._compiled import CompiledRuleset
from cchc_rules.ruleset._models import Band, Scoring
from cchc_rules.scoring._arithmetic import DEFAULT_SCORING, display_index, index_scale
from cchc_rules.scoring._engine import PointsMatrix

__all__ = [
    "NO_GRADE",
    "NO_RANK",
    "Aggregates",
    "NodeTotals",
    "aggregate",
    "grade_units",
    "peer_group_codes",
    "rank_within_groups",
]

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
    scale: int
    """Units per point of both: the ruleset's ``scale`` for an area rounded to it (or
    made of rounded criteria), the finer criterion scale for one left unrounded."""


@dataclass(frozen=True)
class Aggregates:
    total: npt.NDArray[np.int64]
    """In units of ``1/ruleset.scale``, rounded as ``[scoring]`` says."""
    applicable_max: npt.NDArray[np.int64]
    index: npt.NDArray[np.int64]
    """The displayed index in units of ``1/index_scale`` percent, rounded as the ruleset
    says; meaningless where applicable_max is 0."""
    index_scale: int
    """Units per percent of ``index`` (``10^index_decimals``)."""
    grade: npt.NDArray[np.int16]
    """Position of the grade in the unit's bands; ``NO_GRADE`` where nothing applies."""
    rank: npt.NDArray[np.int64]
    """Rank within the peer group, from 1; ``NO_RANK`` where nothing applies."""
    nodes: dict[str, NodeTotals]
    """Areas and group criteria by id."""

    @property
    def index_bp(self) -> npt.NDArray[np.int64]:
        """The displayed index in hundredths of a percent (truncated when the ruleset
        shows more digits): ``index`` itself with the default two decimals.

        NOTE: kept for code written when the index always had two decimals; new code
        reads ``index`` and ``index_scale``.
        """
        if self.index_scale >= 100:
            return self.index // (self.index_scale // 100)
        return self.index * (100 // self.index_scale)


def _fraction(value: Decimal) -> tuple[int, int]:
    numerator, denominator = value.as_integer_ratio()
    return numerator, denominator


def grade_units(
    total: npt.NDArray[np.int64],
    applicable_max: npt.NDArray[np.int64],
    unit_types: npt.NDArray[np.object_],
    bands_for: dict[str, list[Band]],
    scoring: Scoring = DEFAULT_SCORING,
) -> npt.NDArray[np.int16]:
    """Band position per unit: the first band whose ``min_index`` the index reaches.

    ``grade_basis = "exact"`` compares the ratio ``total / applicable_max``;
    ``"displayed"`` the index as shown (rounded), so a unit shown at 90.00 is graded at 90.
    """
    if scoring.grade_basis == "displayed":
        # index ≥ n/d  ⇔  shown·d ≥ n·index_scale, the shown index in 1/index_scale %
        compared = display_index(total, applicable_max, scoring)
        per_percent: npt.NDArray[np.int64] | int = index_scale(scoring)
    else:
        # index ≥ n/d  ⇔  total·100·d ≥ n·applicable_max
        compared, per_percent = total * np.int64(100), applicable_max
    grade = np.full(len(total), NO_GRADE, dtype=np.int16)
    for unit_type, bands in bands_for.items():
        of_type = (unit_types == unit_type) & (applicable_max > 0)
        undecided = of_type.copy()
        for position, band in enumerate(bands):
            numerator, denominator = _fraction(band.min_index)
            reaches = compared * denominator >= numerator * per_percent  # all integers
            chosen = undecided & reaches
            grade[chosen] = position
            undecided &= ~chosen
    return grade


def rank_within_groups(
    total: npt.NDArray[np.int64],
    applicable_max: npt.NDArray[np.int64],
    groups: npt.NDArray[np.integer[Any]],
    ties: str,
    scoring: Scoring = DEFAULT_SCORING,
) -> npt.NDArray[np.int64]:
    """Rank by index, high to low, within each peer group (``groups``: integer codes).

    ``shared``: equal index, equal rank, next rank skips (1, 2, 2, 4).
    ``dense``: equal index, equal rank, no skip (1, 2, 2, 3).
    ``rank_basis = "displayed"`` ranks the index as shown, so units shown alike share a
    rank; ``"exact"`` ranks the ratio ``total / applicable_max``.

    The ranks depend only on the multiset of indexes in each group, never on the order
    of the units, so the whole-table, streaming and distributed runs agree.
    """
    displayed = scoring.rank_basis == "displayed"
    if not displayed and applicable_max.size and int(applicable_max.max()) >= MAX_EXACT_UNITS:
        raise ValueError("maxima too large to rank exactly by float64 index")
    rank = np.full(len(total), NO_RANK, dtype=np.int64)
    ranked = applicable_max > 0
    # One group at a time (there are a handful): the temporaries of a sort then scale
    # with the largest group, not the whole table (10 million units stay well under 1 GiB).
    for code in np.unique(groups[ranked]):
        members = np.flatnonzero(ranked & (groups == code))
        key: npt.NDArray[Any]
        if displayed:
            key = display_index(total[members], applicable_max[members], scoring)
        else:
            key = total[members] / applicable_max[members]
        order = np.argsort(-key, kind="stable")
        sorted_key = key[order]
        new_value = np.ones(len(order), dtype=bool)
        new_value[1:] = sorted_key[1:] != sorted_key[:-1]
        del key, sorted_key
        if ties == "dense":
            ranks_sorted = np.cumsum(new_value, dtype=np.int64)
        else:
            positions = np.arange(1, len(order) + 1, dtype=np.int64)
            ranks_sorted = np.maximum.accumulate(np.where(new_value, positions, 0))
        rank[members[order]] = ranks_sorted
    return rank


def peer_group_codes(
    ruleset: CompiledRuleset, peer_groups: npt.NDArray[np.object_]
) -> npt.NDArray[np.int16]:
    """Each unit's peer group as its position among the ruleset's declared groups."""
    codes = np.full(len(peer_groups), -1, dtype=np.int16)
    for position, group in enumerate(ruleset.model.ranking.peer_groups):
        codes[peer_groups == group] = position
    return codes


def aggregate(
    ruleset: CompiledRuleset, units: UnitTable, matrix: PointsMatrix, *, ranked: bool = True
) -> Aggregates:
    """Totals per area, group criterion and unit; index, grade and rank.

    ``ranked=False`` leaves every rank at ``NO_RANK``: a caller that sees the units in
    parts (streaming, several processes, Dask) ranks them once all parts are in.
    """
    count = len(units)
    scoring = ruleset.arithmetic
    maxima = [leaf.kind.criterion.max_units for leaf in ruleset.leaves]
    members: dict[str, list[int]] = {}
    for row, leaf in enumerate(ruleset.leaves):
        for node in (leaf.area.id, *leaf.parents):
            members.setdefault(node, []).append(row)
    # Row by row into accumulators: no leaves × units temporary is ever built. The
    # engine leaves 0 points wherever a criterion does not apply, so points add as is.
    nodes: dict[str, NodeTotals] = {}
    for node, rows in members.items():
        points = np.zeros(count, dtype=np.int64)
        maximum = np.zeros(count, dtype=np.int64)
        for row in rows:
            points += matrix.points[row]
            maximum += matrix.applicable[row] * np.int64(maxima[row])
        nodes[node] = NodeTotals(points, maximum, ruleset.criterion_scale)
    # Criteria finer than the points (per_area / total_only) are rounded here; maxima
    # are multiples of the points' precision, so they convert exactly.
    finer = ruleset.criterion_scale // ruleset.scale
    if scoring.points_rounding == "per_area":
        for area in ruleset.model.areas:
            if area.id in nodes:
                node_totals = nodes[area.id]
                nodes[area.id] = NodeTotals(
                    round_half_up_div(node_totals.points, finer),
                    node_totals.maximum // finer,
                    ruleset.scale,
                )
    # Areas partition the leaves, so the unit's totals are the sums of its areas.
    total = np.zeros(count, dtype=np.int64)
    applicable_max = np.zeros(count, dtype=np.int64)
    for area in ruleset.model.areas:
        if area.id in nodes:
            total += nodes[area.id].points
            applicable_max += nodes[area.id].maximum
    if scoring.points_rounding == "total_only":
        total = round_half_up_div(total, finer)
        applicable_max //= finer
    model = ruleset.model
    bands_for = {name: model.grading.bands_for(name) for name in model.unit_types}
    grade = grade_units(total, applicable_max, units.unit_types, bands_for, scoring)
    if ranked:
        codes = peer_group_codes(ruleset, units.peer_groups)
        rank = rank_within_groups(total, applicable_max, codes, model.ranking.ties, scoring)
    else:
        rank = np.full(count, NO_RANK, dtype=np.int64)
    index = display_index(total, applicable_max, scoring)
    return Aggregates(total, applicable_max, index, index_scale(scoring), grade, rank, nodes)
