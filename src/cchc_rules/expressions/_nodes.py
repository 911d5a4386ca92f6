"""The typed tree an expression compiles to: the only operations the language has.

Both evaluators (:mod:`._vector` over columns, :mod:`._unit` for one unit) walk this
tree and nothing else, so what the checker accepted is exactly what runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from fractions import Fraction
from typing import Literal

from ._types import BOOLEAN, ExprType

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
    "all_of",
    "depth",
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


def all_of(op: Literal["and", "or"], operands: Sequence[Node]) -> Node:
    """``operands`` joined by ``op``, as a balanced tree.

    NOTE: balanced, not left-deep: ``a and b and …`` of n operands is then ⌈log2 n⌉
    levels deep, so what evaluation recurses through grows with the log of a long
    chain, not with its length. The language's ``and``/``or`` (missing and overflow
    included) is associative, so the grouping does not change any value.
    """
    if len(operands) == 1:
        return operands[0]
    middle = len(operands) // 2
    return Logic(BOOLEAN, op, all_of(op, operands[:middle]), all_of(op, operands[middle:]))


def _children(node: Node) -> list[Node]:
    found: list[Node] = []
    for field in fields(node):
        value = getattr(node, field.name)
        if isinstance(value, Node):
            found.append(value)
        elif isinstance(value, tuple):
            found.extend(item for item in value if isinstance(item, Node))
    return found


def depth(root: Node) -> int:
    """Levels of the tree: the nodes on its longest path from ``root`` to a leaf, which
    is how deep both evaluators recurse. Measured without recursion."""
    deepest = 0
    stack = [(root, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in _children(node))
    return deepest
