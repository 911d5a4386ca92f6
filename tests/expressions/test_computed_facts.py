"""Computed facts and expression conditions inside rulesets, end to end."""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pytest
import tomli_w

import cchc_rules
from cchc_rules.errors import InputError, RulesetError
from cchc_rules.ruleset._compiled import CompiledRuleset
from cchc_rules.ruleset._loading import compile_ruleset

TEXT = {"vi": "x", "en": "x"}


def fact(kind: str, **extra: Any) -> dict[str, Any]:
    return {"type": kind, "description": TEXT, **extra}


BASE: dict[str, Any] = {
    "ruleset": {
        "family": "computed",
        "version": "1",
        "title": TEXT,
        "status": "draft",
        "legal_basis": {"decision": "1/QĐ", "date": dt.date(2020, 1, 1)},
        "periods": [2020],
        "total_points": Decimal(4),
    },
    "unit_types": {
        "thanh_tra": {"name": TEXT, "peer_group": "g"},
        "su_nghiep": {"name": TEXT, "peer_group": "g"},
    },
    "facts": {
        "tasks_due": fact("integer", min=Decimal(0)),
        "tasks_on_time": fact("integer", min=Decimal(0)),
        "tasks_rescheduled": fact("integer", min=Decimal(0), required=False),
        "conclusions_due": fact("integer", min=Decimal(0)),
        "tasks_ok": fact("integer", expr="tasks_on_time + tasks_rescheduled"),
    },
    "grading": {"bands": [{"grade": "all", "name": TEXT, "min_index": Decimal(0)}]},
    "ranking": {"peer_groups": {"g": {"name": TEXT}}},
    "areas": [
        {
            "id": "A",
            "name": TEXT,
            "max_points": Decimal(4),
            "criteria": [
                {
                    "id": "A1",
                    "name": TEXT,
                    "max_points": Decimal(2),
                    "kind": "ratio_bands",
                    "params": {
                        "numerator": "tasks_ok",
                        "denominator": "tasks_due",
                        "bands": [{"min_percent": Decimal(100), "points": Decimal(2)}],
                        "zero_denominator": "full_points",
                    },
                },
                {
                    "id": "A2",
                    "name": TEXT,
                    "max_points": Decimal(2),
                    "applies_to": ["thanh_tra"],
                    "applies_when": "conclusions_due > 0",
                    "criteria": [
                        {
                            "id": "A2.1",
                            "name": TEXT,
                            "max_points": Decimal(2),
                            "kind": "flag",
                            "params": {"fact": "issued_all"},
                        }
                    ],
                },
            ],
        }
    ],
}
BASE["facts"]["issued_all"] = fact("boolean", expr="conclusions_due > 0 and tasks_on_time >= 1")


def compile_data(data: dict[str, Any]) -> CompiledRuleset:
    return compile_ruleset(
        data, tomli_w.dumps(data), file="computed.toml", registry=cchc_rules.default_registry()
    )


def units(**columns: list[Any]) -> pa.Table:
    count = len(next(iter(columns.values())))
    return pa.table(
        {
            "unit_id": [f"U{i}" for i in range(count)],
            "name": [f"U{i}" for i in range(count)],
            **columns,
        }
    )


RULESET = compile_data(copy.deepcopy(BASE))


def test_a_kind_scores_a_computed_fact() -> None:
    table = units(
        unit_type=["thanh_tra", "thanh_tra", "thanh_tra"],
        tasks_due=[4, 4, 4],
        tasks_on_time=[3, 2, 3],
        tasks_rescheduled=[1, 1, None],
        conclusions_due=[0, 0, 0],
    )
    rows = cchc_rules.evaluate(RULESET, table).to_arrow().to_pylist()
    # 3 + 1 = 4 of 4 → full; 2 + 1 = 3 of 4 → none; a missing part → missing → zero
    assert [r["A1"] for r in rows] == [Decimal(2), Decimal(0), Decimal(0)]
    assert rows[2]["A1:reason"] == "missing_zero"


def test_conditions_and_group_applicability_reach_the_sub_criteria() -> None:
    table = units(
        unit_type=["thanh_tra", "thanh_tra", "su_nghiep"],
        tasks_due=[0, 0, 0],
        tasks_on_time=[1, 1, 1],
        tasks_rescheduled=[0, 0, 0],
        conclusions_due=[2, 0, 2],
    )
    cards = cchc_rules.evaluate(RULESET, table)
    rows = cards.to_arrow().to_pylist()
    assert rows[0]["A2.1"] == Decimal(2)
    assert rows[1]["A2.1:reason"] == "not_applicable_condition"
    assert rows[2]["A2.1:reason"] == "not_applicable_unit_type"
    assert [r["applicable_max"] for r in rows] == [Decimal(4), Decimal(2), Decimal(2)]
    line = next(x for x in cards.explain("U1", lang="en").lines if x.id == "A2.1")
    assert "conclusions_due > 0" in line.reason


def test_explanation_sees_computed_values() -> None:
    table = units(
        unit_type=["thanh_tra"],
        tasks_due=[4],
        tasks_on_time=[2],
        tasks_rescheduled=[1],
        conclusions_due=[0],
    )
    line = next(
        x
        for x in cchc_rules.evaluate(RULESET, table).explain("U0", lang="en").lines
        if x.id == "A1"
    )
    assert "75" in line.reason  # 3 of 4 from the computed tasks_ok


def test_a_column_for_a_computed_fact_is_refused() -> None:
    table = units(
        unit_type=["thanh_tra"],
        tasks_due=[1],
        tasks_on_time=[1],
        conclusions_due=[0],
        tasks_ok=[1],
    )
    with pytest.raises(InputError, match=r"tasks_ok: is a computed fact .* remove the column"):
        cchc_rules.evaluate(RULESET, table)


