"""What the two ratio kinds share: their facts, the zero-denominator choice, exact ratios."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from pydantic import Field

from cchc_rules.kinds import (
    Batch,
    CriterionKind,
    FactName,
    FactValue,
    StrictParams,
    WideArray,
    fact_fraction,
    times,
)

__all__ = [
    "RatioParams",
    "ZeroDenominator",
    "ZeroDenominatorRule",
    "fits_int64",
    "negative_problems",
    "ratio_terms",
    "unit_ratio",
    "zero_denominator_spares_numerator",
]

ZeroDenominator = Literal["not_applicable", "full_points"]


class RatioParams(StrictParams):
    numerator: FactName = Field(description="Numeric fact counted as done, e.g. reports on time.")
    denominator: FactName = Field(description="Numeric fact counted as due, e.g. reports due.")
    zero_denominator: ZeroDenominator = Field(
        description="When the denominator is 0 (nothing arose this year): 'not_applicable' drops "
        "the criterion for the unit, 'full_points' gives it the maximum."
    )


def ratio_terms(batch: Batch, params: RatioParams) -> tuple[WideArray, WideArray]:
    """(top, bottom) with ``numerator / denominator == top / bottom`` exactly.

    Decimal facts come scaled by their own ``1/scale``; cross-multiplying the scales
    puts both on one footing without division.
    """
    numerator, denominator = batch[params.numerator], batch[params.denominator]
    top = times(np.asarray(numerator.values, dtype=np.int64), denominator.scale)
    bottom = times(np.asarray(denominator.values, dtype=np.int64), numerator.scale)
    return top, bottom


def zero_denominator_spares_numerator(
    batch: Batch, params: RatioParams
) -> dict[str, npt.NDArray[np.bool_]]:
    """``decided_without`` of both ratio kinds: a present zero denominator decides the
    unit by the ``zero_denominator`` policy, so a missing numerator is not needed there.

    NOTE: nothing arose, so nothing can have been done: the policy, not ``when_missing``,
    says what an empty numerator beside a zero denominator means (decision 0023).
    """
    denominator = batch[params.denominator]
    zero = ~denominator.missing & (np.asarray(denominator.values) == 0)
    return {params.numerator: np.asarray(zero, dtype=np.bool_)}


def unit_ratio(facts: Mapping[str, FactValue], params: RatioParams) -> Fraction | None:
    """``numerator / denominator`` of one unit, or None when the denominator is 0 (the
    numerator is then not read: it may be missing)."""
    denominator = fact_fraction(facts[params.denominator])
    if denominator == 0:
        return None
    return fact_fraction(facts[params.numerator]) / denominator


def negative_problems(
    batch: Batch, params: RatioParams
) -> list[tuple[npt.NDArray[np.bool_], str, str]]:
    """Rows with a negative count: a ratio of them means nothing."""
    problems: list[tuple[npt.NDArray[np.bool_], str, str]] = []
    for fact in (params.numerator, params.denominator):
        column = batch[fact]
        bad: npt.NDArray[np.bool_] = ~column.missing & (np.asarray(column.values) < 0)
        if bad.any():
            problems.append((bad, fact, "expected a number ≥ 0 (got a negative number)"))
    return problems


# NOTE: int64 holds up to 2**63; a product is computed in int64 only below this, so
# that no comparison of two products can wrap around.
_INT64_PRODUCT_BOUND = 2**62


def fits_int64(values: WideArray, factor: int) -> bool:
    """Whether ``values * factor`` is exact in int64 (``values`` int64, factor ≥ 0)."""
    if values.dtype != np.int64:
        return False
    if values.size == 0:
        return True
    largest = max(abs(int(values.max())), abs(int(values.min())))
    return largest * factor < _INT64_PRODUCT_BOUND


@dataclass(frozen=True)
class ZeroDenominatorRule:
    """What a zero denominator gives one criterion of a ratio kind, worked out once."""

    full_points: bool
    max_units: int
    code: int

    @classmethod
    def of(cls, kind: CriterionKind[Any]) -> ZeroDenominatorRule:
        """The rule of ``kind``, a criterion of a ratio kind (its params a RatioParams)."""
        full_points = kind.params.zero_denominator == "full_points"
        code = kind.reason_code("zero_denominator_full" if full_points else "zero_denominator_na")
        return cls(full_points, kind.criterion.max_units, code)

    def apply(
        self,
        bottom: WideArray,
        row: int,
        points: npt.NDArray[np.int64],
        reasons: npt.NDArray[np.int16],
        applicable: npt.NDArray[np.bool_] | None,
    ) -> npt.NDArray[np.bool_] | None:
        """Writes the zero-denominator units' points and reason into the stack's ``row``;
        returns the stack's ``applicable`` with the units it drops there (made on the
        first row that drops any; None while every unit applies)."""
        zero = np.asarray(bottom == 0, dtype=np.bool_)
        if not zero.any():
            return applicable
        np.putmask(points[row], zero, self.max_units if self.full_points else 0)
        np.putmask(reasons[row], zero, self.code)
        if self.full_points:
            return applicable
        if applicable is None:
            applicable = np.ones(points.shape, dtype=np.bool_)
        applicable[row] = ~zero
        return applicable
