"""The published arithmetic (``[scoring]``) against an independent exact implementation.

The oracle below is written from the procedure the ruleset format documents, with
``fractions.Fraction`` and nothing of the engine: criteria rounded half-up to the
points' precision (``per_criterion``) or to ``working_decimals`` (``per_area`` /
``total_only``), areas or the total rounded half-up to ``points_decimals``, the index
shown with ``index_decimals`` rounded by ``index_rounding``, grades and ranks on the
exact ratio or on the displayed index.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from rich.console import Console

import cchc_rules
from cchc_rules import api
from cchc_rules.evaluation._stream import evaluate_dataset
from cchc_rules.reports._table import scorecards_table
from cchc_rules.reports._terminal import ranked_tables
from cchc_rules.reports._terminal_rulesets import ruleset_tree
from cchc_rules.reports._xlsx import table_xlsx
from cchc_rules.results._collation import vietnamese_key
from cchc_rules.ruleset._compiled import CompiledRuleset
from cchc_rules.ruleset._diff import diff_rulesets
from cchc_rules.ruleset._loading import compile_ruleset, load_ruleset_file
from cchc_rules.ruleset._models import Scoring
from cchc_rules.scoring._arithmetic import divide

TEXT = {"vi": "x", "en": "x"}
MODES = ("truncate", "half_up", "half_even")


# -- the oracle ------------------------------------------------------------------------------


def half_up(value: Fraction, decimals: int) -> Fraction:
    """Non-negative ``value`` rounded half-up to ``decimals`` digits."""
    scale = 10**decimals
    return Fraction(math.floor(value * scale + Fraction(1, 2)), scale)


def shown(value: Fraction, decimals: int, mode: str) -> Fraction:
    """A non-negative percentage as displayed with ``decimals`` digits."""
    scale = 10**decimals
    if mode == "truncate":
        return Fraction(math.floor(value * scale), scale)
    if mode == "half_up":
        return half_up(value, decimals)
    # Python rounds a Fraction exactly half-way to the even neighbour.
    return Fraction(round(value * scale), scale)


@dataclass(frozen=True)
class Leaf:
    id: str
    area: str
    max_points: Decimal
    scale_max: int | None
    """None: a flag (full points or none); else a survey score scaled to the maximum."""


@dataclass(frozen=True)
class Expected:
    total: Fraction
    applicable_max: Fraction
    index: Fraction | None
    grade: str | None
    key: Fraction | None
    areas: dict[str, Fraction]
    area_indexes: dict[str, Fraction | None]
    criteria: dict[str, Fraction | None]


def oracle(
    leaves: Sequence[Leaf],
    facts: dict[str, Any],
    scoring: dict[str, Any],
    points_decimals: int,
    bands: Sequence[tuple[str, Decimal]],
) -> Expected:
    """One unit's result under the declared procedure, in exact fractions."""
    where = scoring.get("points_rounding", "per_criterion")
    late = where != "per_criterion"
    leaf_decimals = scoring.get("working_decimals", 6) if late else points_decimals
    k = scoring.get("index_decimals", 2)
    mode = scoring.get("index_rounding", "truncate")
    criteria: dict[str, Fraction | None] = {}
    area_points: dict[str, Fraction] = {}
    area_max: dict[str, Fraction] = {}
    for leaf in leaves:
        area_points.setdefault(leaf.area, Fraction(0))
        area_max.setdefault(leaf.area, Fraction(0))
        value = facts[leaf.id]
        if value is None:
            criteria[leaf.id] = None  # missing → not applicable (when_missing)
            continue
        maximum = Fraction(leaf.max_points)
        if leaf.scale_max is None:
            exact = maximum if value else Fraction(0)
        else:
            exact = maximum * Fraction(value) / leaf.scale_max
        points = half_up(exact, leaf_decimals)
        criteria[leaf.id] = points
        area_points[leaf.area] += points
        area_max[leaf.area] += maximum
    if where == "per_area":
        area_points = {a: half_up(p, points_decimals) for a, p in area_points.items()}
    total = sum(area_points.values(), Fraction(0))
    if where == "total_only":
        total = half_up(total, points_decimals)
    applicable_max = sum(area_max.values(), Fraction(0))
    area_indexes = {
        a: shown(area_points[a] / area_max[a] * 100, k, mode) if area_max[a] else None
        for a in area_points
    }
    if not applicable_max:
        return Expected(
            total, applicable_max, None, None, None, area_points, area_indexes, criteria
        )
    exact_index = total / applicable_max * 100
    index = shown(exact_index, k, mode)
    graded = index if scoring.get("grade_basis") == "displayed" else exact_index
    grade = next(g for g, threshold in bands if graded >= Fraction(threshold))
    key = index if scoring.get("rank_basis") == "displayed" else exact_index
    return Expected(total, applicable_max, index, grade, key, area_points, area_indexes, criteria)


