"""A whole assessment year on the demo data, through the command line and the API."""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from cchc_rules import api
from cchc_rules.store._ops import Store
from cchc_rules.store._schema import events, runs
from tests.conftest import Invoke


def test_a_whole_year_on_the_command_line(
    cli: Invoke, tmp_path: Path, year: dict[str, Path]
) -> None:
    db = ["--store", str(tmp_path / "cchc.db")]

    def ok(*args: str) -> str:
        result = cli(*args, *db)
        assert result.exit_code == 0, result.output
        return result.stdout

    out = ok("campaign", "open", "ttcp", "--period", "2019", "--units", "demo", "--who", "Thư ký")
    assert "opened ttcp-2019 (collecting): 19 units" in out
    assert "the only version in force for 2019" in out
    out = ok("campaign", "self-assess", "ttcp-2019", str(year["self"]), "--who", "Văn phòng")
    assert "TTCP-VTCCB A3: none → 3.5 points, 2 evidence item(s)" in out
    assert "as event #2 (4 changed" in out
    out = ok("campaign", "self-assess", "ttcp-2019", str(year["self"]), "--who", "Văn phòng")
    assert "nothing to change (the same content as event #2); nothing written" in out
    ok("campaign", "survey", "ttcp-2019", str(year["survey"]), "--who", "Tổ khảo sát")
    assert "appraising" in ok("campaign", "close", "ttcp-2019", "--who", "Thư ký")
    ok("appraise", "ttcp-2019", str(year["appraisal"]), "--who", "Tổ thẩm định")
    assert "published run ttcp-2019/1 " in ok("campaign", "publish", "ttcp-2019", "--who", "Thư ký")
    out = ok(
        "campaign",
        "appeal",
        "ttcp-2019",
        "TTCP-VTCCB",
        "--why",
        "Đã hoàn thành 100%",
        "--who",
        "Vụ TCCB",
    )
    assert "appealing" in out
    ok("campaign", "appraise", "ttcp-2019", str(year["reappraisal"]), "--who", "Tổ thẩm định")
    out = ok("campaign", "publish", "ttcp-2019", "--who", "Thư ký")
    assert "published run ttcp-2019/2, superseding ttcp-2019/1" in out

    moved = json.loads(ok("runs", "diff", "ttcp-2019/1", "ttcp-2019/2", "-f", "json"))
    assert [(m["unit"], m["criterion"], m["before"], m["after"]) for m in moved["criteria"]] == [
        ("TTCP-VTCCB", "A3", "1.75", "3.5")
    ]
    assert "appeal #7 by Vụ TCCB: Đã hoàn thành 100%" in moved["criteria"][0]["why"]
    assert [u["unit"] for u in moved["units"] if not u["rank_only"]] == ["TTCP-VTCCB"]
    assert "TTCP-VTCCB   A3" in ok("runs", "diff", "ttcp-2019/1", "ttcp-2019/2")
    for run in ("ttcp-2019/1", "ttcp-2019/2"):
        assert (
            ok("runs", "verify", run)
            == f"{run}: identical (results recomputed from the store, byte for byte)\n"
        )

    listed = ok("runs", "list")
    assert "ttcp-2019/2" in listed and "ttcp-2019/1" in listed
    shown = json.loads(ok("runs", "show", "ttcp-2019/2", "-f", "json"))
    provenance = shown["provenance"]
    assert provenance["ruleset"]["ref"] == "ttcp@2019"
    assert provenance["ruleset"]["period"] == 2019
    assert "only version in force" in provenance["ruleset"]["why"]
    assert [i["kind"] for i in provenance["inputs"]] == [
        "units",
        "self_assessment",
        "survey",
        "appraisal",
        "appraisal",
    ]
    assert all(len(i["sha256"]) == 64 for i in provenance["inputs"])
    assert {p["distribution"] for p in provenance["plugins"]} >= {"cchc-rules"}
    assert provenance["python"] and provenance["cchc_rules"] and provenance["who"] == "Thư ký"
    assert shown["supersedes"] == "ttcp-2019/1"
    assert "why this version" in ok("runs", "show", "ttcp-2019/1")

    explained = json.loads(ok("campaign", "explain", "ttcp-2019", "TTCP-VPC", "-f", "json"))
    (b1,) = [c for c in explained["criteria"] if c["id"] == "B1"]
    assert b1["points"] == "1" and b1["reason_code"] == "appraised"
    assert b1["assessment"]["self"] == "2" and b1["assessment"]["appraised"] == "1"
    assert b1["assessment"]["appraisal_reason"] == "Thiếu báo cáo quý IV"
    assert b1["assessment"]["evidence"] == [{"title": "Báo cáo pháp chế"}]
    table = ok(
        "campaign", "explain", "ttcp-2019", "TTCP-VTCCB", "--run", "ttcp-2019/1", "--lang", "en"
    )
    assert "Appraised 1.75 points (self-score 3.5, self-assessed): Chỉ hoàn thành 85%" in table
    assert "republished" in ok("campaign", "list")
    assert "appeal #7 TTCP-VTCCB (answered)" in ok("campaign", "show", "ttcp-2019")


