"""The ``ratio_bands`` kind: a percentage placed in bands, each band worth fixed points."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
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
    StrictParams,
    UnitScore,
    fact_fraction,
    number_text,
    times,
)
from cchc_rules.scoring._builtin._common import (
    NonNegative,
    multiple_of_step,
    non_increasing_points,
    percent_text,
    steps_problems,
)
from cchc_rules.scoring._builtin._ratio import (
    RatioParams,
    ZeroDenominatorRule,
    fits_int64,
    negative_problems,
    ratio_terms,
    unit_ratio,
    zero_denominator_spares_numerator,
)

__all__ = ["RatioBand", "RatioBands", "RatioBandsParams"]


class RatioBand(StrictParams):
    min_percent: NonNegative = Field(
        description="Lowest percentage (numerator ÷ denominator × 100) in this band, inclusive."
    )
    points: NonNegative = Field(description="Points for a ratio in this band.")


class RatioBandsParams(RatioParams):
    bands: Annotated[list[RatioBand], Field(min_length=1)] = Field(
        description="Bands from the highest min_percent down; a ratio gets the first band it "
        "reaches, and 0 below the last."
    )


class RatioBands(CriterionKind[RatioBandsParams]):
    """Tỷ lệ phần trăm (tử số ÷ mẫu số) xếp vào các mức, mỗi mức một số điểm.

    A percentage (numerator ÷ denominator × 100) placed in bands, each worth fixed points.

    The first band whose ``min_percent`` the ratio reaches (≥, compared exactly) gives its
    ``points`` (reason ``top_band`` for the best-paid band, ``band`` for the others);
    below every band → 0 (``below_bands``). A numerator above the denominator is allowed
    (over 100 %). Bands must have strictly decreasing ``min_percent`` and
    non-increasing ``points``, none above ``max_points``.

    A zero denominator either drops the criterion for the unit
    (``zero_denominator = "not_applicable"``, reason ``zero_denominator_na``) or gives
    full points (``"full_points"``, ``zero_denominator_full``), even beside a missing
    numerator: nothing arose, so nothing was left out. A missing denominator, or a
    missing numerator beside a denominator above 0, follows the criterion's
    ``when_missing``.

    Example::

        [[areas.criteria]]
        id = "A3"
        name.vi = "Mức độ hoàn thành kế hoạch CCHC năm"
        name.en = "Completion of the annual PAR plan"
        max_points = 4
        kind = "ratio_bands"
        [areas.criteria.params]
        numerator = "plan_targets_done"
        denominator = "plan_targets"
        zero_denominator = "not_applicable"
        bands = [
            { min_percent = 90, points = 4 },
            { min_percent = 70, points = 2 },
        ]
    """

    name: ClassVar[str] = "ratio_bands"
    Params: ClassVar[type[RatioBandsParams]] = RatioBandsParams
    summary: ClassVar[Mapping[str, str]] = {
        "vi": "Tỷ lệ phần trăm theo mức: mỗi mức một số điểm.",
        "en": "Percentage bands, each worth fixed points.",
    }
    reasons: ClassVar[Sequence[Reason]] = (
        Reason(
            "top_band",
            vi="Tỷ lệ đạt {percent}% (từ {min_percent}% trở lên được {band_points} điểm)",
            en="{percent}% achieved ({min_percent}% or more earns {band_points} points)",
        ),
        Reason(
            "band",
            vi="Tỷ lệ đạt {percent}% (từ {min_percent}% trở lên được {band_points} điểm)",
            en="{percent}% achieved ({min_percent}% or more earns {band_points} points)",
            hint_vi="Đạt từ {next_min_percent}% trở lên để được {next_points} điểm",
            hint_en="Reach {next_min_percent}% or more to get {next_points} points",
        ),
        Reason(
            "below_bands",
            vi="Tỷ lệ đạt {percent}%, dưới mức thấp nhất {lowest_min_percent}% nên không được điểm",
            en="{percent}% achieved, below the lowest band ({lowest_min_percent}%), so no points",
            hint_vi="Đạt từ {lowest_min_percent}% trở lên để được {lowest_points} điểm",
            hint_en="Reach {lowest_min_percent}% or more to get {lowest_points} points",
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

    def check(self) -> list[tuple[str, str]]:
        bands = self.params.bands
        problems = steps_problems("bands", bands, "min_percent", increasing=False)
        problems += non_increasing_points("bands", bands)
        for index, band in enumerate(bands):
            if band.points > self.criterion.max_points:
                problems.append(
                    (
                        f"bands.{index}.points",
                        f"expected at most the criterion's max_points {self.criterion.max_points}"
                        f" (got {band.points})",
                    )
                )
            problems += multiple_of_step(f"bands.{index}.points", band.points, self.criterion.scale)
        return problems

    def input_problems(self, batch: Batch) -> list[tuple[npt.NDArray[np.bool_], str, str]]:
        return negative_problems(batch, self.params)

    def decided_without(self, batch: Batch) -> Mapping[str, npt.NDArray[np.bool_]]:
        return zero_denominator_spares_numerator(batch, self.params)

    def _band_reason(self, index: int) -> str:
        bands = self.params.bands
        if index == len(bands):
            return "below_bands"
        return "top_band" if bands[index].points == bands[0].points else "band"

    @classmethod
    def stacked(cls, kinds: Sequence[RatioBands]) -> StackScorer:
        return _BandedRatios(kinds)

    def _unit_band(self, ratio: Fraction) -> int:
        for index, band in enumerate(self.params.bands):
            if ratio * 100 >= Fraction(band.min_percent):
                return index
        return len(self.params.bands)

    def score_unit(self, facts: Mapping[str, FactValue]) -> UnitScore:
        ratio = unit_ratio(facts, self.params)
        if ratio is None:
            if self.params.zero_denominator == "full_points":
                return UnitScore(self.criterion.max_points, "zero_denominator_full")
            return UnitScore(Decimal(0), "zero_denominator_na", applicable=False)
        index = self._unit_band(ratio)
        bands = self.params.bands
        points = bands[index].points if index < len(bands) else Decimal(0)
        return UnitScore(points, self._band_reason(index))

    def explain_values(self, facts: Mapping[str, FactValue]) -> dict[str, Any]:
        bands = self.params.bands
        values: dict[str, Any] = {
            # Missing beside a zero denominator (decided_without).
            "numerator": facts.get(self.params.numerator),
            "denominator": facts[self.params.denominator],
            "lowest_min_percent": number_text(bands[-1].min_percent),
            "lowest_points": number_text(bands[-1].points),
        }
        ratio = unit_ratio(facts, self.params)
        if ratio is None:
            return values
        values["percent"] = percent_text(
            fact_fraction(facts[self.params.numerator]),
            fact_fraction(facts[self.params.denominator]),
        )
        index = self._unit_band(ratio)
        if index < len(bands):
            values["min_percent"] = number_text(bands[index].min_percent)
            values["band_points"] = number_text(bands[index].points)
            better = [b for b in bands[:index] if b.points > bands[index].points]
            if better:
                values["next_min_percent"] = number_text(better[-1].min_percent)
                values["next_points"] = number_text(better[-1].points)
        return values


@dataclass(frozen=True)
class _Bands:
    """One criterion's bands as integers, worked out once per ruleset."""

    params: RatioBandsParams
    thresholds: tuple[tuple[int, int], ...]
    """Per band, ``(top factor, bottom factor)``: percent ≥ p/q ⇔ top × 100q ≥ bottom × p
    (bottom > 0)."""
    points: npt.NDArray[np.int64]
    """Each band's points and, last, 0 below every band."""
    codes: npt.NDArray[np.int16]
    zero_denominator: ZeroDenominatorRule

    @classmethod
    def of(cls, kind: RatioBands) -> _Bands:
        bands = kind.params.bands
        ratios = [band.min_percent.as_integer_ratio() for band in bands]
        scale = kind.criterion.scale
        return cls(
            kind.params,
            tuple((100 * q, p) for p, q in ratios),
            np.array([int(band.points * scale) for band in bands] + [0], dtype=np.int64),
            np.array(
                [kind.reason_code(kind._band_reason(i)) for i in range(len(bands) + 1)],
                dtype=np.int16,
            ),
            ZeroDenominatorRule.of(kind),
        )


