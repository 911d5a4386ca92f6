"""Properties of a campaign: final = appraised ⊕ self; replay is byte-identical; the order
of independent imports does not matter; an interrupted import leaves the store as it was."""

from __future__ import annotations

import dataclasses
import itertools
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cchc_rules import api
from cchc_rules.store._db import Event, canonical_json, sha256_hex
from cchc_rules.store._ops import CampaignState, Store, score_campaign
from cchc_rules.store._runs import results_document
from cchc_rules.store._schema import blobs, events
from cchc_rules.store._scoring import SURVEY_KIND, Bound
from cchc_rules.store._state import APPRAISED, OPENED, SELF_ASSESSED, Appraisal, SelfScore, fold
from tests.store.conftest import demo_rows

RULESET = api.load_ruleset("ttcp@2019")
UNITS = api.read_with_records(RULESET, api.demo_units_path(RULESET))[0]
UNIT_IDS = [UNITS.unit_id(i) for i in range(len(UNITS))]
TYPES = dict(zip(UNIT_IDS, UNITS.unit_types, strict=True))
PAIRS = [
    (unit, leaf.criterion.id)
    for unit in UNIT_IDS
    for leaf in RULESET.leaves
    if type(leaf.kind).name != SURVEY_KIND
    and (leaf.applies_to is None or TYPES[unit] in leaf.applies_to)
]
PLANNED = [u for u in UNIT_IDS if UNITS.facts["plan_issued"].value(UNITS.position(u))]
"""Units whose plan was issued: a plan not issued cannot be late."""
MAXIMA = {leaf.criterion.id: leaf.criterion.max_points for leaf in RULESET.leaves}


def _state(**changes: object) -> CampaignState:
    state = CampaignState(
        name="ttcp-2019",
        family="ttcp",
        period=2019,
        ruleset_ref=RULESET.ref,
        content_hash=RULESET.content_hash,
        reason="test",
        ruleset_sha256="",
        units_name="demo",
        units_sha256="",
        unit_ids=tuple(UNIT_IDS),
        opened_by="t",
        opened_at="t",
    )
    return dataclasses.replace(state, **changes)


FROM_FACTS = score_campaign(Bound(_state(), RULESET, UNITS, UNITS))
APPLICABLE = [pair for pair in PAIRS if FROM_FACTS.assessment(*pair).final_points is not None]
"""Pairs an appraisal may name: the criterion applies to the unit (conditions included)."""


@st.composite
def points(draw: st.DrawFn, criterion: str) -> Decimal:
    hundredths = draw(st.integers(0, int(MAXIMA[criterion] * 100)))
    return Decimal(hundredths) / 100


@st.composite
def claims(
    draw: st.DrawFn, max_size: int = 12, pairs: list[tuple[str, str]] = PAIRS
) -> dict[tuple[str, str], Decimal]:
    keys = draw(st.lists(st.sampled_from(pairs), max_size=max_size, unique=True))
    return {key: draw(points(key[1])) for key in keys}


@settings(max_examples=25, deadline=None)
@given(claimed=claims(), appraised=claims())
def test_final_is_appraised_where_given_else_the_self_score(
    claimed: dict[tuple[str, str], Decimal], appraised: dict[tuple[str, str], Decimal]
) -> None:
    state = _state(
        self_scores={k: SelfScore(v, (), 2) for k, v in claimed.items()},
        appraisals={k: Appraisal(v, "r", 3, "t") for k, v in appraised.items()},
    )
    cards = score_campaign(Bound(state, RULESET, UNITS, UNITS))
    table = cards.scorecards.to_arrow().to_pylist()
    for position, unit in enumerate(UNIT_IDS):
        for leaf in RULESET.leaves:
            key = (unit, leaf.criterion.id)
            found = cards.assessment(*key)
            if found.final_points is None:  # not applicable: nothing counts
                assert table[position][key[1]] is None
                continue
            expected_self = claimed.get(key, FROM_FACTS.assessment(*key).self_points)
            assert found.self_points == expected_self
            assert found.final_points == appraised.get(key, expected_self)
            assert table[position][key[1]] == found.final_points


def _event(number: int, kind: str, payload: dict[str, object]) -> Event:
    text = canonical_json(payload)
    # Folding reads no chain link: these events never pass through a store.
    return Event(
        number, "ttcp-2019", number - 1, kind, "t", "t", None, text, sha256_hex(text.encode()), ""
    )


OPENING = _event(
    1,
    OPENED,
    {
        "family": "ttcp",
        "period": 2019,
        "ruleset": {
            "ref": RULESET.ref,
            "content_hash": RULESET.content_hash,
            "reason": "r",
            "sha256": "x",
        },
        "units": {"name": "demo", "sha256": "y", "unit_ids": UNIT_IDS},
    },
)