def ranks(keys: dict[str, Fraction | None], ties: str) -> dict[str, int | None]:
    """Rank high to low: ``shared`` skips after a tie, ``dense`` does not."""
    present = [key for key in keys.values() if key is not None]
    result: dict[str, int | None] = {}
    for unit, key in keys.items():
        if key is None:
            result[unit] = None
        elif ties == "shared":
            result[unit] = 1 + sum(1 for other in present if other > key)
        else:
            result[unit] = 1 + len({other for other in present if other > key})
    return result


# -- rulesets and units ------------------------------------------------------------------------


def ruleset_data(
    leaves: Sequence[Leaf],
    scoring: dict[str, Any] | None,
    points_decimals: int,
    bands: Sequence[tuple[str, Decimal]],
    ties: str = "shared",
) -> dict[str, Any]:
    areas: dict[str, list[dict[str, Any]]] = {}
    facts: dict[str, Any] = {}
    for leaf in leaves:
        criterion: dict[str, Any] = {
            "id": leaf.id,
            "name": TEXT,
            "max_points": leaf.max_points,
            "when_missing": "not_applicable",
        }
        fact = leaf.id.lower().replace(".", "_")
        if leaf.scale_max is None:
            criterion |= {"kind": "flag", "params": {"fact": fact}}
            facts[fact] = {"type": "boolean", "description": TEXT, "required": False}
        else:
            criterion |= {
                "kind": "survey_scaled",
                "params": {"score": fact, "scale_max": leaf.scale_max},
            }
            facts[fact] = {
                "type": "decimal",
                "decimals": 2,
                "description": TEXT,
                "required": False,
            }
        areas.setdefault(leaf.area, []).append(criterion)
    area_tables = [
        {
            "id": area,
            "name": TEXT,
            "max_points": sum((c["max_points"] for c in criteria), Decimal(0)),
            "criteria": criteria,
        }
        for area, criteria in areas.items()
    ]
    data: dict[str, Any] = {
        "ruleset": {
            "family": "arith",
            "version": "1",
            "title": TEXT,
            "status": "draft",
            "legal_basis": {"decision": "1/QĐ", "date": dt.date(2024, 1, 1)},
            "periods": [2024],
            "total_points": sum((a["max_points"] for a in area_tables), Decimal(0)),
            "points_decimals": points_decimals,
        },
        "unit_types": {"a": {"name": TEXT, "peer_group": "g"}},
        "facts": facts,
        "grading": {
            "bands": [
                {"grade": grade, "name": TEXT, "min_index": threshold} for grade, threshold in bands
            ]
        },
        "ranking": {"peer_groups": {"g": {"name": TEXT}}, "ties": ties},
        "areas": area_tables,
    }
    if scoring is not None:
        data["scoring"] = scoring
    return data


def compile_data(data: dict[str, Any]) -> CompiledRuleset:
    return compile_ruleset(
        data, tomli_w.dumps(data), file="arith.toml", registry=cchc_rules.default_registry()
    )


def units_table(leaves: Sequence[Leaf], units: Sequence[dict[str, Any]]) -> pa.Table:
    columns: dict[str, Any] = {
        "unit_id": [f"U{i:03d}" for i in range(len(units))],
        "name": [f"Đơn vị {i}" for i in range(len(units))],
        "unit_type": ["a"] * len(units),
    }
    for leaf in leaves:
        fact = leaf.id.lower().replace(".", "_")
        values = [unit[leaf.id] for unit in units]
        if leaf.scale_max is None:
            columns[fact] = pa.array(values, pa.bool_())
        else:
            columns[fact] = pa.array(values, pa.decimal128(12, 2))
    return pa.table(columns)


