"""Source text → typed tree: the whitelist, the limits and the type checker.

Python's own parser (``ast.parse(mode="eval")``) reads the text; this module accepts
only the handful of node types listed in :meth:`_Checker.node` and turns them into the
typed tree of :mod:`._nodes`. Nothing is ever compiled to Python code.
"""

from __future__ import annotations

import ast
import datetime as dt
import re
import unicodedata
import warnings
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Literal, Protocol

from .._diagnostics import did_you_mean
from ._nodes import (
    Abs,
    Arith,
    Compare,
    CompareOp,
    Const,
    DaysBetween,
    IfElse,
    IsMissing,
    Member,
    MinMax,
    Name,
    Neg,
    Node,
    Not,
    Round,
    all_of,
    depth,
)
from ._types import (
    BOOLEAN,
    DATE,
    DIVISION_NOTE,
    INTEGER,
    MAX_DEPTH,
    MAX_DIGITS,
    MAX_LENGTH,
    MAX_LITERAL,
    MAX_NODES,
    MAX_SIGNIFICANT,
    RATIO,
    TEXT,
    ExprType,
    common_numeric,
)

__all__ = ["ExprProblem", "ExpressionError", "TypedName", "check", "declared_type"]

EPOCH = dt.date(1970, 1, 1)
FUNCTIONS = ("abs", "date", "max", "min", "round")
# NOTE: wider than a fact name (cchc_rules._names.NAME): a lowercase name that may start
# with "_" is still a name, reported as unknown, not as badly spelt.
_NAME = re.compile(r"[a-z_][a-z0-9_]*", re.ASCII)
_NUMBER = re.compile(r"([0-9]+)(?:\.([0-9]+))?", re.ASCII)
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)

_COMPARE_OPS: dict[type[ast.cmpop], CompareOp] = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
}
_ARITH_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
_OTHER_OPS = {
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.Pow: "**",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.BitAnd: "&",
    ast.MatMult: "@",
}
# What the user wrote, in words, for every Python construct the language refuses.
_REFUSED: dict[type[ast.AST], str] = {
    ast.Attribute: "attribute access ('.')",
    ast.Subscript: "subscripts ('[…]' after a value)",
    ast.Slice: "slices",
    ast.Lambda: "lambda",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "comprehensions",
    ast.JoinedStr: "f-strings",
    ast.FormattedValue: "f-strings",
    ast.NamedExpr: "assignment (':=')",
    ast.Starred: "starred arguments ('*')",
    ast.Dict: "dictionaries",
    ast.Set: "sets",
    ast.Tuple: "tuples",
    ast.List: "lists outside 'x in [...]'",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
}


class TypedName(Protocol):
    """Anything that declares a fact's type the way ``FactSpec`` does."""

    @property
    def type(self) -> str: ...

    @property
    def decimals(self) -> int | None: ...


def declared_type(spec: ExprType | TypedName) -> ExprType:
    """The expression type of a declared fact (a ``FactSpec``) or an ``ExprType``."""
    if isinstance(spec, ExprType):
        return spec
    if spec.type == "decimal":
        return ExprType("decimal", spec.decimals or 0)
    if spec.type in ("integer", "boolean", "date", "text"):
        return ExprType(spec.type)  # type: ignore[arg-type]  # narrowed by the test above
    raise ValueError(f"unknown fact type {spec.type!r}")


@dataclass(frozen=True, order=True)
class ExprProblem:
    """One problem in an expression: where (1-based column) and what."""

    position: int
    message: str

    def __str__(self) -> str:
        return f"{self.message} (at column {self.position} of the expression)"


class ExpressionError(ValueError):
    """An expression was refused; ``problems`` lists every problem found, in order.

    ``position`` and ``message`` are those of the first problem, for callers that show
    one. The loader turns each problem into a located ruleset problem.
    """

    def __init__(self, source: str, problems: list[ExprProblem]) -> None:
        self.source = source
        self.problems = tuple(sorted(problems))
        self.position = self.problems[0].position
        self.message = self.problems[0].message
        super().__init__("\n".join(str(p) for p in self.problems))


def _a(category: str) -> str:
    return category if category == "text" else f"a {category}"


def _clip(text: str) -> str:
    return text if len(text) <= 24 else text[:20] + "…"


def _describe_char(ch: str) -> str:
    return f"U+{ord(ch):04X} {unicodedata.name(ch, 'UNNAMED CHARACTER')}"


