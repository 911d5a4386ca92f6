"""The expression language: golden cases, hostile input, and vectorised = per-unit."""

from __future__ import annotations

import datetime as dt
import importlib.util
import re
import sys
import tomllib
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cchc_rules.expressions import (
    BOOLEAN,
    UNIT_TYPE,
    Expression,
    ExpressionError,
    ExpressionOverflowError,
    ExprType,
    compile_expression,
    problems,
    unit_type_column,
)
from cchc_rules.kinds import EPOCH, FactColumn, FactValue
from cchc_rules.ruleset._models import FactSpec, Text

CASES = Path(__file__).resolve().parents[1] / "cases" / "expressions"
BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "expr_bench.py"


# -- golden cases ------------------------------------------------------------------------


def _type(text: str) -> ExprType:
    match = re.fullmatch(r"decimal\((\d+)\)", text)
    return ExprType("decimal", int(match.group(1))) if match else ExprType(text)  # type: ignore[arg-type]


def _schema(data: Mapping[str, Any]) -> tuple[dict[str, ExprType], dict[str, list[str]]]:
    names = {
        name: ExprType(spec["type"], spec.get("decimals", 0))
        for name, spec in data["facts"].items()
    }
    choices = {}
    if "unit_types" in data:
        names[UNIT_TYPE] = ExprType("text")
        choices[UNIT_TYPE] = data["unit_types"]
    return names, choices


