"""Tests of the three providers, written with the author's kit of cchc-rules.

The file name is unique on purpose: the host repository collects these tests beside
its own, and pytest imports test modules of folders without ``__init__.py`` by name.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from cchc_ttcp_criteria import PROVIDERS, DigitalSignatures, Placement, RotationCompliance
from hypothesis import given, settings
from hypothesis import strategies as st

from cchc_rules.testing import (
    bind_provider,
    derive_records,
    params_from_model,
    provider_case_params,
    record_sets,
    run_provider_golden,
)

CASES = Path(__file__).parent / "cases"
UNITS = ["U1", "U2", "U3"]


@pytest.mark.parametrize(("provider_class", "case"), provider_case_params(CASES, PROVIDERS))
def test_golden(provider_class: Any, case: Any) -> None:
    run_provider_golden(provider_class, case)


def test_every_provider_has_golden_cases() -> None:
    covered = {param.values[0] for param in provider_case_params(CASES, PROVIDERS)}
    assert covered == set(PROVIDERS)


# -- properties ---------------------------------------------------------------------------

PEOPLE = [f"P{i}" for i in range(12)]


@st.composite
def rotation_records(draw: st.DrawFn) -> dict[str, pl.DataFrame]:
    schemas = RotationCompliance.record_sets
    people = st.sampled_from(PEOPLE)
    codes = st.sampled_from(["TT", "KT", "VP"])
    roster = draw(
        record_sets(
            schemas["roster"],
            UNITS,
            values={"person_id": people, "position_code": codes},
            dates=(dt.date(2012, 1, 1), dt.date(2024, 12, 31)),
        )
    )
    positions = pl.DataFrame({"position_code": ["TT", "KT"], "field": [None, "ke_toan"]})
    deferrals = draw(
        record_sets(
            schemas["deferrals"],
            UNITS,
            values={
                "person_id": people,
                "reason": st.sampled_from(["maternity", "secondment"]),
            },
            dates=(dt.date(2019, 1, 1), dt.date(2021, 12, 31)),
        )
    )
    return {"roster": roster, "rotating_positions": positions, "deferrals": deferrals}


def _rotation() -> RotationCompliance:
    provider = bind_provider(RotationCompliance, {"periods": {"TT": 3, "ke_toan": 2}})
    assert isinstance(provider, RotationCompliance)
    return provider


@settings(max_examples=25, deadline=None)
@given(records=rotation_records(), seed=st.randoms())
def test_rotation_reordering_records_changes_nothing(records: Any, seed: Any) -> None:
    provider = _rotation()
    before, _ = derive_records(provider, records, UNITS)
    shuffled = {
        role: frame.sample(fraction=1.0, shuffle=True, seed=seed.randint(0, 2**31))
        for role, frame in records.items()
    }
    after, _ = derive_records(provider, shuffled, UNITS)
    assert before.equals(after)


@settings(max_examples=25, deadline=None)
@given(records=rotation_records(), split=st.sets(st.sampled_from(UNITS)))
def test_rotation_on_a_partition_of_units_equals_the_whole(records: Any, split: Any) -> None:
    provider = _rotation()
    whole, _ = derive_records(provider, records, UNITS)
    for part in (sorted(split), sorted(set(UNITS) - split)):
        if not part:
            continue
        # The records of the part's units only, as a per-partition run would read them.
        mine = {
            role: frame.filter(pl.col("unit_id").is_in(part))
            if "unit_id" in frame.columns
            else frame
            for role, frame in records.items()
        }
        derived, _ = derive_records(provider, mine, part)
        assert derived.equals(whole.filter(pl.col("unit_id").is_in(part)))


@settings(max_examples=25, deadline=None)
@given(records=rotation_records())
def test_rotation_shares_stay_within_bounds(records: Any) -> None:
    derived, _ = derive_records(_rotation(), records, UNITS)
    for row in derived.iter_rows(named=True):
        assert 0 <= row["rotated"] <= row["due"]
        if row["due"]:
            assert 0 <= row["rotated"] / row["due"] <= 1


@settings(max_examples=25, deadline=None)
@given(records=rotation_records(), unit=st.sampled_from(UNITS))
def test_adding_a_compliant_person_never_lowers_the_share(records: Any, unit: str) -> None:
    provider = _rotation()
    before, _ = derive_records(provider, records, UNITS)
    # Someone new in a rotating position, not yet due: compliant by definition.
    newcomer = pl.DataFrame(
        {
            "person_id": ["NEW"],
            "unit_id": [unit],
            "position_code": ["TT"],
            "position_start": [dt.date(2020, 6, 1)],
        }
    )
    roster = pl.concat([records["roster"], newcomer], how="diagonal_relaxed")
    after, _ = derive_records(provider, {**records, "roster": roster}, UNITS)
    old = before.filter(pl.col("unit_id") == unit).row(0, named=True)
    new = after.filter(pl.col("unit_id") == unit).row(0, named=True)
    assert (new["due"], new["rotated"]) == (old["due"], old["rotated"])


@settings(max_examples=20, deadline=None)
@given(params=params_from_model(RotationCompliance.Params))
def test_valid_rotation_params_bind(params: dict[str, Any]) -> None:
    if "as_of" in params:
        params["as_of"] = dt.date(2020, 6, 30)
    provider = bind_provider(RotationCompliance, params)
    assert set(provider.outputs()) == {"due", "rotated", "exempt", "deferred", "plan_published"}


@settings(max_examples=25, deadline=None)
@given(
    documents=record_sets(
        DigitalSignatures.record_sets["documents"],
        UNITS,
        values={"signer": st.none() | st.sampled_from(PEOPLE)},
        dates=(dt.date(2019, 11, 1), dt.date(2021, 2, 1)),
        max_size=30,
    )
)
def test_signed_share_within_bounds_and_independent_of_order(documents: Any) -> None:
    provider = bind_provider(DigitalSignatures, {})
    derived, _ = derive_records(provider, {"documents": documents}, UNITS)
    for row in derived.iter_rows(named=True):
        assert 0 <= row["outgoing_signed"] <= row["outgoing"]
    reversed_, _ = derive_records(provider, {"documents": documents.reverse()}, UNITS)
    assert derived.equals(reversed_)


@settings(max_examples=25, deadline=None)
@given(
    roster=record_sets(
        Placement.record_sets["roster"],
        UNITS,
        values={
            "person_id": st.sampled_from(PEOPLE),
            "position_code": st.none() | st.sampled_from(["TT", "VP"]),
            "rank": st.sampled_from(["A", "B"]),
        },
    )
)
def test_placement_never_places_more_than_the_headcount(roster: Any) -> None:
    scheme = pl.DataFrame(
        {
            "unit_id": ["U1", "U1", "U2"],
            "position_code": ["TT", "VP", "TT"],
            "headcount": [2, 1, 1],
            "ranks": ["A;B", "A", "B"],
        }
    )
    provider = bind_provider(Placement, {})
    derived, _ = derive_records(provider, {"roster": roster, "scheme": scheme}, UNITS)
    headcount = {"U1": 3, "U2": 1, "U3": 0}
    for row in derived.iter_rows(named=True):
        assert 0 <= row["placed"] <= min(row["staff"], headcount[row["unit_id"]])
