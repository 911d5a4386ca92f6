"""The expression language of rulesets: computed facts and conditions.

``compile_expression`` parses, checks and types an expression once (at ruleset load
time); the :class:`Expression` it returns evaluates over whole fact columns
(``evaluate``) or for one unit (``evaluate_unit``, the reference the vectorised path
is tested against). The grammar, the missing-value rule and the exactness rules are
in ``docs/expressions.md``; why it is built this way is in
``docs/decisions/0014-expression-language.md``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from ..errors import Problem
from ..kinds import UNIT_TYPE, FactColumn, FactValue
from ._compile import ExpressionError, ExprProblem, TypedName, check, declared_type
from ._nodes import Node, all_of
from ._types import BOOLEAN, ExprType
from ._unit import evaluate_unit
from ._vector import Bounds, ExpressionOverflowError, evaluate

__all__ = [
    "BOOLEAN",
    "UNIT_TYPE",
    "ExprProblem",
    "ExprType",
    "Expression",
    "ExpressionError",
    "ExpressionOverflowError",
    "all_true",
    "compile_expression",
    "declared_type",
    "evaluate_all",
    "problems",
    "unit_type_column",
]


@dataclass(frozen=True)
class Expression:
    """A compiled, type-checked expression. Build it with :func:`compile_expression`."""

    source: str
    type: ExprType
    """The result type: ``integer``, ``decimal(digits)``, ``boolean``, ``date`` or ``text``."""
    names: frozenset[str]
    """The facts (and ``unit_type``) the expression reads."""
    _root: Node = field(repr=False)
    _types: Mapping[str, ExprType] = field(repr=False)

    def evaluate(self, columns: Mapping[str, FactColumn], size: int) -> FactColumn:
        """The expression over ``size`` units at once, from the columns it reads.

        ``columns`` must hold every name in :attr:`names` (others are ignored), typed as
        declared at compile time. The result is exact: a decimal result is int64 in
        units of ``1/scale`` with ``scale = 10**type.digits``. Its ``missing`` mask marks
        the units whose value is missing (a missing input, a division by zero): for a
        condition, the caller decides what a missing answer means. May share memory
        with the input columns. Raises :class:`ExpressionOverflowError` naming the units
        whose result does not fit the exact 64-bit fixed point.
        """
        return evaluate(self._root, self.source, columns, size)

    def evaluate_unit(self, values: Mapping[str, FactValue]) -> FactValue:
        """The expression for one unit; ``None`` in and out is a missing value.

        Plain-Python exact arithmetic on the same tree and by the same rules as
        :meth:`evaluate`; an overflow raises :class:`ExpressionOverflowError` (row 0).
        """
        result, overflowed = evaluate_unit(
            self._root, {name: self._types[name] for name in self.names}, values
        )
        if overflowed:
            raise ExpressionOverflowError(self.source, np.zeros(1, dtype=np.intp))
        return result


def compile_expression(
    source: str,
    names: Mapping[str, ExprType | TypedName],
    *,
    expected: ExprType | None = None,
    choices: Mapping[str, Collection[str]] | None = None,
) -> Expression:
    """Parse, check and type ``source``; raise :class:`ExpressionError` with every problem.

    ``names`` are what the expression may read, with their types: declared facts
    (``FactSpec`` works as is), earlier computed facts, and for conditions
    ``unit_type`` (``ExprType("text")``). ``expected`` is the type the caller needs:
    ``BOOLEAN`` for a condition, the declared type of a computed fact (an integer or a
    decimal with fewer digits fits a decimal fact and is rescaled exactly; more digits
    must be rounded with ``round``). ``choices`` lists the allowed values of text names
    (e.g. ``unit_type``), so ``unit_type == 'thanh_tr'`` is refused with a suggestion.
    """
    types = {name: declared_type(spec) for name, spec in names.items()}
    root, read = check(source, types, choices or {}, expected)
    return Expression(source, root.type, read, root, types)


def all_true(conditions: Sequence[Expression]) -> Expression:
    """Compiled conditions joined by ``and``: one condition that holds where all of them do.

    Joined as compiled trees, not as text, so the join never meets a limit of the text
    (length, operands) that each part met on its own; it is ⌈log2 n⌉ levels deeper than
    its deepest part (balanced), which evaluation allows for.
    """
    if not conditions or any(part.type != BOOLEAN for part in conditions):
        raise ValueError("all_true() joins one or more conditions (boolean expressions)")
    if len(conditions) == 1:
        return conditions[0]
    types: dict[str, ExprType] = {}
    for part in conditions:
        types.update(part._types)
    return Expression(
        " and ".join(f"({part.source})" for part in conditions),
        BOOLEAN,
        frozenset().union(*(part.names for part in conditions)),
        all_of("and", [part._root for part in conditions]),
        types,
    )


def evaluate_all(
    expressions: Mapping[str, Expression], columns: Mapping[str, FactColumn], size: int
) -> dict[str, FactColumn]:
    """Computed facts over one batch, in order: each may read the ones before it.

    Faster than calling :meth:`Expression.evaluate` one by one: the bounds that prove
    int64 arithmetic safe are found once per input column, and known without a pass
    for computed results. Returns the computed columns only.
    """
    available = dict(columns)
    bounds = Bounds()
    for name, expression in expressions.items():
        available[name] = evaluate(expression._root, expression.source, available, size, bounds)
    return {name: available[name] for name in expressions}


def problems(error: ExpressionError, file: str, line: int | None, path: str) -> list[Problem]:
    """Located ruleset problems for an expression error, one per problem.

    ``file:line: path: message (at column N of the expression)`` — the loader passes
    the key path of the expression (``facts.reports_late.expr``, ``areas.A.criteria.A1
    .applies_when``).
    """
    return [Problem(file, line, path, str(problem)) for problem in error.problems]


def unit_type_column(unit_types: npt.NDArray[np.object_]) -> FactColumn:
    """The ``unit_type`` name of conditions, from a batch's unit types."""
    return FactColumn("text", unit_types, np.zeros(len(unit_types), dtype=np.bool_))
