"""The ``evaluation_quota`` kind: the "excellent ≤ 20 % of good-or-better" rule of staff evaluation.

Decree 335/2025/NĐ-CP on evaluating and classifying cadres, civil servants and public
employees caps the share rated *hoàn thành xuất sắc nhiệm vụ* (excellent): at most
20 % of those rated *hoàn thành tốt nhiệm vụ* or better. A unit that kept within the
cap evaluated its staff per law and earns the criterion's points; one that did not
earns none.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Annotated, Any, ClassVar, Literal

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
    Number,
    Reason,
    StrictParams,
    UnitScore,
    fact_int,
    number_text,
    times,
)

__all__ = ["EvaluationQuota", "EvaluationQuotaParams"]

Percent = Annotated[Number, Field(ge=0, le=100)]


class EvaluationQuotaParams(StrictParams):
    # StrictParams: TOML `true` is never read as 1, nor "20" as 20.
    excellent: FactName = Field(
        description="Integer fact: staff rated 'hoàn thành xuất sắc nhiệm vụ' (excellent)."
    )
    good_or_better: FactName = Field(
        description="Integer fact: staff rated 'hoàn thành tốt nhiệm vụ' or better, the "
        "excellent ones included."
    )
    quota_percent: Percent = Field(
        default=Decimal(20),
        description="Largest share of good_or_better that may be rated excellent, in percent "
        "(Decree 335/2025: 20).",
    )
    zero_denominator: Literal["not_applicable", "full_points"] = Field(
        description="When nobody is rated good or better: 'not_applicable' drops the criterion "
        "for the unit, 'full_points' gives it the maximum (no quota can be broken)."
    )


class EvaluationQuota(CriterionKind[EvaluationQuotaParams]):
    """Tỷ lệ xếp loại "hoàn thành xuất sắc nhiệm vụ" không vượt quá hạn mức (20 % số xếp
    loại từ "hoàn thành tốt nhiệm vụ" trở lên, Nghị định 335/2025/NĐ-CP).

    Staff rated excellent may not exceed a quota (20 % of those rated good or better,
    Decree 335/2025).

    A unit with ``excellent ≤ quota_percent % × good_or_better`` (compared exactly, by
    cross-multiplying integers) gets ``max_points`` (reason ``within_quota``); above the
    quota it gets 0 (``over_quota``). When ``good_or_better`` is 0 nobody can break the
    quota: ``zero_denominator = "not_applicable"`` drops the criterion for the unit and
    ``"full_points"`` gives it the maximum (reason ``nobody_rated`` either way), even with
    ``excellent`` empty. Negative counts, and more excellent than good-or-better, are
    refused as input errors.

    Example::

        [[areas.criteria]]
        id = "E5.3"
        name.vi = "Đánh giá, xếp loại công chức đúng quy định"
        name.en = "Staff evaluated and classified per law"
        max_points = 1
        kind = "evaluation_quota"
        [areas.criteria.params]
        excellent = "staff_rated_excellent"
        good_or_better = "staff_rated_good_or_better"
        zero_denominator = "not_applicable"
    """

    name: ClassVar[str] = "evaluation_quota"
    Params: ClassVar[type[EvaluationQuotaParams]] = EvaluationQuotaParams
    summary: ClassVar[Mapping[str, str]] = {
        "vi": "Tỷ lệ xếp loại xuất sắc không vượt hạn mức: đủ điểm hoặc 0 điểm.",
        "en": "Share rated excellent within the quota: full points or none.",
    }
    reasons: ClassVar[Sequence[Reason]] = (
        Reason(
            "within_quota",
            vi="{excellent}/{good_or_better} người xếp loại hoàn thành xuất sắc nhiệm vụ "
            "({percent}%), không vượt quá {quota_percent}%",
            en="{excellent} of {good_or_better} rated good or better were rated excellent "
            "({percent}%), within the {quota_percent}% quota",
        ),
        Reason(
            "over_quota",
            vi="{excellent}/{good_or_better} người xếp loại hoàn thành xuất sắc nhiệm vụ "
            "({percent}%), vượt quá {quota_percent}%",
            en="{excellent} of {good_or_better} rated good or better were rated excellent "
            "({percent}%), over the {quota_percent}% quota",
            hint_vi="Xếp loại hoàn thành xuất sắc nhiệm vụ không quá {allowed} người "
            "({quota_percent}% của {good_or_better}) để được {max_points} điểm",
            hint_en="Rate at most {allowed} people excellent ({quota_percent}% of "
            "{good_or_better}) to get the full {max_points} points",
        ),
        Reason(
            "nobody_rated",
            vi="Không có ai được xếp loại từ hoàn thành tốt nhiệm vụ trở lên, nên không có "
            "hạn mức để xét",
            en="Nobody was rated good or better, so there is no quota to check",
        ),
    )

    def fact_types(self) -> Mapping[str, Sequence[FactType]]:
        return {self.params.excellent: ("integer",), self.params.good_or_better: ("integer",)}

    def input_problems(self, batch: Batch) -> list[tuple[npt.NDArray[np.bool_], str, str]]:
        excellent, good = batch[self.params.excellent], batch[self.params.good_or_better]
        problems: list[tuple[npt.NDArray[np.bool_], str, str]] = []
        for fact in (self.params.excellent, self.params.good_or_better):
            column = batch[fact]
            negative = ~column.missing & (np.asarray(column.values) < 0)
            if negative.any():
                problems.append((negative, fact, "expected a head count ≥ 0 (got a negative one)"))
        # Excellent is a rating within good-or-better, so more of them means the two
        # facts were counted differently; scoring them would hide the mistake.
        both = ~excellent.missing & ~good.missing
        larger = both & (np.asarray(excellent.values) > np.asarray(good.values))
        if larger.any():
            problems.append(
                (
                    larger,
                    self.params.excellent,
                    f"expected at most {self.params.good_or_better} (the excellent are counted "
                    f"among those rated good or better), got more",
                )
            )
        return problems

    def decided_without(self, batch: Batch) -> Mapping[str, npt.NDArray[np.bool_]]:
        # Nobody rated good or better: the zero_denominator policy decides, and an empty
        # excellent count beside it is no missing input (docs/decisions/0023).
        good = batch[self.params.good_or_better]
        return {self.params.excellent: ~good.missing & (np.asarray(good.values) == 0)}

    def score_batch(self, batch: Batch) -> BatchScore:
        excellent = np.asarray(batch[self.params.excellent].values, dtype=np.int64)
        good = np.asarray(batch[self.params.good_or_better].values, dtype=np.int64)
        # excellent / good ≤ p / (100 q)  ⇔  excellent × 100 q ≤ good × p   (good > 0):
        # integers only, so a share of exactly 20 % is never lost to a float.
        p, q = self.params.quota_percent.as_integer_ratio()
        within = np.asarray(times(excellent, 100 * q) <= times(good, p), dtype=np.bool_)
        points = np.where(within, self.criterion.max_units, 0).astype(np.int64)
        reasons = np.where(
            within, self.reason_code("within_quota"), self.reason_code("over_quota")
        ).astype(np.int16)
        nobody = good == 0
        applicable = None
        if self.params.zero_denominator == "full_points":
            points[nobody] = self.criterion.max_units
        else:
            points[nobody] = 0
            applicable = ~nobody if nobody.any() else None
        reasons[nobody] = self.reason_code("nobody_rated")
        return BatchScore(points, reasons, applicable)

    def score_unit(self, facts: Mapping[str, FactValue]) -> UnitScore:
        good = fact_int(facts[self.params.good_or_better])
        if good == 0:
            if self.params.zero_denominator == "full_points":
                return UnitScore(self.criterion.max_points, "nobody_rated")
            return UnitScore(Decimal(0), "nobody_rated", applicable=False)
        excellent = fact_int(facts[self.params.excellent])
        if Fraction(excellent, good) * 100 <= Fraction(self.params.quota_percent):
            return UnitScore(self.criterion.max_points, "within_quota")
        return UnitScore(Decimal(0), "over_quota")

    def explain_values(self, facts: Mapping[str, FactValue]) -> dict[str, Any]:
        good = fact_int(facts[self.params.good_or_better])
        quota = Fraction(self.params.quota_percent)
        values: dict[str, Any] = {
            # Empty beside nobody rated (decided_without).
            "excellent": facts.get(self.params.excellent),
            "good_or_better": good,
            "quota_percent": number_text(self.params.quota_percent),
            # The most people the quota lets a unit rate excellent: rounded down, since
            # rounding up would break the quota.
            "allowed": good * quota.numerator // (100 * quota.denominator),
        }
        if good:
            excellent = fact_int(facts[self.params.excellent])
            # NOTE: rounded up to hundredths, not to nearest, so 20.004 % reads as 20.01 %
            # and never as the 20 % quota it exceeds.
            values["percent"] = number_text(Fraction(-(-excellent * 10000 // good), 100))
        return values
