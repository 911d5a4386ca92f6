"""The ``survey_scaled`` kind: a survey or test score scaled to the criterion's maximum."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
    FactValue,
    Reason,
    StrictParams,
    UnitScore,
    div_half_up,
    fact_fraction,
    number_text,
    round_fraction,
    times,
)
from cchc_rules.scoring._builtin._common import Positive, to_points

__all__ = ["SurveyScaled", "SurveyScaledParams"]


class SurveyScaledParams(StrictParams):
    score: FactName = Field(
        description="Integer or decimal fact: the unit's survey or test score, 0 to scale_max."
    )
    scale_max: Positive = Field(description="The best possible score, e.g. 100 or 10.")


class SurveyScaled(CriterionKind[SurveyScaledParams]):
    """Điểm khảo sát (điều tra xã hội học, bài kiểm tra) quy đổi theo điểm tối đa của tiêu chí.

    A survey or test score scaled to the criterion's maximum points.

    ``points = max_points × score ÷ scale_max``, rounded half-up to the ruleset's
    precision. Reason ``full`` when that is the maximum, ``scaled`` otherwise. A score
    below 0 or above ``scale_max`` is refused as bad input.

    Example::

        [[areas.criteria]]
        id = "A7"
        name.vi = "Hiểu biết của công chức về CCHC"
        name.en = "Staff knowledge of PAR"
        max_points = 1.5
        kind = "survey_scaled"
        params = { score = "par_quiz_score", scale_max = 100 }
    """

    name: ClassVar[str] = "survey_scaled"
    Params: ClassVar[type[SurveyScaledParams]] = SurveyScaledParams
    summary: ClassVar[Mapping[str, str]] = {
        "vi": "Điểm khảo sát quy đổi theo điểm tối đa.",
        "en": "A survey score scaled to the maximum.",
    }
    reasons: ClassVar[Sequence[Reason]] = (
        Reason(
            "full",
            vi="Điểm khảo sát {score}/{scale_max}: đủ {max_points} điểm",
            en="Survey score {score} of {scale_max}: the full {max_points} points",
        ),
        Reason(
            "scaled",
            vi="Điểm khảo sát {score}/{scale_max}, quy đổi được {points}/{max_points} điểm",
            en="Survey score {score} of {scale_max}, scaled to {points} of {max_points} points",
            hint_vi="Điểm khảo sát càng cao thì điểm càng cao; đạt {scale_max} được tối đa "
            "{max_points} điểm",
            hint_en="A higher survey score earns more; {scale_max} earns the full {max_points} "
            "points",
        ),
    )

    def _scores(self, batch: Batch) -> tuple[npt.NDArray[np.int64], int, int]:
        """(score × q, top): the score is within range when 0 ≤ score × q ≤ top."""
        column = batch[self.params.score]
        p, q = self.params.scale_max.as_integer_ratio()
        return np.asarray(column.values, dtype=np.int64), q, column.scale * p

    def input_problems(self, batch: Batch) -> list[tuple[npt.NDArray[np.bool_], str, str]]:
        values, q, top = self._scores(batch)
        scores = times(values, q)
        outside = np.asarray((scores < 0) | (scores > top), dtype=np.bool_)
        bad = ~batch[self.params.score].missing & outside
        if not bad.any():
            return []
        message = (
            f"expected a survey score between 0 and {number_text(self.params.scale_max)} "
            f"(got one outside)"
        )
        return [(bad, self.params.score, message)]

    def score_batch(self, batch: Batch) -> BatchScore:
        values, q, top = self._scores(batch)
        # Clipped so out-of-range input (refused by input_problems) still scores in bounds.
        scores = np.clip(times(values, q), 0, top)
        max_units = self.criterion.max_units
        points = to_points(div_half_up(times(scores, max_units), top))
        reasons = np.where(
            points == max_units, self.reason_code("full"), self.reason_code("scaled")
        )
        return BatchScore(points, reasons.astype(np.int16))

    def score_unit(self, facts: Mapping[str, FactValue]) -> UnitScore:
        share = fact_fraction(facts[self.params.score]) / Fraction(self.params.scale_max)
        share = min(max(share, Fraction(0)), Fraction(1))
        points = round_fraction(share * Fraction(self.criterion.max_points), self.criterion.scale)
        return UnitScore(points, "full" if points == self.criterion.max_points else "scaled")

    def explain_values(self, facts: Mapping[str, FactValue]) -> dict[str, Any]:
        return {
            "score": number_text(fact_fraction(facts[self.params.score])),
            "scale_max": number_text(self.params.scale_max),
        }
