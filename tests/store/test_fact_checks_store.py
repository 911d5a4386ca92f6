"""The store refuses, at the campaign's opening, units that break an error check."""

from __future__ import annotations

from pathlib import Path

import pytest

from cchc_rules import api
from cchc_rules.errors import FactCheckError

CHECKS = str(Path(__file__).resolve().parents[1] / "rulesets" / "valid" / "checks.toml")
HEADER = "unit_id,name,unit_type,plan_issued,done,due\n"


def test_opening_a_campaign_on_impossible_facts_is_refused_and_records_nothing(
    tmp_path: Path,
) -> None:
    units = tmp_path / "units.csv"
    units.write_text(HEADER + "U1,Một,cuc,true,1,2\nU2,Hai,cuc,true,20,15\n", encoding="utf-8")
    store = api.open_store(tmp_path / "store.db")
    with pytest.raises(FactCheckError) as caught:
        api.open_campaign(store, CHECKS, units, who="tester", name="c")
    (problem,) = caught.value.problems
    assert (problem.line, problem.path) == (3, "đơn vị U2")
    assert "(done = 20, due = 15)" in problem.message
    assert api.list_campaigns(store) == []


def test_a_campaign_scored_with_a_warning_check_carries_the_warnings(tmp_path: Path) -> None:
    units = tmp_path / "units.csv"
    units.write_text(HEADER + "U1,Một,cuc,true,1,2\nU2,Hai,cuc,false,0,3\n", encoding="utf-8")
    store = api.open_store(tmp_path / "store.db")
    api.open_campaign(store, CHECKS, units, who="tester", name="c")
    cards = api.campaign_scorecards(store, "c")
    assert [(w.check, w.unit_id) for w in cards.scorecards.warnings] == [("plan_when_due", "U2")]
