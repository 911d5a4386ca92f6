"""Scorecards on the bundled ruleset and demo units: table, explanations, reproducibility."""

from __future__ import annotations

from decimal import Decimal

import pytest

import cchc_rules
from cchc_rules.errors import InputError, RulesetError
from cchc_rules.ruleset._registry import find_ruleset, list_ruleset_files


@pytest.fixture(scope="module")
def cards() -> cchc_rules.Scorecards:
    ruleset = cchc_rules.load_ruleset("ttcp@2018")
    return cchc_rules.evaluate(ruleset, cchc_rules.demo_units_path(ruleset))


def test_bundled_ruleset_is_found_by_reference() -> None:
    refs = [entry.ref for entry in list_ruleset_files()]
    assert "ttcp@2018" in refs
    assert find_ruleset("ttcp@2018").name == "2018.toml"
    with pytest.raises(RulesetError, match=r"available: .*ttcp@2018"):
        find_ruleset("ttcp@1999")


def test_table_totals_are_the_sum_of_criteria(cards: cchc_rules.Scorecards) -> None:
    leaf_ids = [leaf.criterion.id for leaf in cards.ruleset.leaves]
    for row in cards.to_arrow().to_pylist():
        earned = sum((row[i] for i in leaf_ids if row[i] is not None), Decimal(0))
        assert earned == row["total"]
        areas = sum((row[f"area:{a.id}"] for a in cards.ruleset.model.areas), Decimal(0))
        assert areas == row["total"]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_reason_of_every_demo_unit_renders(cards: cchc_rules.Scorecards, lang: str) -> None:
    leaf_ids = {leaf.criterion.id for leaf in cards.ruleset.leaves}
    for unit_id in cards.units.unit_ids.to_pylist():
        explanation = cards.explain(unit_id, lang=lang)
        explained = {line.id for line in explanation.lines if line.is_leaf}
        assert explained == leaf_ids
        for line in explanation.lines:
            assert "{" not in line.reason and "}" not in line.reason, line
            assert "{" not in line.hint and "}" not in line.hint, line
            if line.is_leaf:
                assert line.reason, line
            if line.is_leaf and line.points is not None and line.points < line.max_points:
                # a unit head must learn what would raise a criterion that lost points
                assert line.hint, line


def test_explanation_agrees_with_the_table(cards: cchc_rules.Scorecards) -> None:
    rows = {row["unit_id"]: row for row in cards.to_arrow().to_pylist()}
    for unit_id, row in rows.items():
        explanation = cards.explain(unit_id)
        assert explanation.total == row["total"]
        assert explanation.applicable_max == row["applicable_max"]
        assert explanation.rank == row["rank"]
        by_id = {line.id: line for line in explanation.lines}
        for leaf in cards.ruleset.leaves:
            assert by_id[leaf.criterion.id].points == row[leaf.criterion.id]


def test_unknown_unit_suggests_a_close_id(cards: cchc_rules.Scorecards) -> None:
    with pytest.raises(InputError, match="did you mean 'TTCP-VPC'"):
        cards.explain("TTCP-VPX")


def test_same_inputs_same_hash_same_results() -> None:
    first = cchc_rules.load_ruleset("ttcp@2018")
    second = cchc_rules.load_ruleset(find_ruleset("ttcp@2018"))
    assert first.content_hash == second.content_hash
    units = cchc_rules.demo_units_path(first)
    assert (
        cchc_rules.evaluate(first, units)
        .to_arrow()
        .equals(cchc_rules.evaluate(second, units).to_arrow())
    )


@pytest.mark.parametrize("ref", ["ttcp@2018", "ttcp@2020"])
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_explanations_of_a_batch_are_each_units_own(ref: str, lang: str) -> None:
    # The batch renders each distinct reason once and shares it between units: every
    # unit must still read exactly what explaining it alone says.
    ruleset = cchc_rules.load_ruleset(ref)
    cards = cchc_rules.evaluate(ruleset, cchc_rules.demo_units_path(ruleset))
    order = [int(p) for p in cards.ranked_order()]
    batch = list(cards.explain_positions(order, lang=lang))
    alone = [cards.explain(cards.units.unit_id(p), lang=lang) for p in order]
    assert batch == alone
    assert len({line.reason for e in batch for line in e.lines if line.is_leaf}) > 10
