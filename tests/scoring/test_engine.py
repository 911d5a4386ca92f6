"""Engine and aggregation: scoring invariants, exact grades, ranks."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
import tomli_w
from hypothesis import given, settings
from hypothesis import strategies as st

import cchc_rules
from cchc_rules.ruleset._compiled import CompiledRuleset
from cchc_rules.ruleset._loading import compile_ruleset
from cchc_rules.scoring._aggregate import rank_within_groups

TEXT = {"vi": "x", "en": "x"}


def fact(kind: str, **extra: Any) -> dict[str, Any]:
    return {"type": kind, "description": TEXT, **extra}


def leaf(
    ident: str, max_points: str, kind: str, params: dict[str, Any], **extra: Any
) -> dict[str, Any]:
    return {
        "id": ident,
        "name": TEXT,
        "max_points": Decimal(max_points),
        "kind": kind,
        "params": params,
        **extra,
    }


def base_ruleset() -> dict[str, Any]:
    """A ruleset using every numeric built-in kind, applicability and missing values."""
    return {
        "ruleset": {
            "family": "test",
            "version": "1",
            "title": TEXT,
            "status": "draft",
            "legal_basis": {"decision": "1/QĐ", "date": __import__("datetime").date(2020, 1, 1)},
            "periods": [2020],
            "total_points": Decimal(20),
        },
        "unit_types": {
            "a": {"name": TEXT, "peer_group": "g1"},
            "b": {"name": TEXT, "peer_group": "g2"},
        },
        "facts": {
            "ok": fact("boolean"),
            # May be empty beside a zero denominator (decided by zero_denominator).
            "num": fact("integer", min=Decimal(0), required=False),
            "den": fact("integer", min=Decimal(0)),
            "events": fact("integer", min=Decimal(0)),
            "done": fact("boolean"),
            "late": fact("integer", required=False),
            "survey": fact("decimal", decimals=1, min=Decimal(0), max=Decimal(100), required=False),
        },
        "grading": {
            "bands": [
                {"grade": "top", "name": TEXT, "min_index": Decimal(90)},
                {"grade": "good", "name": TEXT, "min_index": Decimal(80)},
                {"grade": "rest", "name": TEXT, "min_index": Decimal(0)},
            ]
        },
        "ranking": {"peer_groups": {"g1": {"name": TEXT}, "g2": {"name": TEXT}}},
        "areas": [
            {
                "id": "A",
                "name": TEXT,
                "max_points": Decimal(10),
                "criteria": [
                    leaf("A1", "2", "flag", {"fact": "ok"}),
                    leaf(
                        "A2",
                        "3",
                        "ratio_bands",
                        {
                            "numerator": "num",
                            "denominator": "den",
                            "bands": [
                                {"min_percent": Decimal(90), "points": Decimal(3)},
                                {"min_percent": Decimal(70), "points": Decimal("1.5")},
                            ],
                            "zero_denominator": "not_applicable",
                        },
                    ),
                    leaf(
                        "A3",
                        "5",
                        "proportional",
                        {
                            "numerator": "num",
                            "denominator": "den",
                            "zero_denominator": "full_points",
                        },
                        applies_to=["a"],
                    ),
                ],
            },
            {
                "id": "B",
                "name": TEXT,
                "max_points": Decimal(10),
                "criteria": [
                    leaf(
                        "B1",
                        "4",
                        "deduction",
                        {"events": "events", "points_per_event": Decimal("0.5")},
                    ),
                    leaf(
                        "B2",
                        "3",
                        "deadline_steps",
                        {
                            "days_late": "late",
                            "done": "done",
                            "steps": [{"max_days_late": 10, "points": Decimal(1)}],
                        },
                    ),
                    leaf(
                        "B3",
                        "3",
                        "survey_scaled",
                        {"score": "survey", "scale_max": Decimal(100)},
                        when_missing="not_applicable",
                    ),
                ],
            },
        ],
    }


def compile_data(data: dict[str, Any]) -> CompiledRuleset:
    return compile_ruleset(
        data, tomli_w.dumps(data), file="test.toml", registry=cchc_rules.default_registry()
    )


units_strategy = st.lists(
    st.fixed_dictionaries(
        {
            "unit_type": st.sampled_from(["a", "b"]),
            "ok": st.booleans(),
            "num": st.none() | st.integers(0, 60),
            "den": st.integers(0, 3) | st.integers(0, 60),
            "events": st.integers(0, 12),
            "done": st.booleans(),
            "late": st.none() | st.integers(-5, 30),
            "survey": st.none() | st.integers(0, 1000),
        }
    ),
    min_size=1,
    max_size=40,
)


def units_table(rows: list[dict[str, Any]]) -> pa.Table:
    return pa.table(
        {
            "unit_id": [f"U{i:03d}" for i in range(len(rows))],
            "name": [f"Unit {i}" for i in range(len(rows))],
            "unit_type": [r["unit_type"] for r in rows],
            "ok": [r["ok"] for r in rows],
            "num": pa.array([r["num"] for r in rows], pa.int64()),
            "den": [r["den"] for r in rows],
            "events": [r["events"] for r in rows],
            "done": [r.get("done", True) for r in rows],
            "late": pa.array([r["late"] for r in rows], pa.int64()),
            # one decimal digit: tenths of a survey point
            "survey": pa.array(
                [None if r["survey"] is None else Decimal(r["survey"]) / 10 for r in rows],
                pa.decimal128(5, 1),
            ),
        }
    )


RULESET = compile_data(base_ruleset())


def by_unit(cards: cchc_rules.Scorecards) -> dict[str, dict[str, Any]]:
    return {row["unit_id"]: row for row in cards.to_arrow().to_pylist()}


@settings(max_examples=60, deadline=None)
@given(units_strategy)
def test_points_within_bounds_and_index_within_0_100(rows: list[dict[str, Any]]) -> None:
    cards = cchc_rules.evaluate(RULESET, units_table(rows))
    for leaf_row, compiled_leaf in enumerate(RULESET.leaves):
        points = cards.matrix.points[leaf_row]
        assert (points >= 0).all()
        assert (points <= compiled_leaf.kind.criterion.max_units).all()
    agg = cards.aggregates
    assert (agg.total <= agg.applicable_max).all()
    assert ((agg.index_bp >= 0) & (agg.index_bp <= 10_000)).all()


@settings(max_examples=40, deadline=None)
@given(units_strategy, st.integers(1, 17), st.randoms(use_true_random=False))
def test_results_independent_of_batch_size_and_unit_order(
    rows: list[dict[str, Any]], batch_size: int, random: Any
) -> None:
    table = units_table(rows)
    whole = by_unit(cchc_rules.evaluate(RULESET, table))
    order = list(range(len(rows)))
    random.shuffle(order)
    shuffled = table.take(pa.array(order))
    batched = by_unit(cchc_rules.evaluate(RULESET, shuffled, batch_size=batch_size))
    assert batched == whole


@settings(max_examples=40, deadline=None)
@given(units_strategy, st.sampled_from(["A1", "A2", "B1", "B2", "B3"]))
def test_not_applicable_criterion_changes_no_other_criterion(
    rows: list[dict[str, Any]], target: str
) -> None:
    data = base_ruleset()
    for area in data["areas"]:
        for criterion in area["criteria"]:
            if criterion["id"] == target:
                criterion["applies_to"] = ["b"]
    changed = compile_data(data)
    table = units_table(rows)
    before = cchc_rules.evaluate(RULESET, table)
    after = cchc_rules.evaluate(changed, table)
    for row, compiled_leaf in enumerate(RULESET.leaves):
        if compiled_leaf.criterion.id == target:
            is_a = np.asarray([r["unit_type"] == "a" for r in rows])
            assert not after.matrix.applicable[row][is_a].any()
            continue
        assert (before.matrix.points[row] == after.matrix.points[row]).all()
        assert (before.matrix.applicable[row] == after.matrix.applicable[row]).all()


def test_not_applicable_leaves_points_and_maximum() -> None:
    table = units_table(
        [{"unit_type": "b", "ok": True, "num": 0, "den": 0, "events": 0, "late": 0, "survey": None}]
    )
    cards = cchc_rules.evaluate(RULESET, table)
    row = cards.to_arrow().to_pylist()[0]
    # A2 (zero denominator → n/a), A3 (unit type a only) and B3 (survey missing → n/a)
    # leave the maximum: 20 − 3 − 5 − 3 = 9, all earned.
    assert row["A2"] is None and row["A3"] is None and row["B3"] is None
    assert row["A2:reason"] == "zero_denominator_na"
    assert row["A3:reason"] == "not_applicable_unit_type"
    assert row["B3:reason"] == "missing_not_applicable"
    assert row["applicable_max"] == Decimal(9)
    assert row["total"] == Decimal(9)
    assert row["index"] == Decimal("100.00")


def test_order_of_missing_value_rules() -> None:
    # docs/decisions/0023-order-of-missing-value-rules.md: each unit is decided by the
    # first rule that can decide it, and a missing input only by when_missing.
    data = base_ruleset()
    data["ruleset"]["total_points"] = Decimal(4)
    data["facts"] = {
        "gate": fact("boolean", required=False),
        "easy": fact("boolean", required=False),
        "num": fact("integer", min=Decimal(0), required=False),
        "den": fact("integer", min=Decimal(0), required=False),
    }
    bands = [{"min_percent": Decimal(90), "points": Decimal(4)}]
    params = {"numerator": "num", "denominator": "den", "zero_denominator": "not_applicable"}
    data["areas"] = [
        {
            "id": "A",
            "name": TEXT,
            "max_points": Decimal(4),
            "criteria": [
                leaf(
                    "X",
                    "4",
                    "ratio_bands",
                    {**params, "bands": bands},
                    applies_to=["a"],
                    applies_when="gate",
                    full_points_when="easy",
                )
            ],
        }
    ]
    cases = [  # unit type, gate, easy, num, den → reason
        ("b", None, None, None, None, "not_applicable_unit_type"),
        ("a", False, None, None, None, "not_applicable_condition"),
        ("a", True, True, None, None, "full_points_condition"),
        ("a", True, False, None, 0, "zero_denominator_na"),
        ("a", True, False, None, 10, "missing_zero"),
        ("a", True, None, 9, 10, "top_band"),
        # An undecidable applies_when is a missing input: the kind is not asked…
        ("a", None, False, 0, 0, "missing_zero"),
        # …but a definite full_points_when comes first.
        ("a", None, True, None, None, "full_points_condition"),
    ]
    table = pa.table(
        {
            "unit_id": [f"U{i}" for i in range(len(cases))],
            "name": [f"Unit {i}" for i in range(len(cases))],
            "unit_type": [c[0] for c in cases],
            "gate": pa.array([c[1] for c in cases], pa.bool_()),
            "easy": pa.array([c[2] for c in cases], pa.bool_()),
            "num": pa.array([c[3] for c in cases], pa.int64()),
            "den": pa.array([c[4] for c in cases], pa.int64()),
        }
    )
    rows = cchc_rules.evaluate(compile_data(data), table).to_arrow().to_pylist()
    assert [row["X:reason"] for row in rows] == [c[5] for c in cases]
    assert [row["X"] for row in rows] == [None, None, 4, None, 0, 4, 0, 4]


def exact_threshold_ruleset() -> dict[str, Any]:
    # 0.1 + 0.7 is 0.7999999999999999 in binary floats: a float engine grades it below 80 %.
    data = base_ruleset()
    data["ruleset"]["total_points"] = Decimal(1)
    data["facts"] = {name: fact("boolean") for name in ("f1", "f2", "f3")}
    data["areas"] = [
        {
            "id": "A",
            "name": TEXT,
            "max_points": Decimal(1),
            "criteria": [
                leaf("A1", "0.1", "flag", {"fact": "f1"}),
                leaf("A2", "0.7", "flag", {"fact": "f2"}),
                leaf("A3", "0.2", "flag", {"fact": "f3"}),
            ],
        }
    ]
    return data


def test_grade_at_exact_threshold() -> None:
    ruleset = compile_data(exact_threshold_ruleset())
    table = pa.table(
        {
            "unit_id": ["X", "Y"],
            "name": ["X", "Y"],
            "unit_type": ["a", "a"],
            "f1": [True, False],
            "f2": [True, True],
            "f3": [False, True],
        }
    )
    rows = by_unit(cchc_rules.evaluate(ruleset, table))
    assert rows["X"]["index"] == Decimal("80.00")
    assert rows["X"]["grade"] == "good"
    assert rows["Y"]["index"] == Decimal("90.00")
    assert rows["Y"]["grade"] == "top"


def test_index_is_truncated_never_rounded_up_to_a_threshold() -> None:
    data = exact_threshold_ruleset()
    data["ruleset"]["total_points"] = Decimal(3)
    data["areas"][0]["max_points"] = Decimal(3)
    data["areas"][0]["criteria"] = [
        leaf("A1", "1", "flag", {"fact": "f1"}),
        leaf("A2", "1", "flag", {"fact": "f2"}),
        leaf("A3", "1", "flag", {"fact": "f3"}),
    ]
    data["grading"]["bands"][1]["min_index"] = Decimal("66.67")
    ruleset = compile_data(data)
    table = pa.table(
        {
            "unit_id": ["X"],
            "name": ["X"],
            "unit_type": ["a"],
            "f1": [True],
            "f2": [True],
            "f3": [False],
        }
    )
    row = by_unit(cchc_rules.evaluate(ruleset, table))["X"]
    # 2/3 = 66.666…%: shown as 66.66, below the 66.67 band.
    assert row["index"] == Decimal("66.66")
    assert row["grade"] == "rest"


@pytest.mark.parametrize(
    ("ties", "expected"),
    [("shared", [1, 2, 2, 4, 1]), ("dense", [1, 2, 2, 3, 1])],
)
def test_rank_ties(ties: str, expected: list[int]) -> None:
    total = np.asarray([90, 80, 40, 10, 5], dtype=np.int64)
    maximum = np.asarray([100, 100, 50, 100, 10], dtype=np.int64)
    groups = np.asarray([0, 0, 0, 0, 1], dtype=np.int16)
    assert rank_within_groups(total, maximum, groups, ties).tolist() == expected


def test_unit_with_nothing_applicable_has_no_index_grade_or_rank() -> None:
    data = copy.deepcopy(exact_threshold_ruleset())
    for criterion in data["areas"][0]["criteria"]:
        criterion["applies_to"] = ["b"]
    ruleset = compile_data(data)
    table = pa.table(
        {
            "unit_id": ["X"],
            "name": ["X"],
            "unit_type": ["a"],
            "f1": [True],
            "f2": [True],
            "f3": [True],
        }
    )
    row = by_unit(cchc_rules.evaluate(ruleset, table))["X"]
    assert row["applicable_max"] == 0
    assert row["index"] is None and row["grade"] is None and row["rank"] is None