# -- strategies ------------------------------------------------------------------------------


@st.composite
def scorings(draw: st.DrawFn, points_decimals: int) -> dict[str, Any] | None:
    if draw(st.booleans()) and draw(st.booleans()):
        return None  # no [scoring]: today's arithmetic
    scoring: dict[str, Any] = {
        "index_decimals": draw(st.integers(0, 4)),
        "index_rounding": draw(st.sampled_from(MODES)),
        "points_rounding": draw(st.sampled_from(["per_criterion", "per_area", "total_only"])),
        "grade_basis": draw(st.sampled_from(["exact", "displayed"])),
        "rank_basis": draw(st.sampled_from(["exact", "displayed"])),
    }
    if scoring["points_rounding"] != "per_criterion" and draw(st.booleans()):
        scoring["working_decimals"] = draw(st.integers(points_decimals, 8))
    return scoring


@st.composite
def cases(draw: st.DrawFn) -> tuple[list[Leaf], dict[str, Any] | None, int, list[Any], list[Any]]:
    points_decimals = draw(st.integers(0, 3))
    step = Decimal(1).scaleb(-points_decimals)
    leaves = []
    for number in range(draw(st.integers(1, 7))):
        area = draw(st.sampled_from(["A", "B", "C"]))
        # Small maxima, often repeated, so totals meet at exact halves and ties.
        max_points = draw(st.sampled_from([1, 2, 3, 5, 7, 25])) * step
        scale_max = draw(st.sampled_from([None, 3, 7, 100]))
        leaves.append(Leaf(f"{area}{number}", area, max_points, scale_max))
    leaves.sort(key=lambda leaf: leaf.area)
    thresholds = sorted(
        {Decimal(draw(st.integers(1, 99999))) / 1000 for _ in range(draw(st.integers(0, 3)))},
        reverse=True,
    )
    bands = [(f"g{i}", t) for i, t in enumerate(thresholds)] + [("last", Decimal(0))]
    units = []
    for _ in range(draw(st.integers(1, 12))):
        unit: dict[str, Any] = {}
        for leaf in leaves:
            if draw(st.integers(0, 9)) == 0:
                unit[leaf.id] = None
            elif leaf.scale_max is None:
                unit[leaf.id] = draw(st.booleans())
            else:
                unit[leaf.id] = Decimal(draw(st.integers(0, leaf.scale_max * 100))) / 100
        units.append(unit)
    return leaves, draw(scorings(points_decimals)), points_decimals, bands, units


# -- the properties --------------------------------------------------------------------------


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases(), st.sampled_from(["shared", "dense"]))
def test_every_mode_matches_the_exact_procedure(case: Any, ties: str) -> None:
    leaves, scoring, points_decimals, bands, units = case
    ruleset = compile_data(ruleset_data(leaves, scoring, points_decimals, bands, ties))
    cards = cchc_rules.evaluate(ruleset, units_table(leaves, units))
    rows = {row["unit_id"]: row for row in cards.to_arrow().to_pylist()}
    expected = {
        f"U{i:03d}": oracle(leaves, unit, scoring or {}, points_decimals, bands)
        for i, unit in enumerate(units)
    }
    expected_ranks = ranks({u: e.key for u, e in expected.items()}, ties)
    for unit_id, want in expected.items():
        row = rows[unit_id]
        assert Fraction(row["total"]) == want.total, unit_id
        assert Fraction(row["applicable_max"]) == want.applicable_max
        assert (None if row["index"] is None else Fraction(row["index"])) == want.index
        assert row["grade"] == want.grade
        assert row["rank"] == expected_ranks[unit_id]
        assert row["status"] == ("scored" if want.index is not None else "nothing_applicable")
        for area, points in want.areas.items():
            assert Fraction(row[f"area:{area}"]) == points
            shown_index = row[f"area:{area}:index"]
            assert (None if shown_index is None else Fraction(shown_index)) == (
                want.area_indexes[area]
            )
        for criterion, points in want.criteria.items():
            assert (None if row[criterion] is None else Fraction(row[criterion])) == points


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.integers(0, 10**12), min_size=1, max_size=20),
    st.integers(1, 10**6),
    st.sampled_from(MODES),
)
def test_divide_rounds_like_fractions(numerators: list[int], denominator: int, mode: str) -> None:
    # Exact halves are the interesting case: make some numerators land on one.
    numerators += [(2 * n + 1) * denominator // 2 for n in numerators if denominator % 2 == 0]
    got = divide(np.asarray(numerators, dtype=np.int64), denominator, mode)  # type: ignore[arg-type]
    want = [shown(Fraction(n, denominator), 0, mode) for n in numerators]
    assert [Fraction(int(g)) for g in got] == want


HALF_WAY = [
    Leaf("A1", "A", Decimal("179.97"), None),
    Leaf("A2", "A", Decimal("0.02"), None),
    Leaf("A3", "A", Decimal("20.01"), None),
]
# Of 200 points: 179.99 is 89.995 %, 179.97 is 89.985 %, exactly.
HALF_WAY_UNITS = [
    {"A1": True, "A2": True, "A3": False},
    {"A1": True, "A2": False, "A3": False},
]
TOP_AT_90 = [("top", Decimal(90)), ("rest", Decimal(0))]


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("truncate", ["89.99", "89.98"]),
        ("half_up", ["90.00", "89.99"]),
        ("half_even", ["90.00", "89.98"]),
    ],
)
def test_index_at_exactly_half_a_hundredth(mode: str, expected: list[str]) -> None:
    data = ruleset_data(HALF_WAY, {"index_rounding": mode}, 2, TOP_AT_90)
    cards = cchc_rules.evaluate(compile_data(data), units_table(HALF_WAY, HALF_WAY_UNITS))
    assert [str(v) for v in cards.to_arrow().column("index").to_pylist()] == expected


