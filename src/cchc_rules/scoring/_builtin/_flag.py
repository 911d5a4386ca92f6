"""The ``flag`` kind: a yes/no fact gives all the points or none."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
from pydantic import Field

from cchc_rules.kinds import (
    Batch,
    CriterionKind,
    FactName,
    FactType,
    FactValue,
    Reason,
    StackScorer,
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

    @classmethod
    def stacked(cls, kinds: Sequence[Flag]) -> StackScorer:
        return _Flags(kinds)

    def score_unit(self, facts: Mapping[str, FactValue]) -> UnitScore:
        if facts[self.params.fact] == self.params.good_when:
            return UnitScore(self.criterion.max_points, "met")
        return UnitScore(Decimal(0), "not_met")

    def explain_values(self, facts: Mapping[str, FactValue]) -> dict[str, Any]:
        return {"value": facts[self.params.fact]}


class _Flags:
    """Every flag criterion of a ruleset over a batch: one pass for the points of all."""

    def __init__(self, kinds: Sequence[Flag]) -> None:
        self.facts = [kind.params.fact for kind in kinds]
        self.good_when = [kind.params.good_when for kind in kinds]
        self.maxima = np.array([[kind.criterion.max_units] for kind in kinds], dtype=np.int64)
        self.met, self.not_met = Flag.reason_code("met"), Flag.reason_code("not_met")

    def score(
        self, batch: Batch, points: npt.NDArray[np.int64], reasons: npt.NDArray[np.int16]
    ) -> None:
        met = np.empty(points.shape, dtype=np.bool_)
        for row, (fact, good_when) in enumerate(zip(self.facts, self.good_when, strict=True)):
            values = np.asarray(batch[fact].values, dtype=np.bool_)
            if good_when:
                met[row] = values
            else:
                np.logical_not(values, out=met[row])
        np.multiply(met, self.maxima, out=points)
        # not_met + (met - not_met) × met: two passes, several times faster than a
        # masked copy
        np.multiply(met, self.met - self.not_met, out=reasons, casting="unsafe")
        reasons += self.not_met
