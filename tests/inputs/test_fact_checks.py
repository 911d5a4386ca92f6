"""Checks between facts (``[[checks]]``): errors refuse units, warnings ride with results."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cchc_rules
from cchc_rules.api import demo_units_path
from cchc_rules.errors import MAX_ROWS_PER_PROBLEM, FactCheckError, RulesetError
from cchc_rules.reports._json import table_json
from cchc_rules.reports._table import scorecards_table
from cchc_rules.ruleset._compiled import CompiledRuleset

CHECKS = Path(__file__).resolve().parents[1] / "rulesets" / "valid" / "checks.toml"


@cache
def checked() -> CompiledRuleset:
    return cchc_rules.load_ruleset(CHECKS)


def units(
    done: list[int | None], due: list[int | None], plan: list[bool] | None = None
) -> pa.Table:
    count = len(done)
    return pa.table(
        {
            "unit_id": [f"U{n}" for n in range(1, count + 1)],
            "name": [f"Đơn vị {n}" for n in range(1, count + 1)],
            "unit_type": ["cuc"] * count,
            "plan_issued": plan if plan is not None else [True] * count,
            "done": pa.array(done, pa.int64()),
            "due": pa.array(due, pa.int64()),
        }
    )


def test_an_error_check_refuses_each_unit_with_its_row_and_values() -> None:
    with pytest.raises(FactCheckError) as caught:
        cchc_rules.evaluate(checked(), units([1, 20, 3], [2, 15, 3]))
    (problem,) = caught.value.problems
    assert problem.line == 2
    assert problem.path == "đơn vị U2"
    assert problem.message == (
        "Số việc hoàn thành không được lớn hơn số việc phải làm (done = 20, due = 15) [done_le_due]"
    )
    (english,) = caught.value.in_language("en").problems
    assert str(english) == (
        "<table>:2: unit U2: Tasks done cannot exceed tasks due (done = 20, due = 15) [done_le_due]"
    )


def test_many_failures_are_listed_up_to_a_bound_then_counted() -> None:
    count = MAX_ROWS_PER_PROBLEM + 5
    with pytest.raises(FactCheckError) as caught:
        cchc_rules.evaluate(checked(), units([9] * count, [1] * count))
    problems = caught.value.in_language("en").problems
    assert len(problems) == MAX_ROWS_PER_PROBLEM + 1
    assert problems[-1].message.endswith("5 more rows like this")


def test_a_check_with_a_missing_fact_is_not_broken() -> None:
    cards = cchc_rules.evaluate(checked(), units([None, 5], [1, None]))
    assert [w.check for w in cards.warnings] == []


def test_warnings_are_listed_check_by_check_with_values() -> None:
    cards = cchc_rules.evaluate(checked(), units([1, 0, 0], [2, 3, 0], [True, False, True]))
    assert [(w.check, w.unit_id, w.row) for w in cards.warnings] == [
        ("plan_when_due", "U2", 2),
        ("cuc_has_tasks", "U3", 3),
    ]
    assert cards.warnings[0].text("en") == (
        "row 2, unit U2: Tasks due but no plan issued (due = 3, plan_issued = no)"
    )
    assert cards.warnings[0].to_json("vi")["values"] == {"due": 3, "plan_issued": False}
    assert cards.explain("U2", lang="en").warnings == (
        "Tasks due but no plan issued (due = 3, plan_issued = no)",
    )
    assert cards.explain("U1").warnings == ()


def test_a_ruleset_without_checks_has_no_warnings_key_nor_explanation_warnings() -> None:
    ruleset = cchc_rules.load_ruleset("ttcp@2018")
    cards = cchc_rules.evaluate(ruleset, demo_units_path(ruleset))
    assert cards.warnings == ()
    assert cards.explain(cards.units.unit_id(0)).warnings is None
    assert b'"warnings"' not in table_json(scorecards_table(cards, "vi"))


def _variant(tmp_path: Path, name: str, text: str) -> CompiledRuleset:
    path = tmp_path / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return cchc_rules.load_ruleset(path)


def test_loading_a_check_over_a_fact_missing_from_the_ruleset_names_the_key(
    tmp_path: Path,
) -> None:
    text = CHECKS.read_text(encoding="utf-8").replace('"done <= due"', '"don <= due"')
    with pytest.raises(RulesetError) as caught:
        _variant(tmp_path, "typo", text)
    (problem,) = caught.value.problems
    assert problem.path == "checks.done_le_due.expr"
    assert "did you mean 'done'?" in problem.message


def _without_checks(text: str) -> str:
    return text[: text.index("[[checks]]")]


def test_checks_are_part_of_the_content_hash(tmp_path: Path) -> None:
    text = CHECKS.read_text(encoding="utf-8")
    bare = _variant(tmp_path, "bare", _without_checks(text))
    assert bare.content_hash != checked().content_hash
    assert "checks" not in bare.model.model_dump(exclude_none=True)


@cache
def _warning_only_pair(directory: str) -> tuple[CompiledRuleset, CompiledRuleset]:
    text = CHECKS.read_text(encoding="utf-8").replace('severity = "error"', 'severity = "warning"')
    tmp = Path(directory)
    return _variant(tmp, "warned", text), _variant(tmp, "bare", _without_checks(text))


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.none() | st.integers(0, 40), st.none() | st.integers(0, 40), st.booleans()),
        min_size=1,
        max_size=12,
    )
)
def test_warning_checks_never_change_points(
    rows: list[tuple[int | None, int | None, bool]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    warned, bare = _warning_only_pair(str(tmp_path_factory.getbasetemp()))
    table = units([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])
    with_checks = cchc_rules.evaluate(warned, table)
    without = cchc_rules.evaluate(bare, table)
    assert with_checks.to_arrow().equals(without.to_arrow())
    assert with_checks.to_arrow(lang="en").equals(without.to_arrow(lang="en"))
    broken = sum(1 for done, due, _ in rows if done is not None and due is not None and done > due)
    assert sum(w.check == "done_le_due" for w in with_checks.warnings) == broken