@pytest.mark.parametrize(("basis", "grade"), [("exact", "rest"), ("displayed", "top")])
def test_grade_basis_decides_a_unit_shown_at_the_threshold(basis: str, grade: str) -> None:
    scoring = {"index_rounding": "half_up", "grade_basis": basis}
    data = ruleset_data(HALF_WAY, scoring, 2, TOP_AT_90)
    cards = cchc_rules.evaluate(compile_data(data), units_table(HALF_WAY, HALF_WAY_UNITS[:1]))
    row = cards.to_arrow().to_pylist()[0]
    assert (str(row["index"]), row["grade"]) == ("90.00", grade)


# -- the ruleset: hash, amendments, diff -------------------------------------------------------

RULESETS = Path(__file__).resolve().parents[1] / "rulesets"


def test_a_ruleset_without_scoring_hashes_as_before() -> None:
    # The lock verifies the bundled hashes; here the reason: no key, not a default table.
    compiled = cchc_rules.load_ruleset("ttcp@2018")
    assert compiled.model.scoring is None
    assert "scoring" not in compiled.model.model_dump(mode="json", exclude_none=True)
    assert compiled.arithmetic == Scoring()
    assert compiled.criterion_scale == compiled.scale == 100


def test_an_amendment_sets_scoring_and_diff_shows_it() -> None:
    registry = cchc_rules.default_registry()
    amendments = RULESETS / "amendments"
    base = load_ruleset_file(amendments / "amend" / "base.toml", registry=registry)
    amended = load_ruleset_file(
        amendments / "valid" / "scoring.toml", registry=registry, rulesets_dir=amendments
    )
    assert amended.arithmetic.points_rounding == "total_only"
    assert amended.criterion_scale == 10_000 and amended.scale == 100
    changes = {
        c.field: (c.before, c.after) for c in diff_rulesets(base.model, amended.model).settings
    }
    assert changes["scoring.index_rounding"] == ("truncate", "half_up")
    assert changes["scoring.index_decimals"] == (2, 3)
    assert changes["scoring.working_decimals"] == (None, 4)
    assert changes["scoring.rank_basis"] == ("exact", "displayed")
    assert "scoring.grade_basis" not in changes  # the default, both sides
    meta = {c.field for c in diff_rulesets(base.model, amended.model).meta}
    assert {"total_points_note.vi", "total_points_note.en"} <= meta


# -- outputs -----------------------------------------------------------------------------------


