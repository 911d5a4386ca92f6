"""The built-in kinds: golden cases, then properties over random facts and parameters."""

from __future__ import annotations

import inspect
import textwrap
import tomllib
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cchc_rules.kinds import Batch, CriterionInfo, CriterionKind, FactColumn, FactType
from cchc_rules.scoring._builtin import (
    BUILTIN_KINDS,
    Appraised,
    DeadlineSteps,
    Deduction,
    Flag,
    Proportional,
    RatioBands,
    SurveyScaled,
)
from cchc_rules.scoring._builtin._appraised import AppraisedParams
from cchc_rules.scoring._builtin._deadline_steps import DeadlineStepsParams, LateStep
from cchc_rules.scoring._builtin._deduction import DeductionParams
from cchc_rules.scoring._builtin._flag import FlagParams
from cchc_rules.scoring._builtin._proportional import ProportionalParams
from cchc_rules.scoring._builtin._ratio_bands import RatioBand, RatioBandsParams
from cchc_rules.scoring._builtin._survey_scaled import SurveyScaledParams
from cchc_rules.testing import (
    BadParamsCase,
    KindCase,
    assert_consistent,
    batches,
    bind,
    criteria,
    fact_columns,
    kind_case_params,
    load_cases,
    run_golden,
)

CASES = Path(__file__).resolve().parents[1] / "cases" / "kinds"


@pytest.mark.parametrize(("kind_class", "case"), kind_case_params(CASES, BUILTIN_KINDS))
def test_golden(kind_class: type[CriterionKind[Any]], case: KindCase | BadParamsCase) -> None:
    run_golden(kind_class, case)


# -- the plugin module and the docs --------------------------------------------------------


def test_builtin_plugin_registers_every_kind() -> None:
    from cchc_rules._plugins import PluginInfo, kind_problems, load_plugins
    from cchc_rules.scoring import _builtin as _kinds

    assert _kinds.CCHC_PLUGIN_API == 3
    assert {kind.name for kind in _kinds.cchc_register_kinds()} == {
        "flag",
        "deadline_steps",
        "ratio_bands",
        "proportional",
        "deduction",
        "survey_scaled",
        "appraised",
    }
    for kind in BUILTIN_KINDS:
        assert kind_problems(kind) == []
        assert kind.has_batch_path()
    registry = load_plugins(extra=[(PluginInfo("builtin", None, None, "test"), _kinds)])
    assert set(registry.names()) >= {kind.name for kind in BUILTIN_KINDS}


@pytest.mark.parametrize("kind_class", BUILTIN_KINDS, ids=lambda kind: kind.name)
def test_every_kind_has_a_golden_file_covering_every_reason(
    kind_class: type[CriterionKind[Any]],
) -> None:
    path = CASES / f"{kind_class.name}.toml"
    covered = {case.reason for case in load_cases(path)}
    assert {reason.code for reason in kind_class.reasons} <= covered


@pytest.mark.parametrize("kind_class", BUILTIN_KINDS, ids=lambda kind: kind.name)
def test_docs_come_from_the_code(kind_class: type[CriterionKind[Any]]) -> None:
    doc = inspect.getdoc(kind_class) or ""
    assert set(kind_class.summary) == {"vi", "en"}
    for name, info in kind_class.Params.model_fields.items():
        assert info.description, f"{kind_class.name}.{name} has no description"
    for reason in kind_class.reasons:
        assert reason.vi and reason.en
        assert bool(reason.hint_vi) == bool(reason.hint_en), reason.code
    # The example in the docstring is a valid criterion of this kind.
    example = textwrap.dedent(doc.split("Example::", 1)[1])
    criterion = tomllib.loads(example, parse_float=Decimal)["areas"]["criteria"][0]
    assert criterion["kind"] == kind_class.name
    bind(kind_class, criterion["params"], criterion["max_points"])


# -- properties ------------------------------------------------------------------------------


@st.composite
def _units(draw: st.DrawFn, criterion: CriterionInfo, low: int, high: int) -> Decimal:
    """Points between ``low`` and ``high`` units of the criterion's precision."""
    return Decimal(draw(st.integers(low, high))) / criterion.scale


def _column(values: Sequence[int], fact_type: FactType = "integer", scale: int = 1) -> FactColumn:
    dtype = np.bool_ if fact_type == "boolean" else np.int64
    missing = np.zeros(len(values), dtype=np.bool_)
    return FactColumn(fact_type, np.array(values, dtype=dtype), missing, scale)


