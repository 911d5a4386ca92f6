"""The published arithmetic of a ruleset (``[scoring]``), in integers only.

Points are int64 in units of ``1/scale``; a percentage shown with ``k`` decimals is an
int64 in units of ``10^-k`` %. Every rounding here is an integer division with the
remainder inspected, never a binary float, so a value exactly at a half rounds the
way the ruleset says whatever the order in which its points were added.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt

from cchc_rules.kinds import round_half_up_div
from cchc_rules.ruleset._models import Scoring

__all__ = ["DEFAULT_SCORING", "Rounding", "display_index", "divide", "index_scale"]

Rounding = Literal["truncate", "half_up", "half_even"]

DEFAULT_SCORING = Scoring()
"""The arithmetic of a ruleset without ``[scoring]``."""


def divide(
    numerator: npt.NDArray[np.int64],
    denominator: npt.NDArray[np.int64] | int,
    mode: Rounding,
) -> npt.NDArray[np.int64]:
    """``numerator / denominator`` rounded by ``mode``, for non-negative numerators and
    positive denominators: ``truncate`` drops the remainder, ``half_up`` rounds a half
    away from zero, ``half_even`` rounds a half to the even neighbour."""
    num = np.asarray(numerator, dtype=np.int64)
    den = np.asarray(denominator, dtype=np.int64)
    if mode == "truncate":
        return np.asarray(num // den, dtype=np.int64)
    if mode == "half_up":
        return round_half_up_div(num, den)
    quotient, remainder = np.divmod(num, den)
    twice = 2 * remainder
    up = (twice > den) | ((twice == den) & (quotient % 2 == 1))
    return np.asarray(quotient + up, dtype=np.int64)


def index_scale(scoring: Scoring) -> int:
    """Units per percent of a displayed index: ``10^index_decimals``."""
    return int(10**scoring.index_decimals)


def display_index(
    points: npt.NDArray[np.int64], maximum: npt.NDArray[np.int64], scoring: Scoring
) -> npt.NDArray[np.int64]:
    """``points / maximum × 100`` as displayed: in units of ``10^-index_decimals`` %,
    rounded by ``index_rounding``. Meaningless (0) where ``maximum`` is 0.

    ``points`` and ``maximum`` share a scale, so it cancels out.
    """
    safe = np.where(maximum > 0, maximum, 1)
    return divide(points * np.int64(100 * index_scale(scoring)), safe, scoring.index_rounding)
