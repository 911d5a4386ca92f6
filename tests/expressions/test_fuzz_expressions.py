"""A bounded fuzz test of expressions inside a ruleset: random expressions load and score,
or are refused cleanly.

Each example puts a random expression where the bundled ``ttcp@2019`` has one — the
``applies_when`` of C5 and the computed fact ``gov_tasks_overdue`` — in a copy of the
rulesets directory, loads it and scores the 2019 demo units. Expressions come from the
language's own vocabulary (fact names, operators, functions, ``if``/``else``,
``is missing``, literals of every type) arranged at random, nested deep, or garbled with
hostile text; half of them are built well-typed, so they pass the checks and are
evaluated over the units (overflow, missing values and division included). The
outcome must be scores or a located :class:`CchcError`, never another exception, within
a time bound; a few run through the CLI, which must exit 0 or 1 with no traceback.
Derandomized, so CI sees the same examples every run.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cchc_rules import CchcError, KindRegistry, evaluate, load_plugins
from cchc_rules.api import demo_units_path
from cchc_rules.ruleset._loading import load_ruleset_file

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = ROOT / "rulesets" / "ttcp"
AMENDMENT = (BUNDLED / "2019.toml").read_text(encoding="utf-8")
CONDITION = "applies_when = \"unit_type == 'hanh_chinh' and complaints_received > 0\""
COMPUTED = 'expr = "max(gov_tasks_due - gov_tasks_on_time - gov_tasks_rescheduled, 0)"'
SECONDS_PER_EXAMPLE = 5.0
"""Load and score 19 units: ~0.1 s; 5 s means something grew out of hand."""

_names = st.sampled_from(
    [
        "complaints_received",
        "complaints_resolved_on_time",
        "gov_tasks_due",
        "gov_tasks_on_time",
        "handles_procedures",
        "budget_allocated",
        "plan_targets_done",
        "unit_type",
        "innovation_note",
        "no_such_fact",
        "Complaints_Received",
    ]
)
_literals = st.one_of(
    st.integers(-(2**70), 2**70).map(str),
    st.integers(0, 20).flatmap(
        lambda places: st.decimals(allow_nan=False, allow_infinity=False, places=places)
    ).map(lambda d: format(d, "f")),
    st.sampled_from(["true", "false", "'hanh_chinh'", "'x'", "''", "date(2019, 12, 31)", "1e9"]),
)
_operators = st.sampled_from(
    ["+", "-", "*", "/", "==", "!=", "<", "<=", ">", ">=", "and", "or", "in", "not in"]
)


def _expressions(depth: int) -> st.SearchStrategy[str]:
    leaf = st.one_of(_names, _literals)
    if depth == 0:
        return leaf
    inner = _expressions(depth - 1)
    return st.one_of(
        leaf,
        st.tuples(inner, _operators, inner).map(" ".join),
        inner.map(lambda e: f"({e})"),
        inner.map(lambda e: f"not {e}"),
        inner.map(lambda e: f"{e} is missing"),
        st.tuples(inner, inner, inner).map(lambda t: f"{t[0]} if {t[1]} else {t[2]}"),
        st.tuples(st.sampled_from(["max", "min", "round", "abs", "days_between"]), inner, inner)
        .map(lambda t: f"{t[0]}({t[1]}, {t[2]})"),
        inner.map(lambda e: f"{e} in ('hanh_chinh', 'su_nghiep')"),
    )


_hostile = st.one_of(
    st.integers(1, 5000).map(lambda n: "(" * n + "1" + ")" * n),
    st.integers(1, 1000).map(lambda n: " and ".join(["complaints_received > 0"] * n)),
    st.integers(1, 1000).map(lambda n: "-" * n + "1"),
    st.text(max_size=200),
    st.sampled_from(
        ["__import__('os')", "x.__class__", "lambda: 1", "[1, 2]", "{}", "1 if", "f'{1}'", "\\"]
    ),
)
_integers = st.one_of(
    st.sampled_from(
        ["complaints_received", "gov_tasks_due", "gov_tasks_on_time", "plan_days_late"]
    ),
    st.integers(-(2**66), 2**66).map(str),
    st.integers(0, 100).map(str),
)


def _typed_integer(depth: int) -> st.SearchStrategy[str]:
    """Integer expressions that type-check, so they reach evaluation (overflow included)."""
    if depth == 0:
        return _integers
    inner = _typed_integer(depth - 1)
    return st.one_of(
        _integers,
        st.tuples(inner, st.sampled_from(["+", "-", "*"]), inner).map(" ".join),
        st.tuples(st.sampled_from(["max", "min"]), inner, inner).map(
            lambda t: f"{t[0]}({t[1]}, {t[2]})"
        ),
        inner.map(lambda e: f"abs({e})"),
        inner.map(lambda e: f"({e})"),
        st.tuples(inner, _typed_boolean(depth - 1), inner).map(
            lambda t: f"{t[0]} if {t[1]} else {t[2]}"
        ),
    )


def _typed_boolean(depth: int) -> st.SearchStrategy[str]:
    """Boolean expressions that type-check: what a condition must be."""
    comparison = st.tuples(
        _integers, st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), _integers
    ).map(" ".join)
    leaf = st.one_of(
        comparison,
        st.just("handles_procedures"),
        st.sampled_from(["complaints_received is missing", "handles_procedures is not missing"]),
        st.just("unit_type in ['hanh_chinh', 'su_nghiep']"),
        st.tuples(_integers, _integers).map(lambda t: f"{t[0]} / {t[1]} >= 0.5"),
    )
    if depth == 0:
        return leaf
    inner = _typed_boolean(depth - 1)
    return st.one_of(
        leaf,
        st.tuples(inner, st.sampled_from(["and", "or"]), inner).map(" ".join),
        inner.map(lambda e: f"not ({e})"),
        st.tuples(_typed_integer(depth - 1), st.sampled_from(["<", ">="]), _integers).map(
            " ".join
        ),
    )


conditions = st.one_of(_typed_boolean(3), _typed_boolean(3), _expressions(3), _hostile)
computed_facts = st.one_of(_typed_integer(3), _typed_integer(3), _expressions(2), _hostile)


def _toml_string(source: str) -> str:
    """``source`` as a TOML basic string (escapes for quotes, backslashes, controls)."""
    escaped = source.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + "".join(c if c >= " " or c == "\t" else f"\\u{ord(c):04x}" for c in escaped) + '"'


def _ruleset(condition: str, computed: str) -> str:
    return AMENDMENT.replace(CONDITION, f"applies_when = {_toml_string(condition)}").replace(
        COMPUTED, f"expr = {_toml_string(computed)}"
    )


_FUZZ = settings.get_profile("fuzz")  # tests/conftest.py


@pytest.fixture(scope="module")
def registry() -> KindRegistry:
    return load_plugins()


@pytest.fixture(scope="module")
def rulesets(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A rulesets directory with the 2018 base and no lock (the 2019 copy is edited)."""
    root = tmp_path_factory.mktemp("rulesets")
    (root / "ttcp").mkdir()
    shutil.copy(BUNDLED / "2018.toml", root / "ttcp" / "2018.toml")
    return root