class _Checker:
    def __init__(
        self,
        source: str,
        names: Mapping[str, ExprType],
        choices: Mapping[str, Collection[str]],
        lead: int,
    ) -> None:
        self.source = source
        self.names = names
        self.choices = choices
        self.lead = lead
        # ast positions are UTF-8 byte offsets; messages count characters.
        self.char_at: list[int] = []
        for index, ch in enumerate(source[lead:]):
            self.char_at.extend([index] * len(ch.encode()))
        self.char_at.append(len(source) - lead)
        self.problems: list[ExprProblem] = []
        self.read: set[str] = set()

    # -- locating ---------------------------------------------------------------------

    def offset(self, byte_offset: int) -> int:
        """0-based character offset in the full source of an ast byte offset."""
        return self.lead + self.char_at[min(byte_offset, len(self.char_at) - 1)]

    def at(self, node: ast.AST) -> int:
        return self.offset(getattr(node, "col_offset", 0)) + 1

    def text(self, node: ast.expr) -> str:
        end = node.end_col_offset if node.end_col_offset is not None else node.col_offset
        return self.source[self.offset(node.col_offset) : self.offset(end)]

    def fail(self, node: ast.AST, message: str) -> None:
        self.problems.append(ExprProblem(self.at(node), message))

    # -- the whitelist ------------------------------------------------------------------

    def node(self, n: ast.expr) -> Node | None:
        if isinstance(n, ast.Constant):
            return self.constant(n)
        if isinstance(n, ast.Name):
            return self.name(n)
        if isinstance(n, ast.UnaryOp):
            return self.unary(n)
        if isinstance(n, ast.BinOp):
            return self.binary(n)
        if isinstance(n, ast.BoolOp):
            return self.boolean(n)
        if isinstance(n, ast.Compare):
            return self.compare(n)
        if isinstance(n, ast.IfExp):
            return self.if_else(n)
        if isinstance(n, ast.Call):
            return self.call(n)
        what = _REFUSED.get(type(n), type(n).__name__)
        self.fail(n, f"expressions cannot use {what}")
        return None

    def constant(self, n: ast.Constant) -> Node | None:
        value = n.value
        if isinstance(value, bool) or value is None:
            written = self.text(n)
            hint = f"write {written.lower()}" if isinstance(value, bool) else "test 'x is missing'"
            self.fail(n, f"{written!r} is not part of the language; {hint}")
            return None
        if isinstance(value, str):
            return Const(TEXT, value)
        if isinstance(value, int | float):
            return self.number(n)
        self.fail(n, f"expressions cannot use {type(value).__name__} literals")
        return None

    def number(self, n: ast.Constant) -> Node | None:
        written = self.text(n)
        match = _NUMBER.fullmatch(written)
        if match is None:
            self.fail(
                n,
                "write numbers as plain digits with an optional decimal point, "
                f"such as 12 or 0.25 (got {_clip(written)!r})",
            )
            return None
        whole, fraction = match.group(1), match.group(2) or ""
        if int(whole) >= MAX_LITERAL:
            self.fail(
                n, f"the number {_clip(written)} is too large (at most 15 digits before the point)"
            )
            return None
        if len(fraction) > MAX_DIGITS:
            self.fail(
                n, f"the number {_clip(written)} has more than {MAX_DIGITS} digits after the point"
            )
            return None
        if len(whole.lstrip("0")) + len(fraction) > MAX_SIGNIFICANT:
            # Every constant then fits the 64-bit fixed point at its own scale.
            self.fail(n, f"the number {_clip(written)} has more than {MAX_SIGNIFICANT} digits")
            return None
        return Const(ExprType.number(len(fraction)), Fraction(Decimal(written)))

    def name(self, n: ast.Name) -> Node | None:
        name = n.id
        if name in ("true", "false"):
            return Const(BOOLEAN, name == "true")
        if name == "missing":
            self.fail(n, "'missing' can only be tested: write 'x is missing' or 'x is not missing'")
            return None
        if name in FUNCTIONS:
            self.fail(n, f"{name!r} is a function; call it as {name}(…)")
            return None
        if name.startswith("__"):
            self.fail(n, f"names starting with '__' are not allowed (got {name!r})")
            return None
        if _NAME.fullmatch(name) is None:
            self.fail(
                n,
                f"unknown name {name!r}; names are lowercase ASCII letters, digits and '_'"
                + did_you_mean(name.lower(), self.names, aside=True),
            )
            return None
        spec = self.names.get(name)
        if spec is None:
            suggestion = did_you_mean(name, [*self.names, *FUNCTIONS], aside=True)
            self.fail(n, f"unknown name {name!r}" + (suggestion or "; declare it as a fact first"))
            return None
        self.read.add(name)
        return Name(spec, name)

    def unary(self, n: ast.UnaryOp) -> Node | None:
        if isinstance(n.op, ast.UAdd | ast.Invert):
            symbol = "+" if isinstance(n.op, ast.UAdd) else "~"
            hint = "" if symbol == "+" else "; use 'not'"
            self.fail(n, f"unary {symbol!r} is not allowed{hint}")
            return None
        operand = self.node(n.operand)
        if operand is None:
            return None
        if isinstance(n.op, ast.Not):
            if operand.type != BOOLEAN:
                self.fail(n, f"'not' needs a boolean (got {operand.type.category})")
                return None
            return Not(BOOLEAN, operand)
        if not operand.type.numeric:
            self.fail(n, f"cannot negate {operand.type.category}")
            return None
        if isinstance(operand, Const) and isinstance(operand.value, Fraction):
            return Const(operand.type, -operand.value)
        return Neg(operand.type, operand)

    def binary(self, n: ast.BinOp) -> Node | None:
        op = _ARITH_OPS.get(type(n.op))
        if op is None:
            symbol = _OTHER_OPS.get(type(n.op), type(n.op).__name__)
            self.fail(n, f"operator {symbol!r} is not allowed; the operators are + - * /")
            self.node(n.left)
            self.node(n.right)
            return None
        left, right = self.node(n.left), self.node(n.right)
        if left is None or right is None:
            return None
        a, b = left.type, right.type
        if a.numeric and b.numeric:
            if op in ("+", "-"):
                return Arith(common_numeric(a, b), op, left, right)  # type: ignore[arg-type]
            if op == "*":
                if RATIO in (a, b):
                    return Arith(RATIO, "*", left, right)
                digits = a.digits + b.digits
                if digits > MAX_DIGITS:
                    self.fail(
                        n,
                        f"the product has {digits} digits after the point (at most "
                        f"{MAX_DIGITS}); round an operand first",
                    )
                    return None
                return Arith(ExprType.number(digits), "*", left, right)
            if isinstance(right, Const) and right.value == 0:
                self.fail(n, "division by zero")
                return None
            return Arith(RATIO, "/", left, right)
        if op == "-" and a == DATE and b == DATE:
            return DaysBetween(INTEGER, left, right)
        x, y = a.category, b.category
        message = {
            "+": f"cannot add {y} to {x}",
            "-": f"cannot subtract {y} from {x}",
            "*": f"cannot multiply {x} by {y}",
            "/": f"cannot divide {x} by {y}",
        }[op]
        self.fail(n, message)
        return None

    def boolean(self, n: ast.BoolOp) -> Node | None:
        op: Literal["and", "or"] = "and" if isinstance(n.op, ast.And) else "or"
        operands = [self.node(value) for value in n.values]
        good: list[Node] = []
        for value, operand in zip(n.values, operands, strict=True):
            if operand is None:
                continue
            if operand.type != BOOLEAN:
                self.fail(value, f"{op!r} needs boolean operands (got {operand.type.category})")
                continue
            good.append(operand)
        if len(good) != len(operands):
            return None
        return all_of(op, good)

    def compare(self, n: ast.Compare) -> Node | None:
        first = n.ops[0]
        if isinstance(first, ast.Is | ast.IsNot):
            return self.is_missing(n)
        if isinstance(first, ast.In | ast.NotIn):
            return self.membership(n)
        for op in n.ops:
            if not isinstance(op, tuple(_COMPARE_OPS)):
                self.fail(n, "'is' and 'in' cannot be chained with other comparisons")
                return None
        operands = [self.node(n.left), *(self.node(c) for c in n.comparators)]
        tests: list[Node] = []
        for index, op in enumerate(n.ops):
            left, right = operands[index], operands[index + 1]
            if left is None or right is None:
                continue
            test = self.comparison(n, _COMPARE_OPS[type(op)], left, right)
            if test is not None:
                tests.append(test)
        if len(tests) != len(n.ops):
            return None
        # NOTE: a chain a < b < c means (a < b) and (b < c), as in Python, with the
        # language's own 'and' (so its missing-value rule); b is evaluated twice.
        return all_of("and", tests)

    def comparison(self, n: ast.AST, op: CompareOp, left: Node, right: Node) -> Node | None:
        a, b = left.type, right.type
        comparable = (a.numeric and b.numeric) or a == b
        if not comparable:
            self.fail(n, f"cannot compare {a.category} with {b.category}")
            return None
        if a.kind in ("text", "boolean") and op not in ("==", "!="):
            self.fail(n, f"{a.kind} can only be compared with == or != (got {op!r})")
            return None
        self.check_choice(n, left, right)
        self.check_choice(n, right, left)
        return Compare(BOOLEAN, op, left, right)

    def check_choice(self, n: ast.AST, name: Node, value: Node) -> None:
        if not (isinstance(name, Name) and isinstance(value, Const)):
            return
        allowed = self.choices.get(name.name)
        if allowed is None or value.value in allowed:
            return
        self.fail(
            n,
            f"{value.value!r} is not a value of {name.name}"
            + (
                did_you_mean(str(value.value), allowed, aside=True)
                or f" (one of {', '.join(sorted(allowed))})"
            ),
        )

    def is_missing(self, n: ast.Compare) -> Node | None:
        right = n.comparators[0]
        if len(n.ops) != 1 or not (isinstance(right, ast.Name) and right.id == "missing"):
            self.fail(n, "'is' is only used as 'x is missing' or 'x is not missing'")
            return None
        operand = self.node(n.left)
        if operand is None:
            return None
        return IsMissing(BOOLEAN, operand, isinstance(n.ops[0], ast.IsNot))

    def membership(self, n: ast.Compare) -> Node | None:
        negate = isinstance(n.ops[0], ast.NotIn)
        right = n.comparators[0]
        if len(n.ops) != 1:
            self.fail(n, "'in' cannot be chained with other comparisons")
            return None
        if not isinstance(right, ast.List) or not right.elts:
            self.fail(right, "'in' needs a non-empty list of constants such as ['a', 'b']")
            return None
        operand = self.node(n.left)
        items: list[Const] = []
        for elt in right.elts:
            item = self.node(elt)
            if item is None:
                continue
            if not isinstance(item, Const):
                self.fail(elt, "the items of an 'in' list must be constants")
                continue
            if operand is not None and self.comparison(elt, "==", operand, item) is not None:
                items.append(item)
        if operand is None or len(items) != len(right.elts):
            return None
        return Member(BOOLEAN, operand, tuple(items), negate)

    def if_else(self, n: ast.IfExp) -> Node | None:
        test, then, otherwise = self.node(n.test), self.node(n.body), self.node(n.orelse)
        if test is not None and test.type != BOOLEAN:
            self.fail(
                n.test, f"the condition of 'if … else' must be boolean (got {test.type.category})"
            )
            return None
        if test is None or then is None or otherwise is None:
            return None
        a, b = then.type, otherwise.type
        if a.numeric and b.numeric:
            return IfElse(common_numeric(a, b), test, then, otherwise)
        if a != b:
            self.fail(
                n,
                f"the two results of 'if … else' have different types "
                f"({a.category} and {b.category})",
            )
            return None
        return IfElse(a, test, then, otherwise)

    def call(self, n: ast.Call) -> Node | None:
        func = n.func
        if not isinstance(func, ast.Name):
            reported = len(self.problems)
            self.node(func)  # reports the attribute access, lambda … being called, if any
            if len(self.problems) == reported:
                self.fail(n, f"only the functions {', '.join(FUNCTIONS)} can be called")
            return None
        name = func.id
        if name not in FUNCTIONS:
            if name in self.names:
                self.fail(n, f"{name!r} is a fact, not a function")
            else:
                self.fail(
                    n,
                    f"unknown function {name!r}"
                    + (
                        did_you_mean(name, FUNCTIONS, aside=True)
                        or f" (the functions are {', '.join(FUNCTIONS)})"
                    ),
                )
            return None
        if n.keywords:
            self.fail(n, f"{name}() takes no keyword arguments")
            return None
        if name == "date":
            return self.date(n)
        args = [self.node(arg) for arg in n.args]
        if any(arg is None for arg in args):
            return None
        checked = [arg for arg in args if arg is not None]
        if name in ("min", "max"):
            return self.min_max(n, name, checked)
        if name == "abs":
            if len(checked) != 1:
                self.fail(n, f"abs() takes 1 argument (got {len(checked)})")
                return None
            if not checked[0].type.numeric:
                self.fail(n, f"abs() needs a number (got {checked[0].type.category})")
                return None
            return Abs(checked[0].type, checked[0])
        return self.round(n, checked)

    def date(self, n: ast.Call) -> Node | None:
        arg = n.args[0] if len(n.args) == 1 else None
        if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
            self.fail(n, "date() takes one text literal such as date('2019-12-31')")
            return None
        if _ISO_DATE.fullmatch(arg.value) is None:
            self.fail(arg, f"dates are written 'YYYY-MM-DD' (got {arg.value!r})")
            return None
        try:
            day = dt.date.fromisoformat(arg.value)
        except ValueError:
            self.fail(arg, f"{arg.value!r} is not a valid date")
            return None
        return Const(DATE, (day - EPOCH).days)

    def min_max(self, n: ast.Call, name: str, args: list[Node]) -> Node | None:
        if len(args) < 2:
            self.fail(n, f"{name}() takes at least 2 arguments (got {len(args)})")
            return None
        result = args[0].type
        for arg in args[1:]:
            if result.numeric and arg.type.numeric:
                result = common_numeric(result, arg.type)
            elif not result == arg.type == DATE:
                self.fail(
                    n,
                    f"{name}() needs numbers or dates of one type "
                    f"(got {args[0].type.category} and {arg.type.category})",
                )
                return None
        return MinMax(result, name, tuple(args))  # type: ignore[arg-type]

    def round(self, n: ast.Call, args: list[Node]) -> Node | None:
        if len(args) != 2:
            self.fail(n, f"round() takes 2 arguments, round(x, digits) (got {len(args)})")
            return None
        value, digits = args
        if not value.type.numeric:
            self.fail(n, f"round() needs a number (got {value.type.category})")
            return None
        if not (
            isinstance(digits, Const)
            and digits.type.kind == "integer"
            and isinstance(digits.value, Fraction)
            and 0 <= digits.value <= MAX_DIGITS
        ):
            self.fail(n.args[1], f"round() digits must be a whole number from 0 to {MAX_DIGITS}")
            return None
        return Round(ExprType.number(int(digits.value)), value)


