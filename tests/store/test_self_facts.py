"""Self-assessment given as facts: a units file whose facts replace the opening file's
for its units, scored by the engine into self-points (docs/decisions/0033)."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from cchc_rules import api
from cchc_rules.errors import FactCheckError, InputError
from cchc_rules.store._ops import Store
from tests.conftest import Invoke
from tests.store.conftest import demo_rows

CHECKS = str(Path(__file__).resolve().parents[1] / "rulesets" / "valid" / "checks.toml")


@pytest.fixture
def opened(store: Store) -> Store:
    api.open_campaign(store, "ttcp", "demo", period=2019, who="Thư ký")
    return store


def test_facts_replace_the_opening_files_and_score_into_self_points(
    opened: Store, tmp_path: Path
) -> None:
    before = api.campaign_scorecards(opened, "ttcp-2019").assessment("TTCP-VPC", "A1")
    assert (before.self_points, before.self_source) == (1, "facts")
    file = demo_rows(tmp_path / "vpc.csv", {"TTCP-VPC": {"plan_days_late": "0"}})

    dry = api.self_assess(opened, "ttcp-2019", file, who="Vụ Pháp chế", dry_run=True, facts=True)
    assert [str(c) for c in dry.changes] == ["TTCP-VPC plan_days_late: 12 → 0"]
    assert dry.event is None and api.campaign_state(opened, "ttcp-2019").self_facts == {}

    done = api.self_assess(opened, "ttcp-2019", file, who="Vụ Pháp chế", facts=True)
    assert done.event is not None
    again = api.self_assess(opened, "ttcp-2019", file, who="Vụ Pháp chế", facts=True)
    assert again.event is None and again.same_as == done.event.id

    cards = api.campaign_scorecards(opened, "ttcp-2019")
    after = cards.assessment("TTCP-VPC", "A1")
    assert (after.self_points, after.self_source, after.final_points) == (
        Decimal("1.5"),
        "self_facts",
        Decimal("1.5"),
    )
    # Only the file's units: another unit late with its plan keeps its facts.
    assert cards.assessment("TTCP-VKHTH", "A1").self_source == "facts"
    line = next(
        line for line in cards.explain("TTCP-VPC", lang="en").explanation.lines if line.id == "A1"
    )
    assert f"self-assessed facts: {file}, event #{done.event.id}" in line.reason
    state = api.campaign_state(opened, "ttcp-2019")
    assert [r.kind for r in state.inputs] == ["units", "self_facts"]


def test_appraisal_corrects_points_scored_from_self_assessed_facts(
    opened: Store, tmp_path: Path
) -> None:
    file = demo_rows(tmp_path / "vpc.csv", {"TTCP-VPC": {"plan_days_late": "0"}})
    api.self_assess(opened, "ttcp-2019", file, who="Vụ Pháp chế", facts=True)
    api.close_collection(opened, "ttcp-2019", who="Thư ký")
    appraisal = tmp_path / "appraisal.csv"
    appraisal.write_text(
        "unit_id,criterion_id,points,reason\nTTCP-VPC,A1,1,Kế hoạch ban hành muộn 12 ngày\n",
        encoding="utf-8",
    )
    api.appraise(opened, "ttcp-2019", appraisal, who="Tổ thẩm định")
    found = api.campaign_scorecards(opened, "ttcp-2019").assessment("TTCP-VPC", "A1")
    assert (found.self_points, found.appraised_points, found.final_points) == (
        Decimal("1.5"),
        Decimal(1),
        Decimal(1),
    )
    record = api.publish(opened, "ttcp-2019", who="Thư ký")
    assert api.verify_run(opened, record.id).identical


@pytest.mark.parametrize(
    ("changes", "located"),
    [
        ({"TTCP-VPC": {"unit_id": "TTCP-VPX"}}, (2, "unit_id", "no unit 'TTCP-VPX'")),
        ({"TTCP-VPC": {"unit_type": "su_nghiep"}}, (2, "unit_type", "expected 'hanh_chinh'")),
        (
            {"TTCP-VPTT": {}, "TTCP-VPC": {"campaign": "ttcp-2020"}},
            (3, "campaign", "this file is for campaign 'ttcp-2020', not 'ttcp-2019'"),
        ),
    ],
)
def test_a_bad_facts_file_is_a_located_error_and_changes_nothing(
    opened: Store,
    tmp_path: Path,
    changes: dict[str, dict[str, str]],
    located: tuple[int, str, str],
) -> None:
    file = demo_rows(tmp_path / "bad.csv", changes)
    events = opened.events()
    with pytest.raises(InputError) as caught:
        api.self_assess(opened, "ttcp-2019", file, who="t", facts=True)
    (problem,) = caught.value.problems
    assert (problem.file, problem.line, problem.path) == (str(file), located[0], located[1])
    assert located[2] in problem.message
    assert opened.events() == events


def test_facts_breaking_a_check_between_facts_are_refused_at_their_row(tmp_path: Path) -> None:
    header = "unit_id,name,unit_type,plan_issued,done,due\n"
    units = tmp_path / "units.csv"
    units.write_text(header + "U1,Một,cuc,true,1,2\nU2,Hai,cuc,true,2,3\n", encoding="utf-8")
    store = api.open_store(tmp_path / "store.db")
    api.open_campaign(store, CHECKS, units, who="t", name="c")
    given = tmp_path / "given.csv"
    given.write_text(header + "U2,Hai,cuc,true,20,15\n", encoding="utf-8")
    events = store.events()
    with pytest.raises(FactCheckError) as caught:
        api.self_assess(store, "c", given, who="t", facts=True)
    (problem,) = caught.value.problems
    assert (problem.file, problem.line, problem.path) == (str(given), 2, "đơn vị U2")
    assert store.events() == events


def test_self_assess_facts_on_the_command_line(cli: Invoke, tmp_path: Path) -> None:
    db = ["--store", str(tmp_path / "cchc.db")]
    cli("campaign", "open", "ttcp", "-p", "2019", "--units", "demo", "--who", "T", *db)
    file = demo_rows(tmp_path / "vpc.csv", {"TTCP-VPC": {"plan_days_late": "0"}})
    args = ("campaign", "self-assess", "ttcp-2019", str(file), "--facts", "--who", "VPC", *db)
    result = cli(*args, "--dry-run")
    assert result.exit_code == 0
    assert "TTCP-VPC plan_days_late: 12 → 0" in result.stdout
    assert "dry run: 1 would change" in result.stdout
    bad = demo_rows(tmp_path / "bad.csv", {"TTCP-VPC": {"plan_days_late": "muộn"}})
    result = cli("campaign", "self-assess", "ttcp-2019", str(bad), "--facts", "--who", "V", *db)
    assert result.exit_code == 1
    assert f"{bad}:2: plan_days_late:" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_data_entry_form_filled_in_excel_is_a_facts_self_assessment(
    opened: Store, tmp_path: Path
) -> None:
    """`cchc template` → the office fills the form (openpyxl, as Excel would) → import."""
    ruleset = api.load_ruleset("ttcp@2019")
    demo = api.demo_units_path(ruleset)
    form = tmp_path / "form.xlsx"
    form.write_bytes(api.data_entry_form(ruleset, units=demo))
    rows = {row["unit_id"]: row for row in csv.DictReader(demo.open(encoding="utf-8"))}
    book = load_workbook(form)
    sheet = next(s for s in book.worksheets if s.cell(1, 1).value == "unit_id")
    keys = [cell.value for cell in sheet[1]]
    for number in range(3, sheet.max_row + 1):
        unit = rows[sheet.cell(number, keys.index("unit_id") + 1).value]
        for column, key in enumerate(keys, start=1):
            if key in ruleset.model.facts and unit.get(key):
                late = (unit["unit_id"], key) == ("TTCP-VPC", "plan_days_late")
                sheet.cell(number, column).value = "0" if late else unit[key]
    filled = tmp_path / "filled.xlsx"
    book.save(filled)
    dry = api.self_assess(opened, "ttcp-2019", filled, who="Vụ Pháp chế", dry_run=True, facts=True)
    assert [str(c) for c in dry.changes] == ["TTCP-VPC plan_days_late: 12 → 0"]
