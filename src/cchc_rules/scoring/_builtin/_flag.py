"""The ``flag`` kind: a yes/no fact gives all the points or none."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, ClassVar

import numpy as np
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
)

__all__ = ["Flag", "FlagParams"]


class FlagParams(StrictParams):
    fact: FactName = Field(description="Boolean fact that says whether the requirement is met.")
    good_when: bool = Field(
        default=True,
        description="The fact value that earns the points (false: points when the fact is false, "
        "e.g. 'had a security incident').",
    )


class Flag(CriterionKind[FlagParams]):
    """Đạt / không đạt: một dữ kiện đúng-sai cho đủ điểm hoặc 0 điểm.

    Yes / no: a boolean fact gives the criterion's full points or none.

    A unit whose fact equals ``good_when`` gets ``max_points`` (reason ``met``); any other
    unit gets 0 (``not_met``).

    Example::

        [[areas.criteria]]
        id = "A1.2"
        name.vi = "Kế hoạch CCHC xác định đầy đủ nhiệm vụ và kinh phí"
        name.en = "Plan lists all tasks and budget"
        max_points = 1
        kind = "flag"
        params = { fact = "plan_complete" }
    """

    name: ClassVar[str] = "flag"
    Params: ClassVar[type[FlagParams]] = FlagParams
    summary: ClassVar[Mapping[str, str]] = {
        "vi": "Đạt / không đạt: đủ điểm hoặc 0 điểm.",
        "en": "Yes / no: full points or none.",
    }
    reasons: ClassVar[Sequence[Reason]] = (
        Reason(
            "met",
            vi="Đáp ứng yêu cầu của tiêu chí",
            en="The criterion's requirement is met",
        ),
        Reason(
            "not_met",
            vi="Chưa đáp ứng yêu cầu của tiêu chí",
            en="The criterion's requirement is not met",
            hint_vi="Đáp ứng yêu cầu để được {max_points} điểm",
            hint_en="Meet the requirement to get the full {max_points} points",
        ),
    )

    def fact_types(self) -> Mapping[str, Sequence[FactType]]:
        return {self.params.fact: ("boolean",)}

    def score_batch(self, batch: Batch) -> BatchScore:
        met = np.asarray(batch[self.params.fact].values, dtype=np.bool_) == self.params.good_when
        points = np.where(met, self.criterion.max_units, 0).astype(np.int64)
        reasons = np.where(met, self.reason_code("met"), self.reason_code("not_met"))
        return BatchScore(points, reasons.astype(np.int16))

    def score_unit(self, facts: Mapping[str, FactValue]) -> UnitScore:
        if facts[self.params.fact] == self.params.good_when:
            return UnitScore(self.criterion.max_points, "met")
        return UnitScore(Decimal(0), "not_met")

    def explain_values(self, facts: Mapping[str, FactValue]) -> dict[str, Any]:
        return {"value": facts[self.params.fact]}