def _golden(section: str) -> list[Any]:
    params = []
    for path in sorted(CASES.glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
        names, choices = _schema(data)
        for case in data.get(section, []):
            params.append(pytest.param(names, choices, case, id=f"{path.stem}: {case['name']}"))
    return params


def _column(type_: ExprType, values: list[FactValue]) -> FactColumn:
    """A column of ``values`` (``None`` is missing), stored the way the facts table stores it."""
    missing = np.array([v is None for v in values], dtype=np.bool_)
    if type_.kind in ("boolean", "text"):
        placeholder: Any = False if type_.kind == "boolean" else ""
        dtype: Any = np.bool_ if type_.kind == "boolean" else object
        data = np.array([placeholder if v is None else v for v in values], dtype=dtype)
        return FactColumn(type_.kind, data, missing)
    raw = []
    for v in values:
        if v is None:
            raw.append(0)
        elif isinstance(v, dt.date):
            raw.append((v - EPOCH).days)
        else:
            assert isinstance(v, int | Decimal)
            raw.append(int(Decimal(v) * type_.scale))
    kind = "decimal" if type_.kind == "decimal" else type_.kind
    return FactColumn(kind, np.array(raw, dtype=np.int64), missing, type_.scale)  # type: ignore[arg-type]


def _same(got: FactValue, want: FactValue) -> bool:
    # bool is an int: compare types as well as values, so True never passes for 1.
    return type(got) is type(want) and got == want


def _rows_agree(expression: Expression, columns: Mapping[str, FactColumn], size: int) -> None:
    """Both paths on every row; overflow rows must be the same in both."""
    try:
        column: FactColumn | None = expression.evaluate(columns, size)
        overflowed: set[int] = set()
    except ExpressionOverflowError as error:
        column, overflowed = None, {int(r) for r in error.rows}
    assert column is not None or overflowed
    for row in range(size):
        values = {name: columns[name].value(row) for name in expression.names}
        try:
            expected = expression.evaluate_unit(values)
        except ExpressionOverflowError:
            assert row in overflowed, f"row {row}: per-unit overflows, vectorised does not"
            continue
        assert row not in overflowed, f"row {row}: vectorised overflows, per-unit gives {expected}"
        if column is not None:
            got = column.value(row)
            assert _same(got, expected), f"row {row}: vectorised {got!r} != per-unit {expected!r}"
            if column.missing[row]:
                assert not column.values[row], "a missing value keeps its placeholder"


@pytest.mark.parametrize(("names", "choices", "case"), _golden("case"))
def test_golden_value(
    names: dict[str, ExprType], choices: dict[str, list[str]], case: dict[str, Any]
) -> None:
    expected = _type(case["expected"]) if "expected" in case else None
    expression = compile_expression(case["expr"], names, expected=expected, choices=choices)
    facts: dict[str, FactValue] = {name: case["facts"].get(name) for name in names}
    facts[UNIT_TYPE] = case.get("unit_type", "thanh_tra")
    values = {name: facts[name] for name in expression.names}
    if case.get("overflow"):
        with pytest.raises(ExpressionOverflowError):
            expression.evaluate_unit(values)
    else:
        got = expression.evaluate_unit(values)
        if case.get("missing"):
            assert got is None
        else:
            assert str(expression.type) == case["type"]
            want = case["value"]
            if isinstance(want, Decimal) or expression.type.kind == "decimal":
                assert isinstance(got, Decimal)
                assert got == Decimal(want)
            else:
                assert _same(got, want)
    # The same case in a batch, beside a unit whose facts are all missing: the
    # vectorised path agrees with the per-unit one row by row.
    rows = [facts, dict.fromkeys(facts), facts]
    columns = {
        name: _column(names[name], [row[name] for row in rows])
        for name in names
        if name != UNIT_TYPE
    }
    columns[UNIT_TYPE] = unit_type_column(np.array([facts[UNIT_TYPE]] * 3, dtype=object))
    _rows_agree(expression, columns, 3)


@pytest.mark.parametrize(("names", "choices", "case"), _golden("error"))
def test_golden_error(
    names: dict[str, ExprType], choices: dict[str, list[str]], case: dict[str, Any]
) -> None:
    expected = _type(case["expected"]) if "expected" in case else None
    with pytest.raises(ExpressionError) as caught:
        compile_expression(case["expr"], names, expected=expected, choices=choices)
    got = [{"column": p.position, "message": p.message} for p in caught.value.problems]
    assert got == case["errors"]
    assert caught.value.position == case["errors"][0]["column"]
    assert caught.value.message == case["errors"][0]["message"]


# -- hostile input ---------------------------------------------------------------------------

HOSTILE_NAMES = {"x": ExprType("integer"), "flag": BOOLEAN}

HOSTILE = {
    "dunder attribute": ("x.__class__", "expressions cannot use attribute access ('.')"),
    "dunder on a tuple": ("().__class__", "expressions cannot use attribute access ('.')"),
    "mro walk": (
        "().__class__.__bases__[0].__subclasses__()",
        "expressions cannot use attribute access ('.')",
    ),
    "dunder name": ("__builtins__", "names starting with '__' are not allowed"),
    "import": ("__import__('os')", "unknown function '__import__'"),
    "open": ("open('/etc/passwd')", "unknown function 'open'"),
    "eval": ("eval('1')", "unknown function 'eval'"),
    "exec": ("exec('x = 1')", "unknown function 'exec'"),
    "getattr": ("getattr(x, 'real')", "unknown function 'getattr'"),
    "calling an attribute": ("x.bit_length()", "expressions cannot use attribute access"),
    "calling a call": ("min(x, x)(1)", "only the functions"),
    "subscript": ("x[0]", "expressions cannot use subscripts"),
    "lambda": ("(lambda: 1)()", "expressions cannot use lambda"),
    "bare lambda": ("lambda: 1", "expressions cannot use lambda"),
    "list comprehension": ("[x for x in [1]]", "expressions cannot use comprehensions"),
    "generator": ("min(x for x in [1, 2])", "expressions cannot use comprehensions"),
    "f-string": ("f'{x}'", "expressions cannot use f-strings"),
    "walrus": ("(y := 1)", "expressions cannot use assignment (':=')"),
    "starred": ("min(*x)", "expressions cannot use starred arguments"),
    "keyword argument": ("round(x, ndigits=2)", "round() takes no keyword arguments"),
    "dict": ("{'a': 1}", "expressions cannot use dictionaries"),
    "bytes": ("b'x' == b'x'", "expressions cannot use bytes literals"),
    "power of a huge literal": ("10**1000", "operator '**' is not allowed"),
    "huge literal": ("9" * 1000, "is too large (at most 15 digits before the point)"),
    "huge literal beyond the source limit": ("9" * 5000, "longer than 2000 characters"),
    "long source": ("x" + " + x" * 700, "longer than 2000 characters (got 2801)"),
    "500 nested parentheses": ("(" * 500 + "x" + ")" * 500, "nested too deeply"),
    "900 unary minus": ("-" * 900 + "x", "nested too deeply"),
    "450 nots": ("not " * 450 + "flag", "nested too deeply"),
    "many nested calls": ("abs(" * 300 + "x" + ")" * 300, "nested too deeply"),
    "too many operands": (
        "min(" + ", ".join(["x"] * 600) + ")",
        "too large (at most 500 operands)",
    ),
    "cyrillic look-alike": (
        "\u0445 + 1",
        "'\u0445' is not a plain ASCII name: '\u0445' is U+0445 CYRILLIC SMALL LETTER HA",
    ),
    "fullwidth look-alike": (
        "\uff58 + 1",
        "is U+FF58 FULLWIDTH LATIN SMALL LETTER X; names use only a-z, 0-9 and '_'",
    ),
    "greek look-alike inside a name": ("fl\u03b1g", "U+03B1 GREEK SMALL LETTER ALPHA"),
    "unicode minus": ("x \u2212 1", "invalid character '\u2212' (U+2212)"),
    "null byte": ("x\x00", "control character U+0000 is not allowed"),
    "comment": ("x # and more", "comments ('#') are not allowed"),
    "semicolon": ("x; x", "invalid syntax"),
    "statement": ("import os", "invalid syntax"),
    "empty": ("", "the expression is empty"),
    "upper case name": ("X + 1", "names are lowercase ASCII letters"),
    "None": ("x is None", "'is' is only used as 'x is missing'"),
    "ellipsis": ("...", "expressions cannot use ellipsis literals"),
    "complex literal": ("1j", "expressions cannot use complex literals"),
    "hex literal": ("0xff", "write numbers as plain digits"),
    "too many digits": ("0.1234567890123", "more than 12 digits after the point"),
}


@pytest.mark.parametrize(("source", "message"), list(HOSTILE.values()), ids=list(HOSTILE))
def test_hostile_expressions_are_refused_clearly(source: str, message: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        compile_expression(source, HOSTILE_NAMES)
    error = caught.value
    assert message in str(error)
    assert 1 <= error.position <= max(len(source), 1) + 1
    assert all(str(p).endswith("of the expression)") for p in error.problems)


def test_compiling_never_runs_python() -> None:
    # A tree the checker accepted holds only the language's nodes: nothing callable
    # from Python reaches evaluation, whatever the expression spelled.
    expression = compile_expression("min(x, 2) + abs(-x)", HOSTILE_NAMES)
    assert expression.names == {"x"}
    assert expression.evaluate_unit({"x": 5}) == 7


# -- the API ---------------------------------------------------------------------------------


def test_fact_specs_declare_names() -> None:
    description = Text(vi="mô tả", en="description")
    facts = {
        "reports_required": FactSpec(type="integer", description=description),
        "score": FactSpec(type="decimal", decimals=2, description=description),
    }
    expression = compile_expression(
        "reports_required * score", facts, expected=ExprType("decimal", 4)
    )
    assert expression.type == ExprType("decimal", 4)
    assert expression.names == {"reports_required", "score"}
    columns = {
        "reports_required": _column(ExprType("integer"), [3, None, 2]),
        "score": _column(ExprType("decimal", 2), [Decimal("1.25"), Decimal(1), None]),
    }
    result = expression.evaluate(columns, 3)
    assert result.type == "decimal" and result.scale == 10_000
    assert result.values.tolist() == [37_500, 0, 0]
    assert result.missing.tolist() == [False, True, True]


def test_problems_are_located_for_the_loader() -> None:
    with pytest.raises(ExpressionError) as caught:
        compile_expression("x + flag", HOSTILE_NAMES)
    located = problems(caught.value, "rulesets/ttcp/2019.toml", 12, "facts.late.expr")
    assert [str(p) for p in located] == [
        "rulesets/ttcp/2019.toml:12: facts.late.expr: cannot add boolean to number "
        "(at column 1 of the expression)"
    ]


def test_conditions_report_missing_answers_as_a_mask() -> None:
    names = {"due": ExprType("integer"), UNIT_TYPE: ExprType("text")}
    condition = compile_expression("unit_type == 'thanh_tra' and due > 0", names, expected=BOOLEAN)
    columns = {
        "due": _column(ExprType("integer"), [1, None, None, 0]),
        UNIT_TYPE: unit_type_column(np.array(["thanh_tra", "thanh_tra", "vu", "vu"], dtype=object)),
    }
    result = condition.evaluate(columns, 4)
    assert result.values.tolist() == [True, False, False, False]
    assert result.missing.tolist() == [False, True, False, False]


def test_wrongly_typed_columns_are_a_programming_error() -> None:
    expression = compile_expression("x + 1", HOSTILE_NAMES)
    column = _column(ExprType("decimal", 2), [Decimal(1)])
    with pytest.raises(ValueError, match="compiled for integer"):
        expression.evaluate({"x": column}, 1)


def test_overflow_names_the_rows() -> None:
    expression = compile_expression("x * 4", HOSTILE_NAMES)
    columns = {"x": _column(ExprType("integer"), [1, 2**62, None, -(2**62) - 1])}
    with pytest.raises(ExpressionOverflowError, match=r"for 2 unit\(s\) \(rows 1, 3\)") as caught:
        expression.evaluate(columns, 4)
    assert caught.value.rows.tolist() == [1, 3]


def test_empty_batch() -> None:
    expression = compile_expression("x * 2 > 1", HOSTILE_NAMES)
    result = expression.evaluate({"x": _column(ExprType("integer"), [])}, 0)
    assert result.values.shape == (0,) and result.missing.shape == (0,)


def test_constant_expression_fills_the_batch() -> None:
    expression = compile_expression("round(1 / 3, 2)", {})
    result = expression.evaluate({}, 3)
    assert result.values.tolist() == [33, 33, 33] and result.scale == 100


# -- vectorised = per-unit, on random trees and random columns -------------------------------

SCHEMA = {
    "i1": ExprType("integer"),
    "i2": ExprType("integer"),
    "d2": ExprType("decimal", 2),
    "d3": ExprType("decimal", 3),
    "b1": BOOLEAN,
    "t1": ExprType("text"),
    "day1": ExprType("date"),
    "day2": ExprType("date"),
}
TEXTS = ["a", "b", "thanh_tra", ""]
NUMBER_LITERALS = ["0", "1", "2", "7", "0.5", "1.25", "0.001", "1000000", "999999999999999"]


def _pick(draw: st.DrawFn, options: list[str]) -> str:
    return draw(st.sampled_from(options))


@st.composite
def numbers(draw: st.DrawFn, depth: int = 3) -> str:
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        return _pick(draw, ["i1", "i2", "d2", "d3", *NUMBER_LITERALS])
    form = _pick(draw, ["+", "-", "*", "neg", "abs", "min", "max", "round", "if", "days"])
    a, b = draw(numbers(depth - 1)), draw(numbers(depth - 1))
    if form in ("+", "-", "*"):
        return f"({a} {form} {b})"
    if form == "neg":
        return f"-{a}"
    if form in ("abs",):
        return f"abs({a})"
    if form in ("min", "max"):
        return f"{form}({a}, {b})"
    if form == "round":
        return f"round({draw(ratios(depth - 1))}, {draw(st.integers(0, 4))})"
    if form == "if":
        return f"({a} if {draw(booleans(depth - 1))} else {b})"
    return f"({draw(dates(depth - 1))} - {draw(dates(depth - 1))})"


@st.composite
def ratios(draw: st.DrawFn, depth: int = 2) -> str:
    a, b = draw(numbers(depth)), draw(numbers(depth))
    form = _pick(draw, ["/", "/", "+", "*", "min", "if"])
    if form == "/" or depth == 0:
        return f"({a} / {b})"
    r = draw(ratios(depth - 1))
    if form == "+":
        return f"({r} + {a})"
    if form == "*":
        return f"({r} * {draw(ratios(depth - 1))})"
    if form == "min":
        return f"min({r}, {a})"
    return f"({r} if {draw(booleans(depth - 1))} else {a})"


@st.composite
def booleans(draw: st.DrawFn, depth: int = 3) -> str:
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        return _pick(draw, ["b1", "true", "false", "t1 == 'a'", "i1 > 0", "d2 is missing"])
    form = _pick(draw, ["cmp", "ratio", "date", "and", "or", "not", "missing", "in", "text", "if"])
    op = _pick(draw, ["==", "!=", "<", "<=", ">", ">="])
    if form == "cmp":
        return f"({draw(numbers(depth - 1))} {op} {draw(numbers(depth - 1))})"
    if form == "ratio":
        return f"({draw(ratios(depth - 1))} {op} {draw(numbers(depth - 1))})"
    if form == "date":
        return f"({draw(dates(depth - 1))} {op} {draw(dates(depth - 1))})"
    if form in ("and", "or"):
        return f"({draw(booleans(depth - 1))} {form} {draw(booleans(depth - 1))})"
    if form == "not":
        return f"(not {draw(booleans(depth - 1))})"
    if form == "missing":
        operand = draw(st.one_of(numbers(depth - 1), ratios(depth - 1), texts(depth - 1)))
        return f"({operand} is {_pick(draw, ['missing', 'not missing'])})"
    if form == "in":
        negate = _pick(draw, ["in", "not in"])
        if draw(st.booleans()):
            return f"({draw(texts(depth - 1))} {negate} ['a', 'thanh_tra'])"
        return f"({draw(numbers(depth - 1))} {negate} [0, 1.25, 7])"
    if form == "text":
        return f"({draw(texts(depth - 1))} {_pick(draw, ['==', '!='])} {draw(texts(depth - 1))})"
    a, b = draw(booleans(depth - 1)), draw(booleans(depth - 1))
    return f"({a} if {draw(booleans(depth - 1))} else {b})"


@st.composite
def texts(draw: st.DrawFn, depth: int = 2) -> str:
    if depth == 0 or draw(st.booleans()):
        return _pick(draw, ["t1", "'a'", "'thanh_tra'"])
    return (
        f"({draw(texts(depth - 1))} if {draw(booleans(depth - 1))} else {draw(texts(depth - 1))})"
    )


@st.composite
def dates(draw: st.DrawFn, depth: int = 2) -> str:
    if depth == 0 or draw(st.booleans()):
        return _pick(draw, ["day1", "day2", "date('2019-12-31')", "date('1970-01-01')"])
    a, b = draw(dates(depth - 1)), draw(dates(depth - 1))
    form = _pick(draw, ["min", "max", "if"])
    if form == "if":
        return f"({a} if {draw(booleans(depth - 1))} else {b})"
    return f"{form}({a}, {b})"


EXTREMES = [2**62, -(2**62), 2**63 - 1, -(2**63), 10**12, -(10**15)]


@st.composite
def columns(draw: st.DrawFn) -> tuple[dict[str, FactColumn], int]:
    size = draw(st.integers(1, 6))
    result: dict[str, FactColumn] = {}
    for name, type_ in SCHEMA.items():
        missing = np.array(draw(st.lists(st.booleans(), min_size=size, max_size=size)))
        if type_.kind == "boolean":
            values: Any = np.array(draw(st.lists(st.booleans(), min_size=size, max_size=size)))
        elif type_.kind == "text":
            values = np.array(
                draw(st.lists(st.sampled_from(TEXTS), min_size=size, max_size=size)), dtype=object
            )
        elif type_.kind == "date":
            values = np.array(
                draw(st.lists(st.integers(-1000, 40_000), min_size=size, max_size=size))
            )
        else:
            element = st.one_of(st.integers(-1000, 1000), st.sampled_from(EXTREMES))
            values = np.array(draw(st.lists(element, min_size=size, max_size=size)), dtype=np.int64)
        placeholder = {"boolean": False, "text": ""}.get(type_.kind, 0)
        values[missing] = placeholder
        kind = "decimal" if type_.kind == "decimal" else type_.kind
        result[name] = FactColumn(kind, values, missing, type_.scale)  # type: ignore[arg-type]
    return result, size


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    source=st.one_of(
        numbers(), booleans(), texts(), dates(), st.builds("round({}, 3)".format, ratios())
    ),
    batch=columns(),
)
def test_vectorised_equals_per_unit(source: str, batch: tuple[dict[str, FactColumn], int]) -> None:
    try:
        expression = compile_expression(source, SCHEMA)
    except ExpressionError as error:
        # Random trees may multiply past the digits a decimal may have, or divide by a
        # literal 0; nothing else may fail.
        assume("digits after the point" not in error.message)
        assume(error.message != "division by zero")
        raise
    columns_, size = batch
    _rows_agree(expression, columns_, size)


# -- the docs ---------------------------------------------------------------------------------

DOCS = Path(__file__).resolve().parents[2] / "docs" / "expressions.md"


def test_documented_examples_compile() -> None:
    text = DOCS.read_text(encoding="utf-8")
    table = text.split("## Examples from the PAR index")[1].split("\n## ")[0]
    examples = re.findall(r"^\| [^|]+ \| `(.+)` \|$", table, flags=re.MULTILINE)
    assert len(examples) >= 10
    integer, date = ExprType("integer"), ExprType("date")
    names: dict[str, ExprType] = {
        UNIT_TYPE: ExprType("text"),
        "handles_complaints": BOOLEAN,
        "plan_issued": date,
        "plan_deadline": date,
    }
    for source in examples:
        for name in re.findall(r"\b[a-z_][a-z0-9_]*\b", source):
            names.setdefault(name, integer)
        for reserved in ("and", "or", "not", "if", "else", "in", "round", "date", "min", "max"):
            names.pop(reserved, None)
        compile_expression(source, names)


# -- the benchmark helper runs (tiny) --------------------------------------------------------


def test_benchmark_smoke() -> None:
    spec = importlib.util.spec_from_file_location("expr_bench", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while defining
    spec.loader.exec_module(module)
    report = module.run(rows=2_000, repeat=1)
    assert report.expressions == 30
    assert report.ratio > 0