def _replace(batch: Batch, name: str, values: Any) -> Batch:
    old = batch[name]
    replaced = np.asarray(values, dtype=old.values.dtype)
    return Batch(
        batch.unit_types,
        {**batch.columns, name: FactColumn(old.type, replaced, old.missing, old.scale)},
    )


Drawn = tuple[CriterionKind[Any], Batch, Batch]
"""A bound kind, a batch of valid facts, and the same batch with every unit better off."""


def _batch(size: int, columns: dict[str, FactColumn]) -> Batch:
    return Batch(np.array(["unit"] * size, dtype=np.object_), columns)


def _sizes() -> st.SearchStrategy[int]:
    return st.integers(1, 25)


@st.composite
def flag_cases(draw: st.DrawFn) -> Drawn:
    criterion = draw(criteria())
    good_when = draw(st.booleans())
    kind = Flag(FlagParams(fact="f", good_when=good_when), criterion)
    values = draw(st.lists(st.booleans(), min_size=1, max_size=25))
    better = (
        [v or draw(st.booleans()) for v in values]
        if good_when
        else [v and draw(st.booleans()) for v in values]
    )
    batch = _batch(len(values), {"f": _column(values, "boolean")})
    return kind, batch, _replace(batch, "f", better)


@st.composite
def deadline_cases(draw: st.DrawFn) -> Drawn:
    criterion = draw(criteria())
    count = draw(st.integers(0, 4)) if criterion.max_units > 0 else 0
    limits = sorted(draw(st.sets(st.integers(1, 60), min_size=count, max_size=count)))
    highest = max(criterion.max_units - 1, 0)
    units = sorted(
        draw(st.lists(st.integers(0, highest), min_size=count, max_size=count)), reverse=True
    )
    steps = [
        LateStep(max_days_late=limit, points=Decimal(unit) / criterion.scale)
        for limit, unit in zip(limits, units, strict=True)
    ]
    open_last = draw(st.booleans())
    if steps and open_last:
        # An open last step: any delay past the others earns its points.
        steps[-1] = LateStep(points=steps[-1].points)
    with_done = draw(st.booleans())
    params = DeadlineStepsParams(days_late="late", done="done" if with_done else None, steps=steps)
    kind = DeadlineSteps(params, criterion)
    size = draw(_sizes())
    days = draw(st.lists(st.integers(-30, 90), min_size=size, max_size=size))
    earlier = [d - draw(st.integers(0, 40)) for d in days]
    columns = {"late": _column(days)}
    if with_done:
        done = draw(st.lists(st.booleans(), min_size=size, max_size=size))
        columns["done"] = _column(done, "boolean")
        # Work not done may leave its delay empty, with a placeholder value.
        empty = np.array([not d and draw(st.booleans()) for d in done], dtype=np.bool_)
        late = columns["late"]
        columns["late"] = FactColumn("integer", np.where(empty, 0, late.values), empty)
        earlier = [0 if e else v for e, v in zip(empty, earlier, strict=True)]
    batch = _batch(size, columns)
    return kind, batch, _replace(batch, "late", earlier)


def _numeric_column(
    draw: st.DrawFn, size: int, low: int, high: int
) -> tuple[FactColumn, list[int]]:
    """An integer or decimal column with values in ``low..high`` (in its own unit)."""
    decimals = draw(st.sampled_from([0, 1, 2, 3]))
    scale = 10**decimals
    raw = draw(st.lists(st.integers(low * scale, high * scale), min_size=size, max_size=size))
    fact_type: FactType = "decimal" if decimals else "integer"
    return _column(raw, fact_type, scale), raw


def _percent(draw: st.DrawFn, low: str, high: str) -> Decimal:
    return draw(st.decimals(Decimal(low), Decimal(high), places=2))


@st.composite
def _ratio_batch(draw: st.DrawFn) -> tuple[Batch, Batch]:
    size = draw(_sizes())
    numerator, raw = _numeric_column(draw, size, 0, 200)
    denominator, _ = _numeric_column(draw, size, 0, 200)
    # Zero denominators often, so that assert_consistent takes the numerator away
    # there (decided_without) on most draws.
    zero = np.array(draw(st.lists(st.booleans(), min_size=size, max_size=size)))
    batch = _batch(size, {"num": numerator, "den": denominator})
    batch = _replace(batch, "den", np.where(zero, 0, denominator.values))
    more = [value + draw(st.integers(0, 500)) for value in raw]
    return batch, _replace(batch, "num", more)


