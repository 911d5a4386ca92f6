"""Imports: located errors that change nothing, dry runs, idempotence, states, conflicts."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from cchc_rules import api
from cchc_rules.errors import InputError, RulesetError
from cchc_rules.store._ops import ConflictError, Store, StoreError
from tests.store.conftest import write

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def store(tmp_path: Path) -> Store:
    opened = Store(tmp_path / "cchc.db")
    api.open_campaign(opened, "ttcp", "demo", period=2019, who="Thư ký")
    return opened


def _errors(excinfo: pytest.ExceptionInfo[InputError]) -> list[str]:
    return str(excinfo.value).splitlines()


def test_bad_self_assessments_are_located_all_at_once_and_change_nothing(
    store: Store, tmp_path: Path
) -> None:
    bad = write(
        tmp_path / "bad.csv",
        """
        campaign,unit_id,criterion_id,points,evidence_number,evidence_date,evidence_title,evidence_ref
        ttcp-2019,TTCP-VPT,A1,1,,,,
        ttcp-2019,TTCP-VPTT,A11,1,,,,
        ttcp-2019,TTCP-VPTT,G1,1,,,,
        ttcp-2019,TTCP-VPTT,A,1,,,,
        ttcp-2019,TTCP-VPTT,A1,2,,,,
        ttcp-2019,TTCP-VPTT,A2,0.005,,,,
        ttcp-2018,TTCP-VPTT,A2,1,,,,
        ttcp-2019,TTCP-VPTT,S1,5,,,,
        ttcp-2019,TTCP-VPTT,A3,1,,31/02/2019,Báo cáo,
        ttcp-2019,TTCP-BAO,B2,1,,,,
        ttcp-2019,TTCP-VPTT,A5,1,12/QĐ,,,
        """,
    )
    before = store.events("ttcp-2019")
    with pytest.raises(InputError) as excinfo:
        api.self_assess(store, "ttcp-2019", bad, who="Văn phòng")
    name = str(bad)
    assert _errors(excinfo) == [
        f"{name}:2: unit_id: no unit 'TTCP-VPT' in campaign 'ttcp-2019'; did you mean 'TTCP-VPTT'?",
        f"{name}:3: criterion_id: no scored criterion 'A11' in ttcp@2019; did you mean 'A1'?",
        f"{name}:4: criterion_id: G1 was split in ttcp@2019 (now: G3, G4, G5, G6, G7, G8); "
        "campaign 'ttcp-2019' scores ttcp@2019",
        f"{name}:5: criterion_id: A is an area or group: give its scored sub-criteria",
        f"{name}:6: points: expected points from 0 to 1.5, the maximum of A1 (got 2)",
        f"{name}:7: points: expected points in steps of 0.01, the ruleset's precision (got 0.005)",
        f"{name}:8: campaign: this file is for campaign 'ttcp-2018', not 'ttcp-2019'",
        f"{name}:9: criterion_id: S1 is scored from the survey: import it with "
        "'cchc campaign survey'",
        f"{name}:10: evidence_date: expected a date as YYYY-MM-DD or DD/MM/YYYY (got '31/02/2019')",
        f"{name}:11: criterion_id: B2 does not apply to unit TTCP-BAO (unit type su_nghiep; it "
        "applies to hanh_chinh)",
        f"{name}:12: evidence_title: expected the document's title or its file name or URL "
        "(evidence_ref) (got neither)",
    ]
    assert store.events("ttcp-2019") == before


def test_unknown_columns_and_points_that_disagree(store: Store, tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"1: pionts: unknown column; did you mean 'points'\?"):
        api.self_assess(
            store, "ttcp-2019", write(tmp_path / "a.csv", "unit_id,criterion_id,pionts\n"), who="x"
        )
    twice = write(
        tmp_path / "b.json",
        '[{"unit_id": "TTCP-VPTT", "criterion_id": "A1", "points": 1, "evidence_title": "KH"},'
        ' {"unit_id": "TTCP-VPTT", "criterion_id": "A1", "points": 1.5, "evidence_title": "BC"}]',
    )
    with pytest.raises(InputError, match=r"b.json:2: points: TTCP-VPTT A1 has 1 points on row 1"):
        api.self_assess(store, "ttcp-2019", twice, who="x")


def test_a_changed_file_shows_its_changes_with_dry_run_and_writes_nothing(
    store: Store, tmp_path: Path
) -> None:
    first = write(
        tmp_path / "s.csv", "unit_id,criterion_id,points,evidence_title\nTTCP-VPTT,A1,1,KH\n"
    )
    done = api.self_assess(store, "ttcp-2019", first, who="Văn phòng")
    assert done.event is not None and done.event.kind == "self_assessment_imported"
    changed = write(
        tmp_path / "s.csv",
        "unit_id,criterion_id,points,evidence_title\nTTCP-VPTT,A1,1.5,KH\nTTCP-VPTT,A2,1,\n",
    )
    events = store.events("ttcp-2019")
    preview = api.self_assess(store, "ttcp-2019", changed, who="Văn phòng", dry_run=True)
    assert preview.event is None and preview.dry_run
    assert [str(c) for c in preview.changes] == [
        "TTCP-VPTT A1: 1 points, 1 evidence item(s) → 1.5 points, 1 evidence item(s)",
        "TTCP-VPTT A2: none → 1 points, 0 evidence item(s)",
    ]
    assert store.events("ttcp-2019") == events
    edited = write(
        tmp_path / "s.csv", "unit_id,criterion_id,points,evidence_title\nTTCP-VPTT,A1,1,BC\n"
    )
    (change,) = api.self_assess(store, "ttcp-2019", edited, who="x", dry_run=True).changes
    assert change.after == "1 points, 1 evidence item(s), edited"


def test_operations_out_of_order_are_refused_with_what_the_campaign_waits_for(
    store: Store, tmp_path: Path
) -> None:
    appraisal = write(tmp_path / "a.csv", "unit_id,criterion_id,points,reason\nTTCP-VPTT,A1,1,x\n")
    with pytest.raises(
        StoreError, match="cannot import appraisals while the campaign is collecting"
    ):
        api.appraise(store, "ttcp-2019", appraisal, who="Tổ thẩm định")
    with pytest.raises(StoreError, match="cannot publish while the campaign is collecting"):
        api.publish(store, "ttcp-2019", who="Thư ký")
    with pytest.raises(StoreError, match="cannot appeal while the campaign is collecting"):
        api.appeal(store, "ttcp-2019", "TTCP-VPTT", who="VP", why="x")
    api.close_collection(store, "ttcp-2019", who="Thư ký")
    self_file = write(tmp_path / "s.csv", "unit_id,criterion_id,points\nTTCP-VPTT,A1,1\n")
    with pytest.raises(
        StoreError, match="cannot import self-assessments while the campaign is appraising"
    ):
        api.self_assess(store, "ttcp-2019", self_file, who="VP")
    with pytest.raises(StoreError, match=r"no campaign 'ttcp-2091'; did you mean 'ttcp-2019'\?"):
        api.campaign_state(store, "ttcp-2091")


def test_an_appraisal_needs_a_reason_where_it_differs_and_appeals_limit_reappraisal(
    store: Store, tmp_path: Path
) -> None:
    api.close_collection(store, "ttcp-2019", who="Thư ký")
    facts_a1 = api.campaign_scorecards(store, "ttcp-2019").assessment("TTCP-VPTT", "A1")
    assert facts_a1.self_points == Decimal("1.5") and facts_a1.self_source == "facts"
    file = write(
        tmp_path / "a.csv",
        "unit_id,criterion_id,points,reason\nTTCP-VPTT,A1,1.5,\nTTCP-VPTT,A2,0.5,\n",
    )
    with pytest.raises(InputError) as excinfo:
        api.appraise(store, "ttcp-2019", file, who="Tổ thẩm định")
    assert _errors(excinfo) == [
        f"{file}:3: reason: expected the reason why TTCP-VPTT A2 is appraised 0.5, not its "
        "self-score 1 (got none)"
    ]
    file = write(tmp_path / "a.csv", "unit_id,criterion_id,points,reason\nTTCP-VPTT,A2,0.5,Thiếu\n")
    api.appraise(store, "ttcp-2019", file, who="Tổ thẩm định")
    api.publish(store, "ttcp-2019", who="Thư ký")
    api.appeal(store, "ttcp-2019", "TTCP-VPC", who="Vụ Pháp chế", why="Xin phúc khảo")
    with pytest.raises(
        InputError, match="TTCP-VPTT has not appealed: while appealing only appealed units"
    ):
        api.appraise(store, "ttcp-2019", file, who="Tổ thẩm định")


def test_two_appraisers_at_once_one_wins_the_other_gets_a_conflict(
    store: Store, tmp_path: Path
) -> None:
    api.close_collection(store, "ttcp-2019", who="Thư ký")
    mine = write(tmp_path / "mine.csv", "unit_id,criterion_id,points,reason\nTTCP-VPTT,A2,0.5,An\n")
    theirs = write(
        tmp_path / "theirs.csv", "unit_id,criterion_id,points,reason\nTTCP-VPTT,A2,0,Bình\n"
    )
    seen = store.last_event_id("ttcp-2019")
    with Store(store.url) as other:
        api.appraise(other, "ttcp-2019", theirs, who="Bình", based_on=seen)
    with pytest.raises(ConflictError, match=r"changed after event #2.*appraisal_imported by Bình"):
        api.appraise(store, "ttcp-2019", mine, who="An", based_on=seen)
    found = api.campaign_scorecards(store, "ttcp-2019").assessment("TTCP-VPTT", "A2")
    assert (found.appraised_points, found.appraisal_reason) == (Decimal(0), "Bình")


def test_survey_scores_and_raw_answers_by_the_rulesets_rule(tmp_path: Path) -> None:
    rulesets = tmp_path / "rulesets"
    (rulesets / "ttcp").mkdir(parents=True)
    shutil.copy(ROOT / "rulesets/ttcp/2018.toml", rulesets / "ttcp/2018.toml")
    text = (ROOT / "rulesets/ttcp/2019.toml").read_text()
    (rulesets / "ttcp/2019.toml").write_text(
        text
        + """