def test_total_only_shows_criteria_as_added_and_rounds_only_the_total() -> None:
    # Three thirds of a point: 0.3333 + 0.3333 + 0.3333 = 0.9999 → 1.00 only as a total.
    leaves = [Leaf(f"A{i}", "A", Decimal(1), 3) for i in range(3)]
    scoring = {"points_rounding": "total_only", "working_decimals": 4}
    data = ruleset_data(leaves, scoring, 2, TOP_AT_90)
    units = [{leaf.id: Decimal(1) for leaf in leaves}]
    table = cchc_rules.evaluate(compile_data(data), units_table(leaves, units)).to_arrow()
    row = table.to_pylist()[0]
    assert [str(row[leaf.id]) for leaf in leaves] == ["0.3333"] * 3
    assert table.schema.field("A0").type == pa.decimal64(18, 4)
    assert (str(row["area:A"]), str(row["total"]), str(row["index"])) == ("0.9999", "1.00", "33.33")


def test_index_columns_carry_the_declared_digits() -> None:
    leaves = [Leaf("A1", "A", Decimal(3), 100), Leaf("B1", "B", Decimal(3), 100)]
    data = ruleset_data(leaves, {"index_decimals": 3, "index_rounding": "half_up"}, 2, TOP_AT_90)
    units = [{"A1": Decimal("91.65"), "B1": Decimal("91.66")}]
    table = cchc_rules.evaluate(compile_data(data), units_table(leaves, units)).to_arrow()
    for column in ("index", "area:A:index", "area:B:index"):
        assert table.schema.field(column).type == pa.decimal64(18, 3)
    row = table.to_pylist()[0]
    # 2.75 + 2.75 (2.7495 rounds half-up to 2.75 per criterion) of 6
    assert (str(row["total"]), str(row["index"])) == ("5.50", "91.667")


def test_status_says_why_a_unit_has_no_index() -> None:
    leaves = [Leaf("A1", "A", Decimal(1), None)]
    data = ruleset_data(leaves, None, 2, TOP_AT_90)
    cards = cchc_rules.evaluate(
        compile_data(data), units_table(leaves, [{"A1": None}, {"A1": True}])
    )
    assert cards.to_arrow().column("status").to_pylist() == ["nothing_applicable", "scored"]
    nothing = cards.explain("U000", lang="en")
    assert (nothing.status, nothing.index, nothing.grade, nothing.rank) == (
        "nothing_applicable",
        None,
        None,
        None,
    )
    assert nothing.status_reason == (
        "None of the criteria applies to this unit, so it has no index, grade or rank"
    )
    assert cards.explain("U001", lang="vi").status_reason == ""
    assert "Không tiêu chí nào áp dụng" in cards.explain("U000", lang="vi").status_reason
    shown_table = Console(width=120, record=True)
    shown_table.print(ranked_tables(cards, "en"))
    text = shown_table.export_text()
    assert "│ nothing applies │" in text  # in the grade column, not a bare dash
    assert "nothing applies — None of the criteria applies to this unit" in text


def test_units_sharing_a_rank_are_listed_by_vietnamese_name() -> None:
    leaves = [Leaf("A1", "A", Decimal(1), None)]
    data = ruleset_data(leaves, {"tie_order": "name"}, 2, TOP_AT_90)
    names = ["Vụ Pháp chế", "Đoàn kiểm tra", "Ban Tiếp công dân", "Cục I", "Văn phòng"]
    table = units_table(leaves, [{"A1": True}] * 5).set_column(1, "name", pa.array(names))
    cards = cchc_rules.evaluate(compile_data(data), table)
    listed = [names[i] for i in cards.ranked_order()]
    # Đ right after D (not after Z, as code points would put it); ă before u
    assert listed == ["Ban Tiếp công dân", "Cục I", "Đoàn kiểm tra", "Văn phòng", "Vụ Pháp chế"]


def test_vietnamese_order_of_letters_then_tones() -> None:
    words = ["ư", "u", "ơ", "ô", "o", "đ", "d", "ê", "e", "â", "ă", "a", "ạ", "á", "ã", "ả", "à"]
    assert sorted(words, key=vietnamese_key) == [
        "a", "à", "ả", "ã", "á", "ạ", "ă", "â", "d", "đ", "e", "ê", "o", "ô", "ơ", "u", "ư",
    ]  # fmt: skip
    # tones only decide between names whose letters are alike
    assert sorted(["Hà Nội", "Ha Long", "Hà Giang", "Hạ Long"], key=vietnamese_key) == [
        "Hà Giang", "Ha Long", "Hạ Long", "Hà Nội"
    ]  # fmt: skip