@st.composite
def ratio_bands_cases(draw: st.DrawFn) -> Drawn:
    criterion = draw(criteria())
    count = draw(st.integers(1, 4))
    percents = sorted(
        draw(st.sets(st.decimals(0, 150, places=2), min_size=count, max_size=count)), reverse=True
    )
    units = sorted(
        draw(st.lists(st.integers(0, criterion.max_units), min_size=count, max_size=count)),
        reverse=True,
    )
    bands = [
        RatioBand(min_percent=p, points=Decimal(u) / criterion.scale)
        for p, u in zip(percents, units, strict=True)
    ]
    params = RatioBandsParams(
        numerator="num",
        denominator="den",
        bands=bands,
        zero_denominator=draw(st.sampled_from(["not_applicable", "full_points"])),
    )
    batch, better = draw(_ratio_batch())
    return RatioBands(params, criterion), batch, better


@st.composite
def proportional_cases(draw: st.DrawFn) -> Drawn:
    criterion = draw(criteria())
    params = ProportionalParams(
        numerator="num",
        denominator="den",
        target_percent=_percent(draw, "0.01", "100"),
        zero_denominator=draw(st.sampled_from(["not_applicable", "full_points"])),
    )
    batch, better = draw(_ratio_batch())
    return Proportional(params, criterion), batch, better


@st.composite
def deduction_cases(draw: st.DrawFn) -> Drawn:
    criterion = draw(criteria())
    per_event = draw(_units(criterion, 1, 3 * criterion.max_units + 1))
    params = DeductionParams(
        events="events", points_per_event=per_event, free_events=draw(st.integers(0, 3))
    )
    size = draw(_sizes())
    events = draw(st.lists(st.integers(0, 60), min_size=size, max_size=size))
    fewer = [max(e - draw(st.integers(0, 10)), 0) for e in events]
    batch = _batch(size, {"events": _column(events)})
    return Deduction(params, criterion), batch, _replace(batch, "events", fewer)


@st.composite
def survey_cases(draw: st.DrawFn) -> Drawn:
    criterion = draw(criteria())
    scale_max = draw(st.decimals(Decimal("0.5"), Decimal(1000), places=1))
    params = SurveyScaledParams(score="score", scale_max=scale_max)
    size = draw(_sizes())
    decimals = draw(st.sampled_from([0, 1, 2, 3]))
    scale = 10**decimals
    top = int(scale_max * scale) if decimals else int(scale_max)
    raw = draw(st.lists(st.integers(0, top), min_size=size, max_size=size))
    higher = [min(value + draw(st.integers(0, top)), top) for value in raw]
    column = _column(raw, "decimal" if decimals else "integer", scale)
    batch = _batch(size, {"score": column})
    return SurveyScaled(params, criterion), batch, _replace(batch, "score", higher)


@st.composite
def appraised_cases(draw: st.DrawFn) -> Drawn:
    criterion = draw(criteria())
    params = AppraisedParams(points="points", note="note")
    size = draw(_sizes())
    extra = draw(st.integers(0, 2))
    column_scale = criterion.scale * 10**extra
    top = criterion.max_units
    units = draw(st.lists(st.integers(0, top), min_size=size, max_size=size))
    higher = [min(u + draw(st.integers(0, top)), top) * 10**extra for u in units]
    fact_type: FactType = "decimal" if column_scale > 1 else "integer"
    points = _column([u * 10**extra for u in units], fact_type, column_scale)
    notes = draw(st.lists(st.text(min_size=1).filter(str.strip), min_size=size, max_size=size))
    note = FactColumn("text", np.array(notes, dtype=np.object_), np.zeros(size, dtype=np.bool_))
    batch = _batch(size, {"points": points, "note": note})
    return Appraised(params, criterion), batch, _replace(batch, "points", higher)


KIND_CASES = {
    "flag": flag_cases(),
    "deadline_steps": deadline_cases(),
    "ratio_bands": ratio_bands_cases(),
    "proportional": proportional_cases(),
    "deduction": deduction_cases(),
    "survey_scaled": survey_cases(),
    "appraised": appraised_cases(),
}


def test_every_kind_has_property_strategies() -> None:
    assert set(KIND_CASES) == {kind.name for kind in BUILTIN_KINDS}


@pytest.mark.parametrize("name", sorted(KIND_CASES))
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_valid_params_are_accepted(name: str, data: st.DataObject) -> None:
    kind, _, _ = data.draw(KIND_CASES[name])
    assert kind.check() == []


@pytest.mark.parametrize("name", sorted(KIND_CASES))
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_paths_agree_within_bounds_in_any_order(name: str, data: st.DataObject) -> None:
    kind, batch, _ = data.draw(KIND_CASES[name])
    assert all(not mask.any() for mask, _, _ in kind.input_problems(batch))
    assert_consistent(kind, batch)


