"""The ``appraised`` kind: the points the appraisal council set, with its note."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
from pydantic import Field

from cchc_rules.kinds import (
    Batch,
    BatchScore,
    CriterionKind,
    FactName,
    FactType,
    FactValue,
    Reason,
    StrictParams,
    UnitScore,
    fact_fraction,
    number_text,
    times,
)
from cchc_rules.scoring._builtin._common import to_points

__all__ = ["Appraised", "AppraisedParams"]


class AppraisedParams(StrictParams):
    points: FactName = Field(
        description="Integer or decimal fact: the points the appraisal council set for the unit."
    )
    note: FactName = Field(
        description="Text fact: the council's note; required where the points are below the "
        "maximum, may be empty otherwise."
    )


class Appraised(CriterionKind[AppraisedParams]):
    """Điểm do hội đồng thẩm định chấm; chấm dưới điểm tối đa phải có nhận xét.

    Points set by the appraisal council; below the maximum, the council's note is required.

    The unit gets the council's points as they are (reason ``full`` at the maximum,
    ``adjusted`` below it, explained by the note). Refused as bad input: points below 0
    or above ``max_points``, points finer than the ruleset's precision, and points below
    the maximum without a note.

    Example::

        [[areas.criteria]]
        id = "A8"
        name.vi = "Sáng kiến, giải pháp mới trong CCHC"
        name.en = "PAR innovations"
        max_points = 2
        kind = "appraised"
        params = { points = "innovation_points", note = "innovation_note" }
    """

    name: ClassVar[str] = "appraised"
    Params: ClassVar[type[AppraisedParams]] = AppraisedParams
    summary: ClassVar[Mapping[str, str]] = {
        "vi": "Điểm do hội đồng thẩm định chấm, kèm nhận xét.",
        "en": "Points set by the appraisal council, with its note.",
    }
    reasons: ClassVar[Sequence[Reason]] = (
        Reason(
            "full",
            vi="Hội đồng thẩm định công nhận đủ {max_points} điểm",
            en="The appraisal council confirmed the full {max_points} points",
        ),
        Reason(
            "adjusted",
            vi="Hội đồng thẩm định chấm {points}/{max_points} điểm: {note}",
            en="The appraisal council set {points} of {max_points} points: {note}",
            hint_vi="Khắc phục các điểm hội đồng thẩm định đã nêu trong nhận xét",
            hint_en="Address the points the appraisal council raised in its note",
        ),
    )

    def fact_types(self) -> Mapping[str, Sequence[FactType]]:
        return {self.params.points: ("integer", "decimal"), self.params.note: ("text",)}

    def optional_facts(self) -> list[str]:
        return [self.params.note]

    def _units(self, batch: Batch) -> tuple[npt.NDArray[Any], int, int]:
        """(points × scale, the column's scale, max × column scale) in exact integers."""
        column = batch[self.params.points]
        values = np.asarray(column.values, dtype=np.int64)
        return (
            times(values, self.criterion.scale),
            column.scale,
            (self.criterion.max_units * column.scale),
        )

    def input_problems(self, batch: Batch) -> list[tuple[npt.NDArray[np.bool_], str, str]]:
        scaled, column_scale, top = self._units(batch)
        present = ~batch[self.params.points].missing
        max_points = number_text(self.criterion.max_points)
        problems: list[tuple[npt.NDArray[np.bool_], str, str]] = []
        outside = present & np.asarray((scaled < 0) | (scaled > top), dtype=np.bool_)
        if outside.any():
            problems.append(
                (
                    outside,
                    self.params.points,
                    f"expected appraised points between 0 and {max_points} (got points outside)",
                )
            )
        finer = present & np.asarray(scaled % column_scale != 0, dtype=np.bool_)
        if finer.any():
            problems.append(
                (
                    finer,
                    self.params.points,
                    f"expected appraised points in steps of {Decimal(1) / self.criterion.scale} "
                    f"(got finer points)",
                )
            )
        blank = batch[self.params.note].blank()
        unexplained = present & ~outside & np.asarray(scaled < top, dtype=np.bool_) & blank
        if unexplained.any():
            problems.append(
                (
                    unexplained,
                    self.params.note,
                    "expected a note from the appraisal council explaining why the points are "
                    f"below the maximum {max_points} (got none)",
                )
            )
        return problems

    def score_batch(self, batch: Batch) -> BatchScore:
        scaled, column_scale, top = self._units(batch)
        # Clipped and floored so refused input still scores within bounds.
        points = to_points(np.clip(scaled, 0, top) // column_scale)
        reasons = np.where(
            points == self.criterion.max_units,
            self.reason_code("full"),
            self.reason_code("adjusted"),
        )
        return BatchScore(points, reasons.astype(np.int16))

    def score_unit(self, facts: Mapping[str, FactValue]) -> UnitScore:
        max_points = self.criterion.max_points
        value = fact_fraction(facts[self.params.points])
        value = min(max(value, Fraction(0)), Fraction(max_points))
        points = Decimal(math.floor(value * self.criterion.scale)) / self.criterion.scale
        return UnitScore(points, "full" if points == max_points else "adjusted")

    def explain_values(self, facts: Mapping[str, FactValue]) -> dict[str, Any]:
        note = facts.get(self.params.note)
        return {"note": note.strip() if isinstance(note, str) else ""}