def test_the_places_the_fuzz_writes_exist() -> None:
    assert CONDITION in AMENDMENT
    assert COMPUTED in AMENDMENT


@settings(_FUZZ, max_examples=150)
@given(condition=conditions, computed=computed_facts)
def test_a_random_expression_scores_or_is_refused(
    condition: str, computed: str, rulesets: Path, registry: KindRegistry
) -> None:
    path = rulesets / "ttcp" / "2019.toml"
    path.write_text(_ruleset(condition, computed), encoding="utf-8")
    started = time.perf_counter()
    try:
        ruleset = load_ruleset_file(path, registry=registry, rulesets_dir=rulesets)
        evaluate(ruleset, demo_units_path(ruleset)).to_arrow()
    except CchcError as exc:
        assert exc.problems, str(exc)
    assert time.perf_counter() - started < SECONDS_PER_EXAMPLE


@settings(_FUZZ, max_examples=4)
@given(condition=conditions, computed=computed_facts)
def test_a_random_expression_through_the_cli_exits_0_or_1(
    condition: str, computed: str, rulesets: Path
) -> None:
    (rulesets / "ttcp" / "2019.toml").write_text(_ruleset(condition, computed), encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable,
            *("-m", "cchc_rules", "--rulesets-dir", str(rulesets)),
            *("evaluate", "ttcp@2019", "demo", "-f", "csv"),
        ],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
    )
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode in (0, 1), result.stderr