def test_expression_errors_are_located_with_their_column() -> None:
    data = copy.deepcopy(BASE)
    data["facts"]["tasks_ok"]["expr"] = "tasks_on_time + tasks_rescheduld"
    data["areas"][0]["criteria"][1]["applies_when"] = "unit_type == 'thanh_tr'"
    with pytest.raises(RulesetError) as caught:
        compile_data(data)
    text = str(caught.value)
    assert "facts.tasks_ok.expr: unknown name 'tasks_rescheduld'" in text
    assert "did you mean 'tasks_rescheduled'?" in text
    assert "(at column 17 of the expression)" in text
    assert "areas.A.criteria.A2.applies_when:" in text and "'thanh_tra'" in text
    assert all(problem.line is not None for problem in caught.value.problems)


def test_a_computed_fact_reads_only_facts_declared_before_it() -> None:
    data = copy.deepcopy(BASE)
    data["facts"] = {
        "early": fact("integer", expr="late + 1"),
        **data["facts"],
        "late": fact("integer", expr="tasks_due + 1"),
    }
    with pytest.raises(RulesetError, match="may read only facts declared before it"):
        compile_data(data)


def test_table_form_conditions_still_load_unchanged() -> None:
    data = copy.deepcopy(BASE)
    data["areas"][0]["criteria"][1]["applies_when"] = {
        "fact": "conclusions_due",
        "op": ">",
        "value": 0,
    }
    table = units(
        unit_type=["thanh_tra", "thanh_tra"],
        tasks_due=[0, 0],
        tasks_on_time=[1, 1],
        tasks_rescheduled=[0, 0],
        conclusions_due=[2, 0],
    )
    table_form = cchc_rules.evaluate(compile_data(data), table).to_arrow()
    expression_form = cchc_rules.evaluate(RULESET, table).to_arrow()
    assert table_form.equals(expression_form)


def test_full_points_when_decides_per_unit_between_full_points_and_scoring() -> None:
    # "Nothing arose this year" gives full points only to units that handle the work;
    # the others are not applicable: the choice is the ruleset's, per unit.
    data = copy.deepcopy(BASE)
    criterion = data["areas"][0]["criteria"][0]
    criterion["applies_when"] = "unit_type == 'thanh_tra'"
    criterion["full_points_when"] = "tasks_due == 0"
    criterion["params"]["zero_denominator"] = "not_applicable"
    table = units(
        unit_type=["thanh_tra", "thanh_tra", "su_nghiep", "thanh_tra"],
        tasks_due=[0, 4, 0, 4],
        tasks_on_time=[0, 4, 0, 1],
        tasks_rescheduled=[0, 0, 0, 0],
        conclusions_due=[0, 0, 0, 0],
    )
    cards = cchc_rules.evaluate(compile_data(data), table)
    rows = cards.to_arrow().to_pylist()
    assert [r["A1"] for r in rows] == [Decimal(2), Decimal(2), None, Decimal(0)]
    assert [r["A1:reason"] for r in rows] == [
        "full_points_condition",
        "top_band",
        "not_applicable_condition",
        "below_bands",
    ]
    line = next(x for x in cards.explain("U0", lang="en").lines if x.id == "A1")
    assert line.reason == "Full points: condition tasks_due == 0 holds"


def test_full_points_when_is_for_scored_leaves() -> None:
    data = copy.deepcopy(BASE)
    data["areas"][0]["criteria"][1]["full_points_when"] = "conclusions_due == 0"
    with pytest.raises(RulesetError, match="'full_points_when' belongs to scored leaves"):
        compile_data(data)


def test_a_deadline_step_can_count_only_where_a_condition_holds() -> None:
    data = copy.deepcopy(BASE)
    data["facts"]["days_late"] = fact("integer")
    data["facts"]["rescheduled_formally"] = fact("boolean")
    data["areas"][0]["criteria"][0] = {
        "id": "A1",
        "name": TEXT,
        "max_points": Decimal(2),
        "kind": "deadline_steps",
        "params": {
            "days_late": "days_late",
            "steps": [
                {"max_days_late": 10, "points": Decimal("1.5"), "when": "rescheduled_formally"},
                {"max_days_late": 30, "points": Decimal("0.5")},
            ],
        },
    }
    ruleset = compile_data(data)
    assert ruleset.leaf("A1").kind.facts() == ["days_late", "rescheduled_formally"]
    table = units(
        unit_type=["thanh_tra"] * 4,
        tasks_due=[0] * 4,
        tasks_on_time=[0] * 4,
        conclusions_due=[0] * 4,
        days_late=[5, 5, 20, 0],
        rescheduled_formally=[True, False, True, False],
    )
    for batch_size in (1, 4):
        cards = cchc_rules.evaluate(ruleset, table, batch_size=batch_size)
        points = [r["A1"] for r in cards.to_arrow().to_pylist()]
        assert points == [Decimal("1.5"), Decimal("0.5"), Decimal("0.5"), Decimal(2)]
    line = next(x for x in cards.explain("U1", lang="en").lines if x.id == "A1")
    assert "up to 30 days late earns 0.5" in line.reason


def test_a_step_condition_is_compiled_against_the_facts() -> None:
    data = copy.deepcopy(BASE)
    data["facts"]["days_late"] = fact("integer")
    data["areas"][0]["criteria"][0] = {
        "id": "A1",
        "name": TEXT,
        "max_points": Decimal(2),
        "kind": "deadline_steps",
        "params": {
            "days_late": "days_late",
            "steps": [{"max_days_late": 10, "points": Decimal(1), "when": "rescheduld"}],
        },
    }
    with pytest.raises(RulesetError, match=r"params\.steps\[0\]\.when: unknown name 'rescheduld'"):
        compile_data(data)
