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

__all__ = ["RatioParams", "ZeroDenominator", "negative_problems", "ratio_terms", "unit_ratio"]

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


def unit_ratio(facts: Mapping[str, FactValue], params: RatioParams) -> Fraction | None:
    """``numerator / denominator`` of one unit, or None when the denominator is 0."""
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