_TOO_DEEP = f"the expression is nested too deeply (at most {MAX_DEPTH} levels)"


def _limits(tree: ast.Expression, checker: _Checker) -> bool:
    """Depth and size of the tree, measured without recursion (the tree may be hostile).

    A level is an expression node (an operand, operator, call, comparison or
    ``if … else``) inside another; the nodes Python adds around them (load contexts,
    operator symbols) do not count.
    """
    count = 0
    # each node with the number of expression nodes above it
    stack: list[tuple[ast.AST, int]] = [(tree.body, 0)]
    while stack:
        node, above = stack.pop()
        if isinstance(node, ast.expr):
            above += 1
            if above > MAX_DEPTH:
                checker.fail(node, _TOO_DEEP)
                return False
            count += 1
            if count > MAX_NODES:
                checker.fail(node, f"the expression is too large (at most {MAX_NODES} operands)")
                return False
        stack.extend((child, above) for child in ast.iter_child_nodes(node))
    return True


def _look_alikes(tree: ast.Expression, checker: _Checker) -> None:
    """Refuse non-ASCII characters outside text literals.

    Python folds identifiers with NFKC, so a fullwidth 'ｘ' would silently read the fact
    'x'; a Cyrillic 'а' would make a different name that merely looks declared.
    """
    source = checker.source
    literal = [False] * len(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            end = node.end_col_offset if node.end_col_offset is not None else node.col_offset
            for index in range(checker.offset(node.col_offset), checker.offset(end)):
                literal[index] = True
    index = 0
    while index < len(source):
        if source[index].isascii() or literal[index]:
            index += 1
            continue
        start, end = index, index
        while start > 0 and (source[start - 1].isalnum() or source[start - 1] == "_"):
            start -= 1
        while end < len(source) and (source[end].isalnum() or source[end] == "_"):
            end += 1
        word = source[start : max(end, index + 1)]
        checker.problems.append(
            ExprProblem(
                index + 1,
                f"{word!r} is not a plain ASCII name: {source[index]!r} is "
                f"{_describe_char(source[index])}; names use only a-z, 0-9 and '_'",
            )
        )
        index = max(end, index + 1)


def _parse(source: str) -> tuple[str, ast.Expression | None, list[ExprProblem]]:
    """Checks on the raw text, then Python's parser; returns the text as parsed."""
    if not source.strip():
        return source, None, [ExprProblem(1, "the expression is empty")]
    if len(source) > MAX_LENGTH:
        return (
            source,
            None,
            [
                ExprProblem(
                    MAX_LENGTH + 1,
                    f"the expression is longer than {MAX_LENGTH} characters (got {len(source)})",
                )
            ],
        )
    for index, ch in enumerate(source):
        if unicodedata.category(ch) == "Cc" and ch not in "\t\n\r":
            message = f"control character U+{ord(ch):04X} is not allowed"
            return source, None, [ExprProblem(index + 1, message)]
        if ch == "#" and not _inside_quotes(source, index):
            return source, None, [ExprProblem(index + 1, "comments ('#') are not allowed")]
    # One line, same length: positions stay character columns of what the user wrote.
    flat = source.replace("\t", " ").replace("\n", " ").replace("\r", " ")
    lead = len(flat) - len(flat.lstrip())
    try:
        with warnings.catch_warnings():
            # e.g. "'is' with a literal": the checker explains those itself.
            warnings.simplefilter("ignore")
            tree = ast.parse(flat[lead:], mode="eval")
    except SyntaxError as error:
        message = error.msg
        if "too many nested parentheses" in message:
            message = _TOO_DEEP
        position = lead + (error.offset or len(flat) - lead)
        return flat, None, [ExprProblem(min(max(position, 1), len(flat)), message)]
    except (RecursionError, MemoryError, ValueError):
        return flat, None, [ExprProblem(1, "the expression is too complex to read")]
    return flat, tree, []


def _inside_quotes(source: str, index: int) -> bool:
    # Good enough to tell a comment from a '#' in a text literal; the parser decides the rest.
    quote: str | None = None
    escaped = False
    for ch in source[:index]:
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif quote is None and ch in "'\"":
            quote = ch
        elif ch == quote:
            quote = None
    return quote is not None


def check(
    source: str,
    names: Mapping[str, ExprType],
    choices: Mapping[str, Collection[str]],
    expected: ExprType | None,
) -> tuple[Node, frozenset[str]]:
    """Parse and type-check ``source``; raise :class:`ExpressionError` with every problem."""
    flat, tree, problems = _parse(source)
    if tree is None:
        raise ExpressionError(source, problems)
    checker = _Checker(flat, names, choices, len(flat) - len(flat.lstrip()))
    if not _limits(tree, checker):
        raise ExpressionError(source, checker.problems)
    _look_alikes(tree, checker)
    if checker.problems:
        raise ExpressionError(source, checker.problems)
    root = checker.node(tree.body)
    if root is not None:
        root = _conform(root, expected, checker, tree.body)
    if root is not None and depth(root) > MAX_DEPTH:
        # NOTE: the typed tree is what evaluation recurses through, and it may be a
        # level or a few deeper than the text (a rounding to the declared type, a
        # chain of comparisons); checked here, a loaded expression always evaluates.
        checker.fail(tree.body, _TOO_DEEP)
    if root is None or checker.problems:
        raise ExpressionError(source, checker.problems)
    return root, frozenset(checker.read)


def _conform(root: Node, expected: ExprType | None, checker: _Checker, at: ast.AST) -> Node | None:
    """Fit the result to the type the caller declared (a computed fact, a condition)."""
    got = root.type
    if got == RATIO:
        digits = expected.digits if expected is not None else 2
        checker.fail(at, f"{DIVISION_NOTE}, e.g. round(…, {digits})")
        return None
    if expected is None or got == expected:
        return root
    if expected.kind in ("integer", "decimal") and got.kind in ("integer", "decimal"):
        if got.digits < expected.digits:
            # Exact: more digits after the point only multiplies by a power of ten.
            return Round(expected, root)
        checker.fail(
            at,
            f"the expression gives {got} but {expected} is expected; "
            f"round it with round(…, {expected.digits})",
        )
        return None
    what = "a condition (true or false)" if expected == BOOLEAN else _a(expected.category)
    checker.fail(at, f"expected {what}, but the expression gives {_a(got.category)}")
    return None
