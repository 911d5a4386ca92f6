"""Campaigns over rulesets whose facts are derived from record sets (ttcp@2020): the
record-set files are stored at the opening and the facts derived from them on reading."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cchc_rules import api
from cchc_rules.errors import CchcError
from cchc_rules.inputs._derive import record_paths
from cchc_rules.store._ops import Store
from cchc_rules.store._scoring import forget
from tests.conftest import Invoke

RULESET = api.load_ruleset("ttcp@2020")
DEMO_UNITS = api.demo_units_path(RULESET)
DEMO_RECORDS = DEMO_UNITS.parent / "records" / "ttcp_2020"


def test_a_record_set_campaign_scores_as_evaluate_and_verifies(store: Store) -> None:
    state = api.open_campaign(store, "ttcp@2020", "demo", period=2020, who="Thư ký")
    stored = {r.kind: r.name for r in state.inputs}
    assert stored["records:roster"] == "demo/records/ttcp_2020/roster.csv"
    assert len([k for k in stored if k.startswith("records:")]) == len(state.records) > 1

    expected = api.evaluate(RULESET, DEMO_UNITS, records=record_paths(RULESET, demo=True))
    cards = api.campaign_scorecards(store, "ttcp-2020").scorecards
    assert cards.to_arrow().column("total").to_pylist() == (
        expected.to_arrow().column("total").to_pylist()
    )
    api.close_collection(store, "ttcp-2020", who="Thư ký")
    record = api.publish(store, "ttcp-2020", who="Thư ký")
    # From the store alone: nothing read in this process is reused.
    forget()
    assert api.verify_run(store, record.id).identical


def test_record_files_are_read_from_the_store_not_from_where_they_were(
    store: Store, tmp_path: Path
) -> None:
    records = tmp_path / "records"
    shutil.copytree(DEMO_RECORDS, records)
    given = {path.stem: path for path in records.glob("*.csv")}
    api.open_campaign(store, "ttcp@2020", DEMO_UNITS, period=2020, who="t", records=given)
    before = api.campaign_scorecards(store, "ttcp-2020").scorecards.to_arrow()
    shutil.rmtree(records)
    forget()
    after = api.campaign_scorecards(store, "ttcp-2020").scorecards.to_arrow()
    assert after.equals(before)


def test_a_record_set_campaign_without_its_records_is_refused_and_not_opened(
    store: Store,
) -> None:
    with pytest.raises(CchcError) as caught:
        api.open_campaign(store, "ttcp@2020", DEMO_UNITS, period=2020, who="t")
    assert any("no file for record set 'roster'" in p.message for p in caught.value.problems)
    assert api.list_campaigns(store) == []


def test_open_with_records_on_the_command_line(cli: Invoke, tmp_path: Path) -> None:
    db = ["--store", str(tmp_path / "cchc.db")]
    roster = tmp_path / "roster.csv"
    shutil.copy(DEMO_RECORDS / "roster.csv", roster)
    result = cli(
        "campaign", "open", "ttcp@2020", "-p", "2020", "--units", "demo",
        "--records", f"roster={roster}", "--who", "T", *db,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    state = api.campaign_state(api.open_store(tmp_path / "cchc.db"), "ttcp-2020")
    names = {r.kind: r.name for r in state.records}
    assert names["roster"] == str(roster)
    assert names["quotas"] == "demo/records/ttcp_2020/quotas.csv"
    result = cli(
        "campaign", "open", "ttcp", "-p", "2019", "--units", "demo", "--records",
        f"roster={roster}", "--who", "T", *db,
    )  # fmt: skip
    assert result.exit_code == 1
    assert "--records: roster: unknown record set (the ruleset ttcp@2019 reads none)" in (
        result.stderr
    )


def test_self_assessed_facts_on_a_record_set_campaign_are_refused_clearly(
    store: Store, tmp_path: Path
) -> None:
    api.open_campaign(store, "ttcp@2020", "demo", period=2020, who="t")
    facts = tmp_path / "facts.csv"
    shutil.copy(DEMO_UNITS, facts)
    events = store.events()
    with pytest.raises(CchcError) as caught:
        api.self_assess(store, "ttcp-2020", facts, who="t", facts=True)
    (problem,) = caught.value.problems
    assert problem.file == str(facts)
    assert "not supported yet for ttcp@2020" in problem.message
    assert store.events() == events
