"""The one walker of the criterion tree, over the models and over raw TOML data, and the
one "did you mean" with its two wordings."""

from __future__ import annotations

from typing import Any

from cchc_rules._diagnostics import did_you_mean
from cchc_rules._plugins import load_plugins
from cchc_rules.ruleset._loading import load_ruleset_file
from cchc_rules.ruleset._models import Area, Criterion, raw_tree
from cchc_rules.ruleset._registry import bundled_rulesets_dir
from cchc_rules.ruleset._toml import read_toml

TTCP_2018 = bundled_rulesets_dir() / "ttcp" / "2018.toml"


def _at(data: Any, path: tuple[str | int, ...]) -> Any:
    for step in path:
        data = data[step]
    return data


def test_tree_places_every_area_and_criterion_in_ruleset_order() -> None:
    model = load_ruleset_file(TTCP_2018, registry=load_plugins()).model
    placed = list(model.tree())
    ids = [p.node.id for p in placed]
    assert ids[:12] == ["A", "A1", "A2", "A3", "A4", "A4.1", "A4.2", "A5", "A6", "A7", "A8", "B"]
    data, _ = read_toml(TTCP_2018)
    for p in placed:
        # the path leads to the node's own table in the data it was read from
        assert _at(data, p.path)["id"] == p.node.id
        assert p.depth == len(p.parents) + (0 if isinstance(p.node, Area) else 1)
        assert p.area is model.areas[int(p.path[1])]
    group = next(p for p in placed if p.node.id == "A4.1")
    assert [c.id for c in group.parents] == ["A4"]
    assert group.depth == 2
    assert model.leaves() == [
        (p.area, p.node) for p in placed if isinstance(p.node, Criterion) and p.node.is_leaf
    ]


def test_raw_tree_walks_the_same_tables_and_skips_what_is_not_a_table() -> None:
    model = load_ruleset_file(TTCP_2018, registry=load_plugins()).model
    data, _ = read_toml(TTCP_2018)
    raw = list(raw_tree(data["areas"]))
    assert [n.path for n in raw] == [p.path for p in model.tree()]
    for node in raw:
        assert node.siblings[node.position] is node.table
    broken = [{"id": "A", "criteria": ["not a table", {"id": "A1", "criteria": 3}]}, 7]
    assert [(n.path, n.table["id"]) for n in raw_tree(broken)] == [
        (("areas", 0), "A"),
        (("areas", 0, "criteria", 1), "A1"),
    ]
    assert list(raw_tree({"areas": "not an array"})) == []


def test_did_you_mean_has_two_wordings_of_one_suggestion() -> None:
    assert did_you_mean("max_pionts", ["max_points", "kind"]) == "; did you mean 'max_points'?"
    assert did_you_mean("lenght", ["length"], aside=True) == " (did you mean 'length'?)"
    assert did_you_mean("zzz", ["max_points"]) == ""
    assert did_you_mean("zzz", ["max_points"], aside=True) == ""
