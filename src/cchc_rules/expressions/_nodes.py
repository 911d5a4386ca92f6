"""The typed tree an expression compiles to: the only operations the language has.

Both evaluators (:mod:`._vector` over columns, :mod:`._unit` for one unit) walk this
tree and nothing else, so what the checker accepted is exactly what runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from ._types import ExprType

__all__ = [
    "Abs",
    "Arith",
    "Compare",
    "CompareOp",
    "Const",
    "DaysBetween",
    "IfElse",
    "IsMissing",
    "Logic",
    "Member",
    "MinMax",
    "Name",
    "Neg",
    "Node",
    "Not",
    "Round",
]

CompareOp = Literal["==", "!=", "<", "<=", ">", ">="]
ConstValue = Fraction | bool | int | str
"""A number is a ``Fraction`` (exact), a date is ``int`` days since 1970-01-01."""


@dataclass(frozen=True, eq=False)
class Node:
    type: ExprType


@dataclass(frozen=True, eq=False)
class Const(Node):
    value: ConstValue


@dataclass(frozen=True, eq=False)
class Name(Node):
    name: str


@dataclass(frozen=True, eq=False)
class Neg(Node):
    operand: Node


@dataclass(frozen=True, eq=False)
class Abs(Node):
    operand: Node


@dataclass(frozen=True, eq=False)
class Arith(Node):
    op: Literal["+", "-", "*", "/"]
    left: Node
    right: Node


@dataclass(frozen=True, eq=False)
class DaysBetween(Node):
    """``later - earlier`` on two dates: whole days, an integer."""

    later: Node
    earlier: Node


@dataclass(frozen=True, eq=False)
class Round(Node):
    """Half-up (ties away from zero) to ``type.digits`` digits after the point."""

    operand: Node


@dataclass(frozen=True, eq=False)
class MinMax(Node):
    op: Literal["min", "max"]
    args: tuple[Node, ...]


@dataclass(frozen=True, eq=False)
class Compare(Node):
    op: CompareOp
    left: Node
    right: Node


@dataclass(frozen=True, eq=False)
class Member(Node):
    """``operand in [items]``; ``negate`` for ``not in``. Items are constants."""

    operand: Node
    items: tuple[Const, ...]
    negate: bool


@dataclass(frozen=True, eq=False)
class IsMissing(Node):
    operand: Node
    negate: bool


@dataclass(frozen=True, eq=False)
class Not(Node):
    operand: Node


@dataclass(frozen=True, eq=False)
class Logic(Node):
    op: Literal["and", "or"]
    left: Node
    right: Node


@dataclass(frozen=True, eq=False)
class IfElse(Node):
    test: Node
    then: Node
    otherwise: Node
