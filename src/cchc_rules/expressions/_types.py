"""Expression types and the limits every expression must stay within."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "BOOLEAN",
    "DATE",
    "DIVISION_NOTE",
    "INT64_MAX",
    "INT64_MIN",
    "INTEGER",
    "MAX_DEPTH",
    "MAX_DIGITS",
    "MAX_LENGTH",
    "MAX_LITERAL",
    "MAX_NODES",
    "MAX_SIGNIFICANT",
    "RATIO",
    "TEXT",
    "ExprType",
    "TypeKind",
    "common_numeric",
]

MAX_LENGTH = 2000
"""Characters in one expression; a ruleset line longer than this wants a computed fact."""
MAX_NODES = 500
"""Operands, operators and calls in one expression."""
MAX_DEPTH = 100
"""Nesting depth of the syntax tree; a sum of 90 facts still fits."""
MAX_LITERAL = 10**15
"""Numeric literals must be below this in magnitude (digits before the point)."""
MAX_DIGITS = 12
"""Digits after the point of any decimal value, literal or computed."""
MAX_SIGNIFICANT = 18
"""Digits of a numeric literal in all: its fixed-point integer stays below 2**63."""

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

DIVISION_NOTE = "a division gives an exact ratio; round it to the precision you need"

TypeKind = Literal["integer", "decimal", "ratio", "boolean", "date", "text"]
NUMERIC: frozenset[TypeKind] = frozenset({"integer", "decimal", "ratio"})


@dataclass(frozen=True)
class ExprType:
    """The static type of an expression or sub-expression.

    ``integer`` and ``decimal`` values are exact fixed-point integers in units of
    ``1/scale`` (``scale = 10**digits``; ``digits`` is 0 for integers). A ``ratio`` is the
    exact result of ``/``: a numerator over a per-unit positive denominator; it never
    leaves an expression unrounded (see :func:`round`). ``date`` values are days since
    1970-01-01; ``boolean`` and ``text`` are what they say.
    """

    kind: TypeKind
    digits: int = 0

    @property
    def scale(self) -> int:
        return int(10**self.digits)

    @property
    def numeric(self) -> bool:
        return self.kind in NUMERIC

    @property
    def category(self) -> str:
        """How error messages name the type: every numeric type is a ``number``."""
        return "number" if self.numeric else self.kind

    def __str__(self) -> str:
        return f"decimal({self.digits})" if self.kind == "decimal" else self.kind

    @staticmethod
    def number(digits: int) -> ExprType:
        """``integer`` for 0 digits after the point, else ``decimal(digits)``."""
        return ExprType("decimal", digits) if digits else ExprType("integer")


INTEGER = ExprType("integer")
BOOLEAN = ExprType("boolean")
DATE = ExprType("date")
TEXT = ExprType("text")
RATIO = ExprType("ratio")


def common_numeric(a: ExprType, b: ExprType) -> ExprType:
    """The type both numeric operands of ``+``, ``-``, ``min``, ``max``, ``if`` align to."""
    if "ratio" in (a.kind, b.kind):
        return RATIO
    return ExprType.number(max(a.digits, b.digits))