def _import(kind: str, rows: dict[tuple[str, str], Decimal]) -> dict[str, object]:
    extra = {"evidence": []} if kind == SELF_ASSESSED else {"reason": "r"}
    return {
        "campaign": "ttcp-2019",
        "source": {"name": "f.csv", "sha256": "z"},
        "rows": [{"unit": u, "criterion": c, "points": p, **extra} for (u, c), p in rows.items()],
    }


@st.composite
def independent_imports(draw: st.DrawFn) -> list[tuple[str, dict[tuple[str, str], Decimal]]]:
    """Two to four imports of self-scores or appraisals, no two touching the same pair."""
    keys = draw(st.lists(st.sampled_from(PAIRS), min_size=2, max_size=16, unique=True))
    cuts = sorted(draw(st.lists(st.integers(1, len(keys) - 1), min_size=1, max_size=3)))
    parts = [keys[a:b] for a, b in itertools.pairwise([0, *cuts, len(keys)]) if keys[a:b]]
    return [
        (draw(st.sampled_from([SELF_ASSESSED, APPRAISED])), {k: draw(points(k[1])) for k in part})
        for part in parts
    ]


@settings(max_examples=20, deadline=None)
@given(imports=independent_imports(), data=st.data())
def test_the_order_of_independent_imports_does_not_change_the_final_state(
    imports: list[tuple[str, dict[tuple[str, str], Decimal]]], data: st.DataObject
) -> None:
    def folded(order: list[int]) -> tuple[CampaignState, str]:
        history = [OPENING] + [
            _event(n + 2, imports[i][0], _import(*imports[i])) for n, i in enumerate(order)
        ]
        state = fold(history)
        results = canonical_json(
            results_document(score_campaign(Bound(state, RULESET, UNITS, UNITS)))
        )
        return state, results

    first, first_results = folded(list(range(len(imports))))
    shuffled = data.draw(st.permutations(range(len(imports))))
    other, other_results = folded(list(shuffled))
    assert {k: v.points for k, v in first.self_scores.items()} == {
        k: v.points for k, v in other.self_scores.items()
    }
    assert {k: v.points for k, v in first.appraisals.items()} == {
        k: v.points for k, v in other.appraisals.items()
    }
    assert first_results == other_results


@settings(
    max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    claimed=claims(max_size=6),
    appraised=claims(max_size=4, pairs=APPLICABLE),
    late=st.dictionaries(st.sampled_from(PLANNED), st.integers(0, 40), max_size=4),
)
def test_replay_of_a_run_is_byte_identical(
    tmp_path_factory: pytest.TempPathFactory,
    claimed: dict[tuple[str, str], Decimal],
    appraised: dict[tuple[str, str], Decimal],
    late: dict[str, int],
) -> None:
    directory = tmp_path_factory.mktemp("replay")
    # Self-assessed facts too: units that say how late their plan was.
    facts_file = demo_rows(
        directory / "facts.csv", {u: {"plan_days_late": str(days)} for u, days in late.items()}
    )
    self_file = directory / "self.csv"
    self_file.write_text(
        "unit_id,criterion_id,points\n" + "".join(f"{u},{c},{p}\n" for (u, c), p in claimed.items())
    )
    appraisal = directory / "appraisal.csv"
    appraisal.write_text(
        "unit_id,criterion_id,points,reason\n"
        + "".join(f"{u},{c},{p},lý do\n" for (u, c), p in appraised.items())
    )
    with Store(directory / "cchc.db") as store:
        api.open_campaign(store, "ttcp", "demo", period=2019, who="t")
        api.self_assess(store, "ttcp-2019", self_file, who="t")
        api.self_assess(store, "ttcp-2019", facts_file, who="t", facts=True)
        api.close_collection(store, "ttcp-2019", who="t")
        api.appraise(store, "ttcp-2019", appraisal, who="t")
        record = api.publish(store, "ttcp-2019", who="t")
        replayed = canonical_json(
            results_document(api.campaign_scorecards(store, "ttcp-2019", run=record.id))
        )
        assert replayed == record.results
        assert api.verify_run(store, record.id).identical


def test_an_interrupted_import_leaves_the_store_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(tmp_path / "cchc.db")
    api.open_campaign(store, "ttcp", "demo", period=2019, who="t")
    file = tmp_path / "self.csv"
    file.write_text("unit_id,criterion_id,points\nTTCP-VPTT,A1,1\n")
    before = store.events()
    with store.engine.connect() as connection:
        stored = connection.execute(sa.select(sa.func.count()).select_from(blobs)).scalar()

    def interrupted() -> sa.Insert:
        raise KeyboardInterrupt

    # The file's blob is written first, then the event: the interruption comes between.
    monkeypatch.setattr(events, "insert", interrupted)
    with pytest.raises(KeyboardInterrupt):
        api.self_assess(store, "ttcp-2019", file, who="t")
    monkeypatch.undo()
    assert store.events() == before
    with store.engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(blobs)).scalar() == stored
    assert api.campaign_state(store, "ttcp-2019").self_scores == {}
    assert api.self_assess(store, "ttcp-2019", file, who="t").event is not None
