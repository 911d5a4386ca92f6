"""Per-unit evaluation of a typed tree: plain Python, exact ``Fraction`` arithmetic.

This is the reference the vectorised evaluator is tested against, so it is written
to be obviously right rather than fast. It follows the same rules: a value that does
not fit the 64-bit fixed point of its type is *overflowed* (:data:`OVERFLOW`), which
propagates like a value and is an error only if it reaches the result.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable, Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any, Final

from ..kinds import FactValue
from ._nodes import (
    Abs,
    Arith,
    Compare,
    Const,
    DaysBetween,
    IfElse,
    IsMissing,
    Logic,
    Member,
    MinMax,
    Name,
    Neg,
    Node,
    Not,
    Round,
)
from ._types import INT64_MAX, INT64_MIN, ExprType

__all__ = ["OVERFLOW", "evaluate_unit", "round_half_up"]

EPOCH = dt.date(1970, 1, 1)


_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


class _Overflow:
    def __repr__(self) -> str:
        return "OVERFLOW"


OVERFLOW: Final = _Overflow()
"""A value that left the 64-bit fixed point (not an exception: it may be discarded)."""

# Fraction for numbers, int days for dates, bool, str; None is missing.
Value = Fraction | int | bool | str | None | _Overflow


def round_half_up(value: Fraction, digits: int) -> Fraction:
    """``value`` rounded to ``digits`` after the point, ties away from zero (exact)."""
    scale = 10**digits
    n, d = value.numerator * scale, value.denominator
    q = (2 * abs(n) + d) // (2 * d)
    return Fraction(-q if n < 0 else q, scale)


def _fit(type_: ExprType, value: Value) -> Value:
    if value is None or value is OVERFLOW or type_.kind not in ("integer", "decimal", "date"):
        return value
    units = value * type_.scale if isinstance(value, Fraction) else value
    assert isinstance(units, int | Fraction)
    return value if INT64_MIN <= units <= INT64_MAX else OVERFLOW


def _blocked(*values: Value) -> bool:
    """Whether a strict operation has an operand that is missing or overflowed."""
    return any(v is None or v is OVERFLOW for v in values)


def _blocker(*values: Value) -> Value:
    """What a blocked strict operation gives: overflow wins over missing."""
    return OVERFLOW if any(v is OVERFLOW for v in values) else None


class _Unit:
    def __init__(self, values: Mapping[str, Value]) -> None:
        self.values = values

    def run(self, node: Node) -> Value:
        value = _RULES[type(node)](self, node)
        if isinstance(node, Const | Name):
            return value
        return _fit(node.type, value)

    def const(self, node: Const) -> Value:
        return node.value

    def name(self, node: Name) -> Value:
        return self.values[node.name]

    def neg(self, node: Neg) -> Value:
        x = self.run(node.operand)
        if _blocked(x):
            return _blocker(x)
        return -_num(x)

    def abs(self, node: Abs) -> Value:
        x = self.run(node.operand)
        if _blocked(x):
            return _blocker(x)
        return abs(_num(x))

    def arith(self, node: Arith) -> Value:
        x, y = self.run(node.left), self.run(node.right)
        if _blocked(x, y):
            return _blocker(x, y)
        a, b = _num(x), _num(y)
        if node.op == "+":
            return a + b
        if node.op == "-":
            return a - b
        if node.op == "*":
            return a * b
        return None if b == 0 else a / b

    def days_between(self, node: DaysBetween) -> Value:
        x, y = self.run(node.later), self.run(node.earlier)
        if _blocked(x, y):
            return _blocker(x, y)
        return Fraction(_days(x) - _days(y))

    def round(self, node: Round) -> Value:
        x = self.run(node.operand)
        if _blocked(x):
            return _blocker(x)
        return round_half_up(_num(x), node.type.digits)

    def min_max(self, node: MinMax) -> Value:
        args = [self.run(arg) for arg in node.args]
        if _blocked(*args):
            return _blocker(*args)
        choose: Callable[..., Any] = min if node.op == "min" else max
        return choose(args)  # type: ignore[no-any-return]  # numbers or days, as typed

    def compare(self, node: Compare) -> Value:
        x, y = self.run(node.left), self.run(node.right)
        if _blocked(x, y):
            return _blocker(x, y)
        return bool(_COMPARE[node.op](x, y))

    def member(self, node: Member) -> Value:
        x = self.run(node.operand)
        if _blocked(x):
            return _blocker(x)
        return any(x == item.value for item in node.items) != node.negate

    def is_missing(self, node: IsMissing) -> Value:
        x = self.run(node.operand)
        if x is OVERFLOW:
            return OVERFLOW
        return (x is None) != node.negate

    def not_(self, node: Not) -> Value:
        x = self.run(node.operand)
        if _blocked(x):
            return _blocker(x)
        return not x

    def logic(self, node: Logic) -> Value:
        x, y = self.run(node.left), self.run(node.right)
        decisive = node.op == "or"
        if x is decisive or y is decisive:
            return decisive
        if _blocked(x, y):
            return _blocker(x, y)
        return not decisive

    def if_else(self, node: IfElse) -> Value:
        test = self.run(node.test)
        if _blocked(test):
            return _blocker(test)
        return self.run(node.then if test else node.otherwise)


def _num(value: Value) -> Fraction:
    assert isinstance(value, Fraction)
    return value


def _days(value: Value) -> int:
    assert isinstance(value, int)
    return value


_RULES: dict[type[Node], Callable[[_Unit, Any], Value]] = {
    Const: _Unit.const,
    Name: _Unit.name,
    Neg: _Unit.neg,
    Abs: _Unit.abs,
    Arith: _Unit.arith,
    DaysBetween: _Unit.days_between,
    Round: _Unit.round,
    MinMax: _Unit.min_max,
    Compare: _Unit.compare,
    Member: _Unit.member,
    IsMissing: _Unit.is_missing,
    Not: _Unit.not_,
    Logic: _Unit.logic,
    IfElse: _Unit.if_else,
}


def _read(type_: ExprType, value: FactValue) -> Value:
    kind = type_.kind
    if value is None:
        return None
    if kind == "date" and isinstance(value, dt.date):
        return (value - EPOCH).days
    if kind in ("integer", "decimal") and isinstance(value, int | Decimal):
        if isinstance(value, bool):
            raise TypeError(f"expected {type_} (got {value!r})")
        return Fraction(value)
    if kind == "boolean" and isinstance(value, bool):
        return value
    if kind == "text" and isinstance(value, str):
        return value
    raise TypeError(f"expected {type_} (got {value!r})")


def _write(type_: ExprType, value: Value) -> FactValue:
    if value is None or isinstance(value, bool | str):
        return value
    if type_.kind == "date":
        assert isinstance(value, int)
        return EPOCH + dt.timedelta(days=value)
    assert isinstance(value, Fraction)
    if type_.kind == "integer":
        return int(value)
    return Decimal(int(value * type_.scale)).scaleb(-type_.digits)


def evaluate_unit(
    root: Node, names: Mapping[str, ExprType], values: Mapping[str, FactValue]
) -> tuple[FactValue, bool]:
    """The value of ``root`` for one unit, and whether it overflowed.

    ``values`` holds the facts ``root`` reads; ``None`` is a missing value.
    """
    read = {name: _read(names[name], values[name]) for name in names}
    result = _Unit(read).run(root)
    if result is OVERFLOW:
        return None, True
    return _write(root.type, result), False