@pytest.mark.parametrize("name", sorted(KIND_CASES))
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_better_facts_never_lose_points(name: str, data: st.DataObject) -> None:
    kind, batch, better = data.draw(KIND_CASES[name])
    assert all(not mask.any() for mask, _, _ in kind.input_problems(better))
    before = assert_consistent(kind, batch)
    after = assert_consistent(kind, better)
    for row, (old, new) in enumerate(zip(before, after, strict=True)):
        if old.applicable and new.applicable:
            assert new.points >= old.points, (row, batch.row(row), better.row(row), old, new)


@settings(max_examples=100, deadline=None)
@given(
    batch=batches(
        {
            "num": lambda n: fact_columns("decimal", n, min_value=0, max_value=10**9, decimals=6),
            "den": lambda n: fact_columns("integer", n, min_value=0, max_value=10**12),
        },
        max_size=10,
    ),
    target=st.decimals(Decimal("0.0001"), Decimal(100), places=4),
)
def test_ratios_stay_exact_beyond_int64(batch: Batch, target: Decimal) -> None:
    # Products of large decimal facts and fine percentages pass 2**63: the kinds must
    # switch to exact integers instead of wrapping around.
    criterion = CriterionInfo("T", Decimal("37.5"), 100)
    proportional = Proportional(
        ProportionalParams(
            numerator="num",
            denominator="den",
            target_percent=target,
            zero_denominator="full_points",
        ),
        criterion,
    )
    bands = RatioBands(
        RatioBandsParams(
            numerator="num",
            denominator="den",
            zero_denominator="not_applicable",
            bands=[RatioBand(min_percent=target, points=Decimal(30))],
        ),
        criterion,
    )
    assert_consistent(proportional, batch)
    assert_consistent(bands, batch)


class _Careless(RatioBands):
    """Claims to decide every unit without its numerator, and reads it anyway."""

    def decided_without(self, batch: Batch) -> dict[str, Any]:
        return {"num": np.ones(batch.size, dtype=np.bool_)}


class _CarelessBatchOnly(_Careless):
    score_unit = CriterionKind.score_unit


@pytest.mark.parametrize("careless", [_Careless, _CarelessBatchOnly])
def test_assert_consistent_catches_a_spared_fact_the_kind_still_reads(
    careless: type[_Careless],
) -> None:
    params = RatioBandsParams(
        numerator="num",
        denominator="den",
        zero_denominator="not_applicable",
        bands=[RatioBand(min_percent=Decimal(50), points=Decimal(1))],
    )
    kind = careless(params, CriterionInfo("T", Decimal(1), 100))
    batch = _batch(2, {"num": _column([5, 0]), "den": _column([10, 0])})
    with pytest.raises(AssertionError, match="decided_without spares 'num'"):
        assert_consistent(kind, batch)


def test_empty_batch() -> None:
    criterion = CriterionInfo("T", Decimal(1), 100)
    kind = Deduction(DeductionParams(events="e", points_per_event=Decimal(1)), criterion)
    score = kind.score_batch(_batch(0, {"e": _column([])}))
    assert score.points.shape == (0,)


# -- the public exact-number helpers ------------------------------------------------------


def test_number_text_writes_numbers_as_people_read_them() -> None:
    from fractions import Fraction

    from cchc_rules.kinds import number_text

    assert number_text(Decimal("1.50")) == "1.5"
    assert number_text(Decimal("9E+1")) == "90"
    assert number_text(Decimal("0.0000001")) == "0.0000001"
    assert number_text(Fraction(5, 4)) == "1.25"
    assert number_text(3) == "3"


def test_strict_params_and_number_refuse_what_is_not_an_exact_number() -> None:
    from pydantic import ValidationError

    from cchc_rules.kinds import Number, StrictParams

    class Example(StrictParams):
        share: Number
        count: int = 0

    assert Example.model_validate({"share": Decimal("0.25")}).share == Decimal("0.25")
    for bad in ({"share": "0.25"}, {"share": 0.25}, {"share": True}, {"share": 1, "count": "3"}):
        with pytest.raises(ValidationError):
            Example.model_validate(bad)


def test_param_fields_describe_a_model_once_for_docs_listing_and_loader() -> None:
    from cchc_rules.kinds import fact_fields, param_fields

    fields = {field.name: field for field in param_fields(DeadlineStepsParams)}
    assert fields["days_late"].fact and fields["days_late"].required
    assert fields["done"].fact and fields["done"].default is None
    assert not fields["steps"].fact and fields["steps"].default == []
    assert fact_fields(DeadlineStepsParams) == ["days_late", "done"]
    when = {field.name: field for field in param_fields(LateStep)}["when"]
    assert when.condition and not when.fact
