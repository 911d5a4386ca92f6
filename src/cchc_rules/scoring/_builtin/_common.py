"""Exact arithmetic shared by the built-in kinds.

The batch path works on int64 columns; the unit path on :class:`~fractions.Fraction`.
Both round half-up to the ruleset's precision with integer arithmetic only, so they
agree to the last unit.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Annotated, Any

import numpy as np
import numpy.typing as npt
from pydantic import ConfigDict, Field

from cchc_rules.kinds import FactValue, KindParams, round_half_up_div
from cchc_rules.ruleset._models import Number

__all__ = [
    "IntArray",
    "NonNegative",
    "Params",
    "Positive",
    "WideArray",
    "div_half_up",
    "fact_fraction",
    "fact_int",
    "multiple_of_step",
    "non_increasing_points",
    "number_text",
    "percent_text",
    "round_fraction",
    "steps_problems",
    "times",
    "to_points",
]

IntArray = npt.NDArray[np.int64]
WideArray = npt.NDArray[Any]
"""int64 when every value fits with headroom, else an object array of Python ints."""

NonNegative = Annotated[Number, Field(ge=0)]
Positive = Annotated[Number, Field(gt=0)]

# NOTE: products stay below 2**60 in int64 so that ``2 * num + den`` inside
# ``round_half_up_div`` (at most 3 * 2**60) cannot overflow; larger products switch to
# Python integers rather than wrapping around silently.
_INT64_SAFE = 2**60


class Params(KindParams):
    """Parameters of built-in kinds: strict, so ``true`` is never read as 1 nor "3" as 3."""

    model_config = ConfigDict(strict=True)


def _largest(values: WideArray) -> int:
    if values.size == 0:
        return 0
    return max(abs(int(values.max())), abs(int(values.min())))


def times(values: WideArray, factor: int) -> WideArray:
    """``values * factor`` exactly: int64 when it safely fits, else Python integers."""
    if values.dtype != np.object_ and _largest(values) * abs(factor) < _INT64_SAFE:
        return np.asarray(values * np.int64(factor), dtype=np.int64)
    return np.asarray(np.asarray(values, dtype=np.object_) * factor, dtype=np.object_)


def div_half_up(numerator: WideArray, denominator: WideArray | int) -> WideArray:
    """``numerator / denominator`` rounded half-up, for non-negative integers, exactly."""
    if isinstance(denominator, int):
        denominator = times(np.ones(1, dtype=np.int64), denominator)
    if numerator.dtype == np.int64 and denominator.dtype == np.int64:
        return round_half_up_div(numerator, denominator)
    return np.asarray((2 * numerator + denominator) // (2 * denominator), dtype=np.object_)


def to_points(values: WideArray) -> IntArray:
    """Points in units of ``1/scale`` as int64 (values are already bounded by the max)."""
    return np.asarray(values.astype(np.int64), dtype=np.int64)


def fact_fraction(value: FactValue) -> Fraction:
    """A numeric fact of the unit path as an exact fraction."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise TypeError(f"expected a numeric fact (got {value!r})")
    return Fraction(value)


def fact_int(value: FactValue) -> int:
    """An integer fact of the unit path."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected an integer fact (got {value!r})")
    return value


def round_fraction(value: Fraction, scale: int) -> Decimal:
    """Non-negative ``value`` rounded half-up to ``1/scale``: the unit-path twin of
    :func:`div_half_up`, in integers for the same reason."""
    units = (2 * value.numerator * scale + value.denominator) // (2 * value.denominator)
    return Decimal(units) / scale


def number_text(value: Decimal | Fraction | int) -> Decimal:
    """A number for explanations: exact, without trailing zeros or exponent (``90``, ``0.5``)."""
    number = value if isinstance(value, Decimal) else Decimal(value.numerator) / value.denominator
    if number == number.to_integral_value():
        return number.quantize(Decimal(1))
    return number.normalize()


def percent_text(numerator: Fraction, denominator: Fraction) -> Decimal:
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
