"""What the two ratio kinds share: their facts, the zero-denominator choice, exact ratios."""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Literal

import numpy as np
import numpy.typing as npt
from pydantic import Field

from cchc_rules.kinds import (
    Batch,
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
