"""The ``proportional`` kind: points in proportion to a ratio, full at a target percentage."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Annotated, Any, ClassVar

import numpy as np
import numpy.typing as npt
from pydantic import Field

from cchc_rules.kinds import (
    Batch,
    CriterionKind,
    FactValue,
    Reason,
    StackScorer,
    UnitScore,
    div_half_up,
    fact_fraction,
    number_text,
    round_fraction,
    times,
)
from cchc_rules.scoring._builtin._common import Positive, percent_text, to_points
from cchc_rules.scoring._builtin._ratio import (
    RatioParams,
    ZeroDenominatorRule,
    negative_problems,
    ratio_terms,
    unit_ratio,
    zero_denominator_spares_numerator,
)

__all__ = ["Proportional", "ProportionalParams"]


class ProportionalParams(RatioParams):
    target_percent: Annotated[Positive, Field(le=100)] = Field(
        default=Decimal(100),
        description="Percentage (numerator ÷ denominator × 100) that earns the full points; "
        "above it the points stay at the maximum.",
    )


class Proportional(CriterionKind[ProportionalParams]):
    """Điểm tỷ lệ thuận với tỷ lệ đạt được (tử số ÷ mẫu số), đủ điểm khi đạt mục tiêu.

    Points in proportion to a ratio (numerator ÷ denominator), full at a target percentage.

    ``points = max_points × min(ratio ÷ target_percent %, 1)``, rounded half-up to the
    ruleset's precision (with 2 decimals, 2 of 3 reports on time on a 1-point criterion
    gives 0.67). Full points give reason ``at_target``, fewer ``partial``. A zero
    denominator either drops the criterion for the unit
    (``zero_denominator = "not_applicable"``, reason ``zero_denominator_na``) or gives
    full points (``"full_points"``, ``zero_denominator_full``), even beside a missing
    numerator: nothing arose, so nothing was left out. A missing denominator, or a
    missing numerator beside a denominator above 0, follows the criterion's
    ``when_missing``.

    Example::

        [[areas.criteria]]
        id = "A4.1"
        name.vi = "Báo cáo CCHC định kỳ nộp đúng hạn"
        name.en = "Periodic PAR reports submitted on time"
        max_points = 1.5
        kind = "proportional"
        [areas.criteria.params]
        numerator = "reports_on_time"
        denominator = "reports_due"
        target_percent = 100
        zero_denominator = "not_applicable"
    """

    name: ClassVar[str] = "proportional"
    Params: ClassVar[type[ProportionalParams]] = ProportionalParams
    summary: ClassVar[Mapping[str, str]] = {
        "vi": "Điểm tỷ lệ thuận với tỷ lệ đạt được so với mục tiêu.",
        "en": "Points in proportion to a ratio, full at a target.",
    }
    reasons: ClassVar[Sequence[Reason]] = (
        Reason(
            "at_target",
            vi="Tỷ lệ đạt {percent}% (mục tiêu {target_percent}%): đủ {max_points} điểm",
            en="{percent}% achieved (target {target_percent}%): the full {max_points} points",
        ),
        Reason(
            "partial",
            vi="Tỷ lệ đạt {percent}% so với mục tiêu {target_percent}%: được {points}/{max_points}"
            " điểm",
            en="{percent}% achieved against a target of {target_percent}%: {points} of "
            "{max_points} points",
            hint_vi="Đạt tỷ lệ {target_percent}% để được tối đa {max_points} điểm",
            hint_en="Reach {target_percent}% to get the full {max_points} points",
        ),
        Reason(
            "zero_denominator_na",
            vi="Không phát sinh trong kỳ (mẫu số bằng 0): tiêu chí không áp dụng",
            en="Nothing arose in the period (the denominator is 0): the criterion does not apply",
        ),
        Reason(
            "zero_denominator_full",
            vi="Không phát sinh trong kỳ (mẫu số bằng 0): được tối đa điểm",
            en="Nothing arose in the period (the denominator is 0): full points",
        ),
    )

    def input_problems(self, batch: Batch) -> list[tuple[npt.NDArray[np.bool_], str, str]]:
        return negative_problems(batch, self.params)

    def decided_without(self, batch: Batch) -> Mapping[str, npt.NDArray[np.bool_]]:
        return zero_denominator_spares_numerator(batch, self.params)

    @classmethod
    def stacked(cls, kinds: Sequence[Proportional]) -> StackScorer:
        return _Proportions(kinds)

    def score_unit(self, facts: Mapping[str, FactValue]) -> UnitScore:
        ratio = unit_ratio(facts, self.params)
        max_points = self.criterion.max_points
        if ratio is None:
            if self.params.zero_denominator == "full_points":
                return UnitScore(max_points, "zero_denominator_full")
            return UnitScore(Decimal(0), "zero_denominator_na", applicable=False)
        share = min(ratio * 100 / Fraction(self.params.target_percent), Fraction(1))
        points = round_fraction(share * Fraction(max_points), self.criterion.scale)
        return UnitScore(points, "at_target" if points == max_points else "partial")

    def explain_values(self, facts: Mapping[str, FactValue]) -> dict[str, Any]:
        denominator = fact_fraction(facts[self.params.denominator])
        values: dict[str, Any] = {
            # Missing beside a zero denominator (decided_without).
            "numerator": facts.get(self.params.numerator),
            "denominator": facts[self.params.denominator],
            "target_percent": number_text(self.params.target_percent),
        }
        if denominator != 0:
            numerator = fact_fraction(facts[self.params.numerator])
            values["percent"] = percent_text(numerator, denominator)
        return values


class _Proportions:
    """Every proportional criterion of a ruleset over a batch, into the engine's rows."""

    def __init__(self, kinds: Sequence[Proportional]) -> None:
        self.rules = [
            (
                kind.params,
                kind.params.target_percent.as_integer_ratio(),
                kind.criterion.max_units,
                ZeroDenominatorRule.of(kind),
            )
            for kind in kinds
        ]
        self.at_target = Proportional.reason_code("at_target")
        self.partial = Proportional.reason_code("partial")

    def score(
        self, batch: Batch, points: npt.NDArray[np.int64], reasons: npt.NDArray[np.int16]
    ) -> npt.NDArray[np.bool_] | None:
        applicable: npt.NDArray[np.bool_] | None = None
        for row, (params, (p, q), max_units, zero_denominator) in enumerate(self.rules):
            top, bottom = ratio_terms(batch, params)
            # ratio ÷ (p/q %) = top × 100 × q ÷ (bottom × p), capped at 1 before scaling;
            # a zero denominator is decided below, so it divides by 1 here.
            reached = times(top, 100 * q)
            target = times(np.maximum(bottom, 1), p)
            capped = np.minimum(reached, target)
            points[row] = to_points(div_half_up(times(capped, max_units), target))
            full = np.asarray(points[row] == max_units, dtype=np.bool_)
            np.multiply(full, self.at_target - self.partial, out=reasons[row], casting="unsafe")
            reasons[row] += self.partial
            applicable = zero_denominator.apply(bottom, row, points, reasons, applicable)
        return applicable
