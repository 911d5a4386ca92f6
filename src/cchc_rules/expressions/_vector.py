"""Vectorised evaluation of a typed tree over whole fact columns.

Every number is an exact integer: integers and decimals are fixed-point numerators
over their static scale, a ratio (the result of ``/``) is a numerator over a per-unit
positive denominator. Each integer quantity travels with bounds on all of its
elements (interval arithmetic from the input columns' minimum and maximum), so an
operation runs on native int64 only when its bounds prove that nothing can wrap;
otherwise it runs on Python ints (exact, slower) and a result that does not fit the
64-bit fixed point marks its units as *overflowed*. Overflow is a third state beside
"present" and "missing": it propagates like a value and is an error only if it
reaches the result (:class:`ExpressionOverflowError`), exactly as in the per-unit path.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

from ..kinds import FactColumn
from ._nodes import (
    Abs,
    Arith,
    Compare,
    CompareOp,
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

__all__ = ["Bounds", "ExpressionOverflowError", "evaluate"]

Mask = npt.NDArray[np.bool_] | None
"""``None`` means no unit is flagged: most columns have nothing missing."""

_COMPARE: dict[CompareOp, Callable[[Any, Any], Any]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


class ExpressionOverflowError(ArithmeticError):
    """A value of some units does not fit the exact 64-bit fixed point.

    ``rows`` are the batch positions of those units (all of them, in order). The
    engine reports them as input errors: the data, not the ruleset, is out of range.
    """

    def __init__(self, source: str, rows: npt.NDArray[np.intp]) -> None:
        self.source = source
        self.rows = rows
        shown = ", ".join(str(int(r)) for r in rows[:5]) + (" …" if len(rows) > 5 else "")
        super().__init__(
            f"{source!r} overflows the exact 64-bit range for {len(rows)} unit(s) (rows {shown})"
        )


# -- exact integers with bounds ------------------------------------------------------------


@dataclass(frozen=True)
class _I:
    """An integer per unit (an int64 or object array, or one Python int for all)."""

    a: Any
    lo: int
    hi: int


def _const(value: int) -> _I:
    return _I(value, value, value)


_ONE = _const(1)


def _fits(lo: int, hi: int) -> bool:
    return lo >= INT64_MIN and hi <= INT64_MAX


def _is_wide(a: Any) -> bool:
    return isinstance(a, np.ndarray) and a.dtype == object


def _wide(a: Any) -> Any:
    if isinstance(a, np.ndarray) and a.dtype != object:
        return a.astype(object)
    return a


def _apply(f: Callable[[Any, Any], Any], x: _I, y: _I, lo: int, hi: int) -> _I:
    if not isinstance(x.a, np.ndarray) and not isinstance(y.a, np.ndarray):
        # One value for every unit: its bounds are itself (a divisor's must stay > 0).
        return _const(f(x.a, y.a))
    # An operand must fit int64 too: numpy cannot take a constant beyond it, even where
    # the result fits (0 × 10**19).
    operands_fit = _fits(min(x.lo, y.lo), max(x.hi, y.hi))
    if _fits(lo, hi) and operands_fit and not _is_wide(x.a) and not _is_wide(y.a):
        return _I(f(x.a, y.a), lo, hi)
    return _I(f(_wide(x.a), _wide(y.a)), lo, hi)


def _add(x: _I, y: _I) -> _I:
    return _apply(operator.add, x, y, x.lo + y.lo, x.hi + y.hi)


def _sub(x: _I, y: _I) -> _I:
    return _apply(operator.sub, x, y, x.lo - y.hi, x.hi - y.lo)


def _mul(x: _I, y: _I) -> _I:
    if isinstance(y.a, int) and y.a == 1:
        return x
    if isinstance(x.a, int) and x.a == 1:
        return y
    corners = (x.lo * y.lo, x.lo * y.hi, x.hi * y.lo, x.hi * y.hi)
    return _apply(operator.mul, x, y, min(corners), max(corners))


def _neg(x: _I) -> _I:
    a = _wide(x.a) if not _fits(-x.hi, -x.lo) else x.a
    return _I(-a, -x.hi, -x.lo)


def _abs(x: _I) -> _I:
    if x.lo >= 0:
        return x
    lo, hi = (-x.hi, -x.lo) if x.hi <= 0 else (0, max(-x.lo, x.hi))
    a = _wide(x.a) if not _fits(lo, hi) else x.a
    return _I(abs(a), lo, hi)


def _floordiv(x: _I, y: _I) -> _I:
    """``x // y`` for ``x ≥ 0`` and ``y > 0``."""
    return _apply(operator.floordiv, x, y, x.lo // y.hi, x.hi // y.lo)


def _select(cond: Any, x: _I, y: _I) -> _I:
    lo, hi = min(x.lo, y.lo), max(x.hi, y.hi)
    if not isinstance(cond, np.ndarray):
        return x if cond else y
    if _fits(lo, hi) and not _is_wide(x.a) and not _is_wide(y.a):
        return _I(np.where(cond, x.a, y.a), lo, hi)
    return _I(np.where(cond, _object(x.a), _object(y.a)), lo, hi)


def _object(a: Any) -> Any:
    return _wide(a) if isinstance(a, np.ndarray) else np.array(a, dtype=object)


def _smaller(x: Any, y: Any) -> Any:
    # numpy turns two Python ints into a numpy scalar, which could wrap: keep them ints.
    if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
        return np.minimum(x, y)
    return min(x, y)


def _larger(x: Any, y: Any) -> Any:
    if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
        return np.maximum(x, y)
    return max(x, y)


def _half_up(n: _I, d: _I) -> _I:
    """``n / d`` rounded half away from zero, for ``d > 0``: the rule of ``round``."""
    q = _floordiv(_add(_mul(_abs(n), _const(2)), d), _mul(d, _const(2)))
    if n.lo >= 0:
        return q
    negative = n.a < 0
    if not isinstance(negative, np.ndarray):
        return _neg(q) if negative else q
    return _select(negative, _neg(q), q)


# -- masks ---------------------------------------------------------------------------------


def _or(x: Mask, y: Mask) -> Mask:
    if x is None:
        return y
    if y is None:
        return x
    return x | y


def _minus(x: Mask, y: Mask) -> Mask:
    """Units flagged in ``x`` and not in ``y``."""
    if x is None or y is None:
        return x
    out = x & ~y
    return out if out.any() else None


def _flag(x: Mask) -> Any:
    return False if x is None else x


# -- values --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _V:
    """A sub-expression's result: values, missing units, overflowed units.

    Numbers and dates keep their values as an :class:`_I` numerator ``num`` (days for
    dates) over ``den`` (the static scale, or per-unit denominators of a ratio);
    booleans and text keep theirs in ``value``. Overflowed units are never also
    missing. Values of missing or overflowed units are placeholders, never read.
    """

    m: Mask
    p: Mask
    value: Any = None
    num: _I = _ONE
    den: _I = _ONE


class Bounds:
    """The minimum and maximum of integer columns, each computed once per batch.

    Shared by the expressions evaluated over one batch (computed facts read the same
    inputs again and again, and each other's results, whose bounds are known without
    a pass). Keyed by array identity and holding the arrays, so a key is never reused
    while the cache lives; the arrays must not change while it does.
    """

    def __init__(self) -> None:
        self._known: dict[int, tuple[npt.NDArray[Any], int, int]] = {}

    def of(self, values: npt.NDArray[Any]) -> tuple[int, int]:
        known = self._known.get(id(values))
        if known is not None and known[0] is values:
            return known[1], known[2]
        lo, hi = (int(values.min()), int(values.max())) if len(values) else (0, 0)
        self.note(values, lo, hi)
        return lo, hi

    def note(self, values: npt.NDArray[Any], lo: int, hi: int) -> None:
        self._known[id(values)] = (values, lo, hi)


class _Evaluator:
    def __init__(self, columns: Mapping[str, FactColumn], size: int, bounds: Bounds) -> None:
        self.columns = columns
        self.size = size
        self.bounds = bounds
        self.cache: dict[str, _V] = {}
        self.inputs: list[npt.NDArray[Any]] = []
        """Every input array read: the result must not be written into one of them."""

    def all_units(self) -> npt.NDArray[np.bool_]:
        return np.ones(self.size, dtype=np.bool_)

    def run(self, node: Node) -> _V:
        return _DISPATCH[type(node)](self, node)

    # -- exactness ---------------------------------------------------------------------

    def narrow(self, num: _I, m: Mask, p: Mask, den: _I = _ONE) -> _V:
        """An integer, decimal or date result: back to int64, or flag what overflows."""
        if _fits(num.lo, num.hi):
            if _is_wide(num.a):
                num = _I(num.a.astype(np.int64), num.lo, num.hi)
            return _V(_minus(m, p), p, num=num, den=den)
        lo, hi = min(max(num.lo, INT64_MIN), 0), max(min(num.hi, INT64_MAX), 0)
        if not isinstance(num.a, np.ndarray):
            if INT64_MIN <= num.a <= INT64_MAX:
                return _V(_minus(m, p), p, num=_const(num.a), den=den)
            over = _minus(self.all_units(), m)
            return _V(_minus(m, over), _or(p, over), num=_const(0), den=den)
        wide = _wide(num.a)
        bad = np.asarray((wide < INT64_MIN) | (wide > INT64_MAX), dtype=np.bool_)
        values = np.where(bad, 0, wide).astype(np.int64)
        over = _minus(bad if bad.any() else None, m)
        p = _or(p, over)
        return _V(_minus(m, p), p, num=_I(values, lo, hi), den=den)

    def number(self, type_: ExprType, num: _I, den: _I, m: Mask, p: Mask) -> _V:
        if type_.kind == "ratio":
            if _is_wide(num.a) and _fits(num.lo, num.hi):
                num = _I(num.a.astype(np.int64), num.lo, num.hi)
            return _V(_minus(m, p), p, num=num, den=den)
        return self.narrow(num, m, p, den)

    def aligned(self, x: _V, type_: ExprType) -> tuple[_I, _I]:
        """``x``'s numerator and denominator, at ``type_``'s scale unless it is a ratio."""
        if type_.kind == "ratio" or not isinstance(x.den.a, int):
            return x.num, x.den
        return _mul(x.num, _const(type_.scale // x.den.a)), _const(type_.scale)

    def cross(self, x: _V, y: _V) -> tuple[_I, _I]:
        """Two integers that order like the numbers ``x`` and ``y`` (exact)."""
        if isinstance(x.den.a, int) and isinstance(y.den.a, int):
            g = math.gcd(x.den.a, y.den.a)
            return _mul(x.num, _const(y.den.a // g)), _mul(y.num, _const(x.den.a // g))
        return _mul(x.num, y.den), _mul(y.num, x.den)

    # -- leaves ------------------------------------------------------------------------

    def const(self, node: Const) -> _V:
        value = node.value
        if isinstance(value, Fraction):
            scale = node.type.scale
            return _V(None, None, num=_const(int(value * scale)), den=_const(scale))
        if node.type.kind == "date":
            assert isinstance(value, int)
            return _V(None, None, num=_const(value))
        return _V(None, None, value=value)

    def name(self, node: Name) -> _V:
        cached = self.cache.get(node.name)
        if cached is not None:
            return cached
        column = self.columns[node.name]
        want = node.type
        if column.type != ("decimal" if want.kind == "decimal" else want.kind) or (
            want.kind == "decimal" and column.scale != want.scale
        ):
            raise ValueError(
                f"column {node.name!r} is {column.type} (scale {column.scale}) "
                f"but the expression was compiled for {want}"
            )
        if len(column) != self.size:
            raise ValueError(f"column {node.name!r} has {len(column)} values, not {self.size}")
        self.inputs += [column.values, column.missing]
        m = column.missing if column.missing.any() else None
        if want.kind in ("integer", "decimal", "date"):
            values = column.values
            lo, hi = self.bounds.of(values)
            den = _const(want.scale) if want.kind == "decimal" else _ONE
            result = _V(m, None, num=_I(values, lo, hi), den=den)
        else:
            result = _V(m, None, value=column.values)
        self.cache[node.name] = result
        return result

    # -- numbers -----------------------------------------------------------------------

    def neg(self, node: Neg) -> _V:
        x = self.run(node.operand)
        return self.number(node.type, _neg(x.num), x.den, x.m, x.p)

    def abs(self, node: Abs) -> _V:
        x = self.run(node.operand)
        return self.number(node.type, _abs(x.num), x.den, x.m, x.p)

    def arith(self, node: Arith) -> _V:
        x, y = self.run(node.left), self.run(node.right)
        m, p = _or(x.m, y.m), _or(x.p, y.p)
        if node.op in ("+", "-"):
            combine = _add if node.op == "+" else _sub
            if isinstance(x.den.a, int) and isinstance(y.den.a, int):
                scale = math.lcm(x.den.a, y.den.a)
                a = _mul(x.num, _const(scale // x.den.a))
                b = _mul(y.num, _const(scale // y.den.a))
                return self.number(node.type, combine(a, b), _const(scale), m, p)
            a, b = _mul(x.num, y.den), _mul(y.num, x.den)
            return self.number(node.type, combine(a, b), _mul(x.den, y.den), m, p)
        if node.op == "*":
            return self.number(node.type, _mul(x.num, y.num), _mul(x.den, y.den), m, p)
        return self.divide(node, x, y, m, p)

    def divide(self, node: Arith, x: _V, y: _V, m: Mask, p: Mask) -> _V:
        # (xn/xd) / (yn/yd) = (xn·yd) / (xd·yn), then the sign moves to the numerator
        # so denominators stay positive; a zero denominator makes the unit missing.
        if isinstance(x.den.a, int) and isinstance(y.den.a, int):
            g = math.gcd(x.den.a, y.den.a)
            num = _mul(x.num, _const(y.den.a // g))
            den = _mul(y.num, _const(x.den.a // g))
        else:
            num, den = _mul(x.num, y.den), _mul(x.den, y.num)
        if not isinstance(den.a, np.ndarray):
            if den.a == 0:
                return _V(_minus(_or(m, self.all_units()), p), p, num=_const(0), den=_ONE)
            if den.a < 0:
                return self.number(node.type, _neg(num), _neg(den), m, p)
            return self.number(node.type, num, den, m, p)
        # The bounds usually prove there is no sign to move (counts are never negative)
        # or no zero to guard: each proof saves a pass over the batch.
        if den.lo < 0:
            num = _select(den.a < 0, _neg(num), num)
            den = _abs(den)
        if den.lo <= 0:
            zero = den.a == 0
            if zero.any():
                m = _or(m, zero)
                den = _select(zero, _ONE, den)
            den = _I(den.a, max(den.lo, 1), den.hi)
        return self.number(node.type, num, den, m, p)

    def days_between(self, node: DaysBetween) -> _V:
        x, y = self.run(node.later), self.run(node.earlier)
        return self.narrow(_sub(x.num, y.num), _or(x.m, y.m), _or(x.p, y.p))

    def round(self, node: Round) -> _V:
        x = self.run(node.operand)
        scale = node.type.scale
        if isinstance(x.den.a, int) and scale % x.den.a == 0:
            num = _mul(x.num, _const(scale // x.den.a))
        else:
            num = _half_up(_mul(x.num, _const(scale)), x.den)
        return self.narrow(num, x.m, x.p, _const(scale))

    def min_max(self, node: MinMax) -> _V:
        # min keeps the left operand on ties, max too: equal numbers are equal values.
        keep = operator.le if node.op == "min" else operator.ge
        pick = _smaller if node.op == "min" else _larger
        result = self.run(node.args[0])
        for arg in node.args[1:]:
            y = self.run(arg)
            m, p = _or(result.m, y.m), _or(result.p, y.p)
            if node.type.kind != "ratio":
                # One scale for both: the smaller numerator is the smaller number.
                (xn, den), (yn, _) = self.aligned(result, node.type), self.aligned(y, node.type)
                num = _apply(pick, xn, yn, min(xn.lo, yn.lo), max(xn.hi, yn.hi))
                result = _V(m, p, num=num, den=den)
                continue
            a, b = self.cross(result, y)
            _, num, den = self.choose(node.type, keep(a.a, b.a), result, y)
            result = _V(m, p, num=num, den=den)
        return self.number(node.type, result.num, result.den, result.m, result.p)

    def choose(self, type_: ExprType, take: Any, x: _V, y: _V) -> tuple[Any, _I, _I]:
        """Per unit, ``x`` where ``take`` else ``y``: (value, numerator, denominator).

        Values only: the caller decides what is missing or overflowed.
        """
        if not type_.numeric and type_.kind != "date":
            if not isinstance(take, np.ndarray):
                return (x.value if take else y.value), _ONE, _ONE
            if type_.kind == "text":
                return np.where(take, _object(x.value), _object(y.value)), _ONE, _ONE
            return np.where(take, x.value, y.value), _ONE, _ONE
        xn, xd = self.aligned(x, type_)
        yn, yd = self.aligned(y, type_)
        same = isinstance(xd.a, int) and isinstance(yd.a, int) and xd.a == yd.a
        den = xd if same else _select(take, xd, yd)
        return None, _select(take, xn, yn), den

    # -- conditions --------------------------------------------------------------------

    def compare(self, node: Compare) -> _V:
        x, y = self.run(node.left), self.run(node.right)
        m, p = _or(x.m, y.m), _or(x.p, y.p)
        return _V(_minus(m, p), p, value=self.holds(node.op, x, y, node.left.type))

    def holds(self, op: CompareOp, x: _V, y: _V, type_: ExprType) -> Any:
        if type_.numeric:
            a, b = self.cross(x, y)
            return _COMPARE[op](a.a, b.a)
        if type_.kind == "date":
            return _COMPARE[op](x.num.a, y.num.a)
        return _COMPARE[op](x.value, y.value)

    def member(self, node: Member) -> _V:
        x = self.run(node.operand)
        found: Any = False
        for item in node.items:
            found = np.logical_or(found, self.holds("==", x, self.const(item), node.operand.type))
        value = np.logical_not(found) if node.negate else found
        return _V(x.m, x.p, value=value)

    def is_missing(self, node: IsMissing) -> _V:
        x = self.run(node.operand)
        value: Any = _flag(x.m)
        return _V(None, x.p, value=np.logical_not(value) if node.negate else value)

    def not_(self, node: Not) -> _V:
        x = self.run(node.operand)
        return _V(x.m, x.p, value=np.logical_not(x.value))

    def logic(self, node: Logic) -> _V:
        # Kleene logic: a side that is known false decides 'and' (known true decides
        # 'or') whatever the other side is — missing, or even overflowed.
        x, y = self.run(node.left), self.run(node.right)
        decisive = node.op == "or"

        def decides(v: _V) -> Any:
            known = np.logical_not(np.logical_or(_flag(v.m), _flag(v.p)))
            value = v.value if decisive else np.logical_not(v.value)
            return np.logical_and(known, value)

        decided = np.logical_or(decides(x), decides(y))
        undecided = np.logical_not(decided)
        p = self.mask(np.logical_and(undecided, np.logical_or(_flag(x.p), _flag(y.p))))
        m = self.mask(np.logical_and(undecided, np.logical_or(_flag(x.m), _flag(y.m))))
        value = decided if decisive else undecided
        return _V(_minus(m, p), p, value=value)

    def if_else(self, node: IfElse) -> _V:
        test = self.run(node.test)
        then, otherwise = self.run(node.then), self.run(node.otherwise)
        take = test.value
        value, num, den = self.choose(node.type, take, then, otherwise)
        # The test's own state wins: a missing test gives a missing result and an
        # overflowed test an overflowed one, whatever the branches hold.
        undecided = _or(test.m, test.p)
        p = _or(test.p, _minus(self.branch(take, then.p, otherwise.p), undecided))
        m = _minus(_or(test.m, _minus(self.branch(take, then.m, otherwise.m), undecided)), p)
        if node.type.numeric or node.type.kind == "date":
            return self.number(node.type, num, den, m, p)
        return _V(m, p, value=value)

    def branch(self, take: Any, then: Mask, otherwise: Mask) -> Mask:
        """Per unit, the ``then`` flag where ``take`` else the ``otherwise`` flag."""
        if not isinstance(take, np.ndarray):
            return then if take else otherwise
        if then is None and otherwise is None:
            return None
        return self.mask(np.where(take, _flag(then), _flag(otherwise)))

    def mask(self, flags: Any) -> Mask:
        if isinstance(flags, np.ndarray):
            return flags if flags.any() else None
        return self.all_units() if flags else None


_DISPATCH: dict[type[Node], Callable[[_Evaluator, Any], _V]] = {
    Const: _Evaluator.const,
    Name: _Evaluator.name,
    Neg: _Evaluator.neg,
    Abs: _Evaluator.abs,
    Arith: _Evaluator.arith,
    DaysBetween: _Evaluator.days_between,
    Round: _Evaluator.round,
    MinMax: _Evaluator.min_max,
    Compare: _Evaluator.compare,
    Member: _Evaluator.member,
    IsMissing: _Evaluator.is_missing,
    Not: _Evaluator.not_,
    Logic: _Evaluator.logic,
    IfElse: _Evaluator.if_else,
}


_PLACEHOLDER: dict[str, Any] = {"boolean": False, "text": ""}


def evaluate(
    root: Node,
    source: str,
    columns: Mapping[str, FactColumn],
    size: int,
    bounds: Bounds | None = None,
) -> FactColumn:
    """Evaluate ``root`` over ``size`` units; see :meth:`Expression.evaluate`."""
    bounds = bounds if bounds is not None else Bounds()
    evaluator = _Evaluator(columns, size, bounds)
    result = evaluator.run(root)
    if result.p is not None:
        raise ExpressionOverflowError(source, np.flatnonzero(result.p))
    kind = root.type.kind
    if kind in ("boolean", "text"):
        dtype: Any = np.bool_ if kind == "boolean" else object
        values = result.value
    else:
        dtype, values = np.int64, result.num.a
    if not isinstance(values, np.ndarray):
        values = np.full(size, values, dtype=dtype)
    else:
        values = values.astype(dtype, copy=False)
    missing = result.m
    if missing is None:
        missing = np.zeros(size, dtype=np.bool_)
    elif any(values is array for array in evaluator.inputs):
        values = np.where(missing, _PLACEHOLDER.get(kind, 0), values).astype(dtype, copy=False)
    else:
        # A fresh array (the usual case): placeholders go in place, saving a pass.
        np.putmask(values, missing, _PLACEHOLDER.get(kind, 0))
    if dtype is np.int64:
        bounds.note(values, min(result.num.lo, 0), max(result.num.hi, 0))
    fact_type = "decimal" if kind == "decimal" else kind
    return FactColumn(fact_type, values, missing, root.type.scale)  # type: ignore[arg-type]
