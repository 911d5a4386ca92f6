"""Parameter types and checks shared by the built-in kinds.

The exact arithmetic they use is the public one of :mod:`cchc_rules.kinds`, the same
any plugin uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Annotated, Any

import numpy as np
import numpy.typing as npt
from pydantic import Field

from cchc_rules.kinds import Number, WideArray, number_text

__all__ = [
    "IntArray",
    "NonNegative",
    "Positive",
    "multiple_of_step",
    "non_increasing_points",
    "percent_text",
    "steps_problems",
    "to_points",
]

IntArray = npt.NDArray[np.int64]

NonNegative = Annotated[Number, Field(ge=0)]
Positive = Annotated[Number, Field(gt=0)]


def to_points(values: WideArray) -> IntArray:
    """Points in units of ``1/scale`` as int64 (values are already bounded by the max)."""
    return np.asarray(values.astype(np.int64), dtype=np.int64)


def percent_text(numerator: Fraction, denominator: Fraction) -> str:
    """``numerator / denominator`` as a percent truncated to hundredths.

    NOTE: truncated, not rounded, so a ratio just below a band threshold never reads as
    the threshold itself (89.999 % shows as 89.99 %, not 90 %).
    """
    hundredths = numerator * 10000 // denominator
    return number_text(Fraction(hundredths, 100))


def multiple_of_step(path: str, value: Decimal, scale: int) -> list[tuple[str, str]]:
    """A problem if ``value`` is finer than the ruleset's point precision ``1/scale``."""
    if value * scale == (value * scale).to_integral_value():
        return []
    return [(path, f"expected a multiple of {Decimal(1) / scale} points (got {value})")]


def steps_problems(
    name: str,
    items: Sequence[Any],
    key: str,
    *,
    increasing: bool,
) -> list[tuple[str, str]]:
    """Problems of a list whose ``key`` must strictly increase (or decrease) item by item."""
    problems: list[tuple[str, str]] = []
    for index in range(1, len(items)):
        before, value = getattr(items[index - 1], key), getattr(items[index], key)
        if increasing and value <= before:
            problems.append(
                (
                    f"{name}.{index}.{key}",
                    f"expected more than {before}, the {key} of {name}.{index - 1} (got {value})",
                )
            )
        elif not increasing and value >= before:
            problems.append(
                (
                    f"{name}.{index}.{key}",
                    f"expected less than {before}, the {key} of {name}.{index - 1} (got {value})",
                )
            )
    return problems


def non_increasing_points(name: str, items: Sequence[Any]) -> list[tuple[str, str]]:
    """Problems of a list whose ``points`` must not rise item by item."""
    problems: list[tuple[str, str]] = []
    for index in range(1, len(items)):
        before, value = items[index - 1].points, items[index].points
        if value > before:
            problems.append(
                (
                    f"{name}.{index}.points",
                    f"expected at most {before}, the points of {name}.{index - 1} (got {value})",
                )
            )
    return problems