def test_final_is_appraised_where_given_else_the_self_score(published: Store) -> None:
    cards = api.campaign_scorecards(published, "ttcp-2019", run="ttcp-2019/1")
    a3 = cards.assessment("TTCP-VTCCB", "A3")
    assert (a3.self_points, a3.appraised_points, a3.final_points) == (
        Decimal("3.5"),
        Decimal("1.75"),
        Decimal("1.75"),
    )
    assert a3.final_source == "appraised" and a3.appraisal_reason == "Chỉ hoàn thành 85% kế hoạch"
    a2 = cards.assessment("TTCP-VPTT", "A2")
    assert (a2.self_source, a2.final_points, a2.final_source) == (
        "self_assessment",
        Decimal(1),
        "self_assessment",
    )
    # Not self-assessed: the self-score is what the unit's facts score.
    a1 = cards.assessment("TTCP-VPC", "A1")
    assert a1.self_source == "facts" and a1.final_points == a1.self_points
    survey = cards.assessment("TTCP-BAO", "S1")
    assert survey.self_source == "survey" and survey.final_points == Decimal("3.5")
    row = cards.scorecards.to_arrow().to_pylist()[1]
    assert row["unit_id"] == "TTCP-VTCCB" and row["A3"] == Decimal("1.75")


def test_verify_names_a_plugin_whose_version_changed(published: Store) -> None:
    registry = api.default_registry()
    changed = dataclasses.replace(
        registry,
        plugins=tuple(
            dataclasses.replace(p, version="9.9.9") if p.name == "builtin" else p
            for p in registry.plugins
        ),
    )
    result = api.verify_run(published, "ttcp-2019/2", registry=changed)
    assert not result.identical
    (builtin,) = [p for p in registry.plugins if p.name == "builtin"]
    assert result.differences == (
        f"plugin builtin: cchc-rules {builtin.version} when published, cchc-rules 9.9.9 now",
    )


def test_verify_on_the_command_line_names_the_plugin(
    cli: Invoke, published: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The command line imports the plugin manager when it first needs the registry.
    from cchc_rules import _plugins

    real = _plugins.load_plugins

    def newer(plugins_dir: Path | None = None) -> object:
        registry = real(plugins_dir)
        return dataclasses.replace(
            registry,
            plugins=tuple(dataclasses.replace(p, version="9.9.9") for p in registry.plugins),
        )

    monkeypatch.setattr(_plugins, "load_plugins", newer)
    result = cli("runs", "verify", "ttcp-2019/1", "--store", published.url)
    assert result.exit_code == 1
    assert "ttcp-2019/1: " in result.stdout and "difference(s)" in result.stdout
    assert "plugin builtin: cchc-rules" in result.stdout and "cchc-rules 9.9.9 now" in result.stdout


def test_verify_detects_a_store_edited_behind_the_tools_back(published: Store) -> None:
    with published.transaction() as connection:
        connection.execute(
            runs.update()
            .where(runs.c.id == "ttcp-2019/1")
            .values(results=runs.c.results + sa.literal(" "))
        )
    edited = api.verify_run(published, "ttcp-2019/1")
    assert any("stored results were edited" in d for d in edited.differences)
    assert api.verify_run(published, "ttcp-2019/2").identical
    # An appraisal changed in the events: its hash no longer matches, and the run no longer
    # recomputes to what was published.
    with published.transaction() as connection:
        (event_id,) = connection.execute(
            sa.select(events.c.id).where(events.c.kind == "appraisal_imported").limit(1)
        ).one()
        payload = connection.execute(
            sa.select(events.c.payload).where(events.c.id == event_id)
        ).scalar()
        assert payload is not None
        connection.execute(
            events.update()
            .where(events.c.id == event_id)
            .values(payload=payload.replace('"1.75"', '"2"'))
        )
    result = api.verify_run(published, "ttcp-2019/1")
    edited_event = f"event #{event_id} (appraisal_imported) was edited after it was written"
    assert any(d.startswith(edited_event) for d in result.differences)
    assert "units.TTCP-VTCCB.criteria.A3.final: '1.75' stored, '2' recomputed" in result.differences
    assert not any("TTCP-VPC" in d for d in result.differences)
