"""An expression over units' facts that overflows the exact fixed point, as an input error."""

from __future__ import annotations

from cchc_rules.errors import MAX_ROWS_PER_PROBLEM, InputError, Problem
from cchc_rules.expressions import ExpressionOverflowError
from cchc_rules.inputs._units import UnitTable

__all__ = ["overflow_error"]


def overflow_error(units: UnitTable, exc: ExpressionOverflowError, what: str) -> InputError:
    """The units whose value of ``what`` (a computed fact, a check) does not fit, each at
    its row; the first :data:`MAX_ROWS_PER_PROBLEM` of them."""
    return InputError(
        [
            Problem(
                units.source,
                int(units.rows[index]),
                f"unit {units.unit_id(int(index))}",
                f"{what} overflows: {exc}",
            )
            for index in exc.rows[:MAX_ROWS_PER_PROBLEM]
        ]
    )