def test_streaming_ranks_on_the_displayed_index_like_the_whole_table(tmp_path: Path) -> None:
    leaves = [Leaf(f"A{i}", "A", Decimal(7), 3) for i in range(4)]
    scoring = {
        "index_decimals": 1,
        "index_rounding": "half_even",
        "points_rounding": "total_only",
        "rank_basis": "displayed",
        "tie_order": "name",
    }
    data = ruleset_data(leaves, scoring, 2, TOP_AT_90, ties="dense")
    ruleset = compile_data(data)
    units = [
        {leaf.id: Decimal((7 * n + i) % 301) / 100 for i, leaf in enumerate(leaves)}
        for n in range(60)
    ]
    table = units_table(leaves, units)
    dataset = tmp_path / "units"
    dataset.mkdir()
    for part in range(3):
        pq.write_table(table.slice(part * 20, 20), dataset / f"{part}.parquet", row_group_size=7)
    output = tmp_path / "out.parquet"
    evaluate_dataset(ruleset, dataset, output, piece_rows=9)
    whole = cchc_rules.evaluate(ruleset, table).to_arrow()
    assert pq.read_table(output).equals(whole)
    shown_alike = {}
    for row in whole.to_pylist():
        shown_alike.setdefault(row["index"], set()).add(row["rank"])
    assert all(len(ranks) == 1 for ranks in shown_alike.values())
    assert len(shown_alike) < len(units)  # there were ties to share


def test_compare_takes_the_index_change_at_the_finer_digits() -> None:
    leaves = [Leaf("A1", "A", Decimal(3), 100)]
    units = units_table(leaves, [{"A1": Decimal("91.65")}])
    two = compile_data(ruleset_data(leaves, None, 2, TOP_AT_90))
    three = compile_data(ruleset_data(leaves, {"index_decimals": 3}, 2, TOP_AT_90))
    row = api.compare(two, three, units).to_arrow().to_pylist()[0]
    # 2.75 of 3 points = 91.6666… %: 91.66 truncated to two digits, 91.666 to three
    assert (str(row["index_before"]), str(row["index_after"])) == ("91.66", "91.666")
    assert str(row["index_change"]) == "0.006"


def test_xlsx_shows_each_decimal_column_with_its_own_digits() -> None:
    leaves = [Leaf("A1", "A", Decimal(3), 100)]
    scoring = {"index_decimals": 3, "points_rounding": "total_only", "working_decimals": 4}
    cards = cchc_rules.evaluate(
        compile_data(ruleset_data(leaves, scoring, 2, TOP_AT_90)),
        units_table(leaves, [{"A1": Decimal("91.65")}]),
    )
    sheet = load_workbook(io.BytesIO(table_xlsx(scorecards_table(cards, "en")))).active
    assert sheet is not None
    header = [cell.value for cell in sheet[3]]
    formats = {name: sheet.cell(4, column + 1).number_format for column, name in enumerate(header)}
    assert (formats["total"], formats["index"], formats["A1"]) == ("0.00", "0.000", "0.0000")


def test_the_resolved_form_of_a_scoring_amendment_loads_back_as_itself(tmp_path: Path) -> None:
    amendments = RULESETS / "amendments"
    amended = load_ruleset_file(
        amendments / "valid" / "scoring.toml",
        registry=cchc_rules.default_registry(),
        rulesets_dir=amendments,
    )
    resolved = tmp_path / "resolved.toml"
    resolved.write_text(api.resolved_text(amended), encoding="utf-8")
    again = load_ruleset_file(resolved, registry=cchc_rules.default_registry())
    assert again.content_hash == amended.content_hash
    assert again.arithmetic == amended.arithmetic


def test_the_tree_says_why_the_areas_add_up_to_less() -> None:
    compiled = load_ruleset_file(
        RULESETS / "valid" / "total_points_note.toml", registry=cchc_rules.default_registry()
    )
    console = Console(width=200, record=True)
    console.print(ruleset_tree(compiled, "en"))
    assert "Σ 1 < 2: Criterion A2 (1 point) was repealed" in console.export_text()