[[changes]]
op = "set"
id = "A1"
set.evidence = { required = true, min_items = 1 }

[appraisal]
missing_evidence = "zero"
survey.S1 = { answers = "share_satisfied", satisfied_from = 70 }
"""
    )
    store = Store(tmp_path / "cchc.db")
    api.open_campaign(store, "ttcp", "demo", period=2019, who="Thư ký", rulesets_dir=rulesets)
    answers = write(
        tmp_path / "answers.csv",
        "unit_id,criterion_id,answer\n"
        + "".join(f"TTCP-VPTT,S1,{a}\n" for a in (100, 80, 70, 40))
        + "TTCP-BAO,S1,90\n",
    )
    result = api.import_survey(store, "ttcp-2019", answers, who="Tổ khảo sát")
    assert [str(c) for c in result.changes] == [
        "TTCP-BAO S1: no survey → 100",
        "TTCP-VPTT S1: no survey → 75",
    ]
    self_file = write(
        tmp_path / "s.csv",
        "unit_id,criterion_id,points,evidence_title\nTTCP-VPTT,A1,1.5,\nTTCP-VPC,A1,1.5,KH 2019\n",
    )
    (warning,) = api.self_assess(store, "ttcp-2019", self_file, who="VP").warnings
    assert warning == (
        "TTCP-VPTT A1: 1.5 points with 0 evidence item(s); the criterion requires 1 (the "
        "ruleset scores it 0 unless appraised: no_evidence)"
    )
    cards = api.campaign_scorecards(store, "ttcp-2019")
    vptt, vpc = cards.assessment("TTCP-VPTT", "A1"), cards.assessment("TTCP-VPC", "A1")
    assert (vptt.final_points, vptt.final_source, vptt.evidence_missing) == (
        Decimal(0),
        "no_evidence",
        True,
    )
    assert (vpc.final_points, vpc.final_source) == (Decimal("1.5"), "self_assessment")
    lines = cards.explain("TTCP-VPTT", lang="en").explanation.lines
    line = next(found for found in lines if found.id == "A1")
    assert (line.points, line.reason_code) == (Decimal(0), "no_evidence")
    assert line.reason == "Self-score 1.5 without the required evidence: scored 0 points"
    s1 = cards.assessment("TTCP-VPTT", "S1")
    assert s1.self_source == "survey" and s1.final_points == Decimal("3.75")
    score_file = write(
        tmp_path / "score.csv", "unit_id,criterion_id,score\nTTCP-VPTT,A2,10\nTTCP-VPTT,S1,70.25\n"
    )
    with pytest.raises(InputError) as excinfo:
        api.import_survey(store, "ttcp-2019", score_file, who="x")
    assert _errors(excinfo) == [
        f"{score_file}:2: criterion_id: A2 is not a survey criterion (survey criteria: A7, S1)",
        f"{score_file}:3: score: expected a score in steps of 0.1, the precision of the fact "
        "survey_score (got 70.25)",
    ]


def test_a_ruleset_whose_campaign_rules_name_the_wrong_criteria_opens_no_campaign(
    tmp_path: Path,
) -> None:
    rulesets = tmp_path / "rulesets"
    (rulesets / "ttcp").mkdir(parents=True)
    shutil.copy(ROOT / "rulesets/ttcp/2018.toml", rulesets / "ttcp/2018.toml")
    text = (ROOT / "rulesets/ttcp/2019.toml").read_text()
    (rulesets / "ttcp/2019.toml").write_text(
        text + '\n[[changes]]\nop = "set"\nid = "A4"\nset.evidence = { min_items = 2 }\n'
        '\n[appraisal]\nsurvey.A1 = { answers = "mean" }\n'
    )
    store = Store(tmp_path / "cchc.db")
    # Refused where the ruleset is loaded, located in its file (decision 0032), so
    # `cchc rulesets check` and `evaluate` refuse it too, not only a campaign.
    with pytest.raises(RulesetError) as excinfo:
        api.open_campaign(store, "ttcp", "demo", period=2019, who="T", rulesets_dir=rulesets)
    amended, last = rulesets / "ttcp/2019.toml", len(text.splitlines())
    assert str(excinfo.value).splitlines() == [
        f"{amended}:{last + 5}: areas.A.criteria.A4.evidence: expected on scored criteria only",
        f"{amended}:{last + 8}: appraisal.survey.A1: expected a survey criterion "
        "(kind survey_scaled: A7, S1)",
    ]
    with pytest.raises(RulesetError):
        api.load_ruleset("ttcp@2019", rulesets_dir=rulesets)
    assert store.campaigns() == []
