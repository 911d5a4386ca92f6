"""The scoring plan's stacks: a ruleset's criteria of one kind scored in one call over
every unit of a batch give exactly what each criterion scored by itself gives."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cchc_rules
from cchc_rules.inputs._units import read_units
from cchc_rules.kinds import Batch
from cchc_rules.ruleset._compiled import CompiledRuleset
from cchc_rules.scoring._builtin import Flag, Proportional, RatioBands
from cchc_rules.scoring._engine import score_leaf, score_units, with_computed_facts
from cchc_rules.scoring._plan import scoring_plan
from tests.scoring.test_engine import TEXT, compile_data, fact, leaf

FACTS = {
    "ok": fact("boolean", required=False),
    "ok2": fact("boolean"),
    "num": fact("integer", min=Decimal(0), required=False),
    "den": fact("integer", min=Decimal(0), required=False),
    "done": fact("decimal", decimals=2, min=Decimal(0), required=False),
    "events": fact("integer", min=Decimal(0)),
}


@st.composite
def applicability(draw: st.DrawFn) -> dict[str, Any]:
    """What the engine decides before a kind: unit types, conditions, missing values."""
    extra: dict[str, Any] = {}
    applies_to = draw(st.sampled_from([None, ["a"], ["b"]]))
    if applies_to:
        extra["applies_to"] = applies_to
    if draw(st.booleans()):
        extra["applies_when"] = draw(st.sampled_from(["events > 3", "num >= den", "ok"]))
    if draw(st.integers(0, 3)) == 0:
        extra["full_points_when"] = draw(st.sampled_from(["events == 0", "ok2"]))
    extra["when_missing"] = draw(st.sampled_from(["zero", "not_applicable"]))
    return extra


@st.composite
def flag(draw: st.DrawFn, ident: str) -> dict[str, Any]:
    params = {"fact": draw(st.sampled_from(["ok", "ok2"])), "good_when": draw(st.booleans())}
    points = str(draw(st.integers(1, 8)))
    return leaf(ident, points, "flag", params, **draw(applicability()))


def ratio_terms(draw: st.DrawFn) -> dict[str, Any]:
    numerator = draw(st.sampled_from(["num", "done"]))
    return {
        "numerator": numerator,
        "denominator": draw(st.sampled_from(["den", "done", "events"])),
        "zero_denominator": draw(st.sampled_from(["not_applicable", "full_points"])),
    }


PERCENTS = st.decimals(min_value=0, max_value=150, places=1)


@st.composite
def ratio_bands(draw: st.DrawFn, ident: str) -> dict[str, Any]:
    percents = sorted(draw(st.sets(PERCENTS, min_size=1, max_size=4)), reverse=True)
    top = draw(st.integers(1, 8))
    points = sorted((Decimal(draw(st.integers(0, top * 4))) / 4 for _ in percents), reverse=True)
    bands = [{"min_percent": p, "points": q} for p, q in zip(percents, points, strict=True)]
    params = {**ratio_terms(draw), "bands": bands}
    return leaf(ident, str(top), "ratio_bands", params, **draw(applicability()))


@st.composite
def proportional(draw: st.DrawFn, ident: str) -> dict[str, Any]:
    target = draw(st.decimals(min_value=Decimal("0.1"), max_value=100, places=1))
    params = {**ratio_terms(draw), "target_percent": target}
    points = str(Decimal(draw(st.integers(1, 40))) / 4)
    return leaf(ident, points, "proportional", params, **draw(applicability()))


@st.composite
def rulesets(draw: st.DrawFn) -> CompiledRuleset:
    """Several criteria of each stacked kind, and one of a kind scored by itself among
    them (so the buffers' rows are not in ruleset order)."""
    makers = [flag, ratio_bands, proportional] * 3
    chosen = draw(st.lists(st.sampled_from(makers), min_size=3, max_size=9))
    criteria = [make(f"C{index}") for index, make in enumerate(chosen)]
    drawn = [draw(criterion) for criterion in criteria]
    at = draw(st.integers(0, len(drawn)))
    drawn.insert(at, leaf("D", "2", "deduction", {"events": "events", "points_per_event": 1}))
    total = sum(Decimal(c["max_points"]) for c in drawn)
    data = {
        "ruleset": {
            "family": "stacks",
            "version": "1",
            "title": TEXT,
            "status": "draft",
            "legal_basis": {"decision": "1/QĐ", "date": __import__("datetime").date(2020, 1, 1)},
            "periods": [2020],
            "total_points": total,
            "points_decimals": 2,
        },
        "unit_types": {
            "a": {"name": TEXT, "peer_group": "g"},
            "b": {"name": TEXT, "peer_group": "g"},
        },
        "facts": FACTS,
        "grading": {"bands": [{"grade": "all", "name": TEXT, "min_index": Decimal(0)}]},
        "ranking": {"peer_groups": {"g": {"name": TEXT}}},
        "areas": [{"id": "A", "name": TEXT, "max_points": total, "criteria": drawn}],
    }
    return compile_data(data)


units_rows = st.lists(
    st.fixed_dictionaries(
        {
            "unit_type": st.sampled_from(["a", "b"]),
            "ok": st.none() | st.booleans(),
            "ok2": st.booleans(),
            "num": st.none() | st.integers(0, 40) | st.integers(0, 2**40),
            "den": st.none() | st.integers(0, 4) | st.integers(0, 40),
            "done": st.none() | st.integers(0, 9999),
            "events": st.integers(0, 8),
        }
    ),
    min_size=1,
    max_size=30,
)


def units(rows: list[dict[str, Any]], ruleset: CompiledRuleset) -> Any:
    table = pa.table(
        {
            "unit_id": [f"U{i:03d}" for i in range(len(rows))],
            "name": [f"Unit {i}" for i in range(len(rows))],
            "unit_type": [r["unit_type"] for r in rows],
            "ok": pa.array([r["ok"] for r in rows], pa.bool_()),
            "ok2": [r["ok2"] for r in rows],
            "num": pa.array([r["num"] for r in rows], pa.int64()),
            "den": pa.array([r["den"] for r in rows], pa.int64()),
            "done": pa.array(
                [None if r["done"] is None else Decimal(r["done"]) / 100 for r in rows],
                pa.decimal128(6, 2),
            ),
            "events": [r["events"] for r in rows],
        }
    )
    return read_units(table, ruleset.model)


@settings(max_examples=150, deadline=None)
@given(rulesets(), units_rows, st.integers(1, 12))
def test_a_stack_scores_as_each_of_its_criteria_alone(
    ruleset: CompiledRuleset, rows: list[dict[str, Any]], batch_size: int
) -> None:
    table = units(rows, ruleset)
    stacked = score_units(ruleset, table, batch_size=batch_size)
    plan = scoring_plan(ruleset)
    assert any(stack.scorer is not None for stack in plan.stacks)
    full = with_computed_facts(ruleset, table.batch(), table)
    for row, compiled in enumerate(ruleset.leaves):
        alone = score_leaf(compiled, full)
        cell = compiled.criterion.id
        assert stacked.points[row].tolist() == alone.points[0].tolist(), cell
        assert stacked.reasons[row].tolist() == alone.reasons[0].tolist(), cell
        assert stacked.applicable[row].tolist() == alone.applicable[0].tolist(), cell


def test_the_plan_stacks_each_stacking_kind_once_and_keeps_ruleset_order() -> None:
    ruleset = cchc_rules.load_ruleset("ttcp@2018")
    plan = scoring_plan(ruleset)
    assert scoring_plan(ruleset) is plan
    stacked = {type(s.leaves[0].leaf.kind): s for s in plan.stacks if s.scorer is not None}
    assert set(stacked) == {Flag, RatioBands, Proportional}
    kinds = [type(compiled.kind) for compiled in ruleset.leaves]
    assert len(stacked[Flag].leaves) == kinds.count(Flag) == 20
    # Every leaf has one buffer row, and a stack's rows are adjacent, in ruleset order.
    assert sorted(plan.buffer_rows.tolist()) == list(range(len(ruleset.leaves)))
    for stack in plan.stacks:
        rows = [ruleset.leaves.index(member.leaf) for member in stack.leaves]
        assert rows == sorted(rows)
        assert plan.buffer_rows[rows].tolist() == list(range(stack.start, stack.rows.stop))


def test_a_subclass_that_scores_its_own_way_is_not_stacked() -> None:
    class Inverted(Flag):
        def score_batch(self, batch: Batch) -> Any:
            score = super().score_batch(batch)
            score.points = self.criterion.max_units - score.points
            return score

    assert Flag.stacks()
    assert not Inverted.stacks()
    assert Inverted.has_batch_path()


@pytest.mark.parametrize("size", [1, 2 * 65_536 + 3])
def test_the_demo_repeated_over_several_batches_scores_as_each_criterion_alone(
    size: int,
) -> None:
    ruleset = cchc_rules.load_ruleset("ttcp@2018")
    demo = read_units(cchc_rules.demo_units_path(ruleset), ruleset.model)
    table = demo.take(np.arange(size) % len(demo))
    stacked = score_units(ruleset, table)
    full = with_computed_facts(ruleset, table.batch(), table)
    for row, compiled in enumerate(ruleset.leaves):
        alone = score_leaf(compiled, full)
        assert np.array_equal(stacked.points[row], alone.points[0])
        assert np.array_equal(stacked.reasons[row], alone.reasons[0])
        assert np.array_equal(stacked.applicable[row], alone.applicable[0])
