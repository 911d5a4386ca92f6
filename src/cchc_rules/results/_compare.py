"""What-if: the same units scored under two ruleset versions, side by side."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from cchc_rules.results._scorecards import Scorecards, decimal_array
from cchc_rules.scoring._aggregate import NO_RANK

__all__ = ["SORTS", "Comparison", "Sort"]

Sort = Literal["rank", "movement", "unit"]
SORTS: tuple[Sort, ...] = ("rank", "movement", "unit")


@dataclass(frozen=True)
class Comparison:
    """Scorecards of one unit table under a ``before`` and an ``after`` version.

    Both were read from the same rows, so position ``i`` is the same unit in both.
    """

    before: Scorecards
    after: Scorecards

    def __len__(self) -> int:
        return len(self.after)

    def movement(self) -> npt.NDArray[np.int64]:
        """Places gained in the ranking (rank before − rank after; 0 when either is absent)."""
        before, after = self.before.aggregates.rank, self.after.aggregates.rank
        ranked = (before != NO_RANK) & (after != NO_RANK)
        return np.where(ranked, before.astype(np.int64) - after.astype(np.int64), 0)

    def order(self, sort: Sort = "rank") -> npt.NDArray[np.intp]:
        """Unit positions: by the ``after`` ranking (peer group, rank), by movement
        (biggest climbers first, then by rank after), or by unit id."""
        ranked = self.after.ranked_order()
        if sort == "rank":
            return ranked
        if sort == "unit":
            by_id = pc.sort_indices(self.after.units.unit_ids)
            return np.asarray(by_id.to_numpy(zero_copy_only=False), dtype=np.intp)
        movement = self.movement()
        position = np.empty(len(ranked), dtype=np.int64)
        position[ranked] = np.arange(len(ranked))
        return np.lexsort((position, -movement))

    def to_arrow(self, *, lang: str = "vi", sort: Sort = "rank") -> pa.Table:
        """One row per unit: total, index, grade and rank under each version, and the change.

        ``movement`` is places gained (positive: up), ``index_change`` the change of the
        index in percentage points; both null when a unit has no rank or no index.
        """
        at = self.order(sort)
        columns: dict[str, pa.Array] = {
            "unit_id": self.after.units.unit_ids.take(pa.array(at, pa.int64())),
            "name": self.after.units.names.take(pa.array(at, pa.int64())),
            "unit_type": pa.array(self.after.units.unit_types[at], pa.string()),
            "peer_group": pa.array(self.after.units.peer_groups[at], pa.string()),
        }
        # The change is taken at the finer of the two indexes' precisions (exact: both
        # are whole numbers of their own units).
        common = max(self.before.aggregates.index_scale, self.after.aggregates.index_scale)
        indexes = []
        for side, cards in (("before", self.before), ("after", self.after)):
            agg = cards.aggregates
            has_max = agg.applicable_max[at] > 0
            rank = agg.rank[at]
            indexes.append((agg.index[at] * (common // agg.index_scale), has_max))
            columns[f"total_{side}"] = decimal_array(agg.total[at], cards.ruleset.scale)
            columns[f"max_{side}"] = decimal_array(agg.applicable_max[at], cards.ruleset.scale)
            columns[f"index_{side}"] = decimal_array(agg.index[at], agg.index_scale, has_max)
            columns[f"grade_{side}"] = pa.array(cards.grade_names(lang)[at], pa.string())
            columns[f"rank_{side}"] = pa.array(
                np.where(rank != NO_RANK, rank, 0), pa.int64(), mask=rank == NO_RANK
            )
        (index_before, had), (index_after, has) = indexes
        columns["index_change"] = decimal_array(index_after - index_before, common, had & has)
        both = pc.and_(columns["rank_before"].is_valid(), columns["rank_after"].is_valid())
        movement = self.movement()[at]
        columns["movement"] = pa.array(movement, pa.int64(), mask=~np.asarray(both))
        return pa.table(columns)