class _BandedRatios:
    """Every ratio_bands criterion of a ruleset over a batch, into the engine's rows."""

    def __init__(self, kinds: Sequence[RatioBands]) -> None:
        self.rules = [_Bands.of(kind) for kind in kinds]

    def score(
        self, batch: Batch, points: npt.NDArray[np.int64], reasons: npt.NDArray[np.int16]
    ) -> npt.NDArray[np.bool_] | None:
        size = batch.size
        applicable: npt.NDArray[np.bool_] | None = None
        band = np.empty(size, dtype=np.intp)
        reached = np.empty(size, dtype=np.bool_)
        left = np.empty(size, dtype=np.int64)
        right = np.empty(size, dtype=np.int64)
        for row, rule in enumerate(self.rules):
            top, bottom = ratio_terms(batch, rule.params)
            band.fill(len(rule.thresholds))
            # The largest factors are the first band's or not: check them all once.
            in_int64 = fits_int64(top, max(t for t, _ in rule.thresholds)) and fits_int64(
                bottom, max(b for _, b in rule.thresholds)
            )
            left_factor = 0
            for index in range(len(rule.thresholds) - 1, -1, -1):
                top_factor, bottom_factor = rule.thresholds[index]
                if in_int64:
                    if top_factor != left_factor:  # whole percents share it
                        np.multiply(top, top_factor, out=left)
                        left_factor = top_factor
                    np.multiply(bottom, bottom_factor, out=right)
                    np.greater_equal(left, right, out=reached)
                else:
                    reached[:] = times(top, top_factor) >= times(bottom, bottom_factor)
                np.putmask(band, reached, index)
            np.take(rule.points, band, out=points[row], mode="clip")
            np.take(rule.codes, band, out=reasons[row], mode="clip")
            applicable = rule.zero_denominator.apply(bottom, row, points, reasons, applicable)
        return applicable
