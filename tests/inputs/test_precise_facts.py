"""Facts measured with full float precision: decimal facts of up to 17 digits.

A rate such as 0.8945451761025597 (a survey index computed in a spreadsheet) is read as
the decimal it prints as — from CSV text, from a Parquet or JSON float — and compared
exactly: no tolerance at a band boundary, in either direction.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import tomli_w
from hypothesis import example, given, settings
from hypothesis import strategies as st

import cchc_rules
from cchc_rules.errors import InputError
from cchc_rules.ruleset._compiled import CompiledRuleset
from cchc_rules.ruleset._loading import compile_ruleset

TEXT = {"vi": "x", "en": "x"}


def rate_ruleset(decimals: int) -> CompiledRuleset:
    """A rate from 0 to 1 with ``decimals`` digits, read three ways: a band at 90 % of
    it (``ratio_bands`` over 1), a condition ``rate >= 0.9``, and the rate scaled."""
    data: dict[str, Any] = {
        "ruleset": {
            "family": "rate",
            "version": "1",
            "title": TEXT,
            "status": "draft",
            "legal_basis": {"decision": "1/QĐ", "date": dt.date(2024, 1, 1)},
            "periods": [2024],
            "total_points": Decimal(3),
        },
        "unit_types": {"so": {"name": TEXT, "peer_group": "so"}},
        "facts": {
            "rate": {
                "type": "decimal",
                "decimals": decimals,
                "min": Decimal(0),
                "max": Decimal(1),
                "description": TEXT,
            },
            "one": {"type": "integer", "expr": "1", "description": TEXT},
            "rate_ok": {"type": "boolean", "expr": "rate >= 0.9", "description": TEXT},
        },
        "grading": {"bands": [{"grade": "all", "name": TEXT, "min_index": Decimal(0)}]},
        "ranking": {"peer_groups": {"so": {"name": TEXT}}},
        "areas": [
            {
                "id": "A",
                "name": TEXT,
                "max_points": Decimal(3),
                "criteria": [
                    {
                        "id": "A1",
                        "name": TEXT,
                        "max_points": Decimal(1),
                        "kind": "ratio_bands",
                        "params": {
                            "numerator": "rate",
                            "denominator": "one",
                            "zero_denominator": "not_applicable",
                            "bands": [{"min_percent": Decimal(90), "points": Decimal(1)}],
                        },
                    },
                    {
                        "id": "A2",
                        "name": TEXT,
                        "max_points": Decimal(1),
                        "kind": "flag",
                        "params": {"fact": "rate_ok"},
                    },
                    {
                        "id": "A3",
                        "name": TEXT,
                        "max_points": Decimal(1),
                        "kind": "survey_scaled",
                        "params": {"score": "rate", "scale_max": Decimal(1)},
                    },
                ],
            }
        ],
    }
    return compile_ruleset(
        data, tomli_w.dumps(data), file="rate.toml", registry=cchc_rules.default_registry()
    )


RATES = ["0.8945451761025597", "0.9", "0.8999999999999999", "0.995", "0.30000000000000004"]


def units(rates: list[Any]) -> dict[str, list[Any]]:
    return {
        "unit_id": [f"U{i}" for i in range(len(rates))],
        "name": [f"U{i}" for i in range(len(rates))],
        "unit_type": ["so"] * len(rates),
        "rate": rates,
    }


def read_back(cards: cchc_rules.Scorecards) -> list[Decimal]:
    return [Decimal(str(cards.units.facts["rate"].value(i))) for i in range(len(cards))]


def test_a_rate_reads_the_same_from_text_parquet_and_json(tmp_path: Path) -> None:
    ruleset = rate_ruleset(17)
    text = tmp_path / "units.csv"
    table = units(RATES)
    text.write_text(
        "unit_id,name,unit_type,rate\n"
        + "".join(f"{u},{n},{t},{r}\n" for u, n, t, r in zip(*table.values(), strict=True)),
        encoding="utf-8",
    )
    floats = tmp_path / "units.parquet"
    pq.write_table(pa.table({**table, "rate": [float(r) for r in RATES]}), floats)
    as_json = tmp_path / "units.json"
    rows = [dict(zip(table, values, strict=True)) for values in zip(*table.values(), strict=True)]
    as_json.write_text(json.dumps([{**r, "rate": float(r["rate"])} for r in rows]), "utf-8")
    results = [cchc_rules.evaluate(ruleset, path) for path in (text, floats, as_json)]
    for cards in results:
        assert read_back(cards) == [Decimal(r) for r in RATES]
    first = results[0].to_arrow()
    assert all(cards.to_arrow().equals(first) for cards in results[1:])


def test_a_band_boundary_is_exact_in_both_directions() -> None:
    cards = cchc_rules.evaluate(rate_ruleset(16), pa.table(units([float(r) for r in RATES[:4]])))
    rows = {row["unit_id"]: row for row in cards.to_arrow().to_pylist()}
    # 0.9 as a float is 0.90000000000000002220…, but it prints as 0.9: it is 90 %
    assert (rows["U1"]["A1"], rows["U1"]["A2"]) == (Decimal(1), Decimal(1))
    # one unit in the 16th digit below 90 % earns nothing, and no tolerance rounds it up
    assert (rows["U2"]["A1"], rows["U2"]["A2"]) == (Decimal(0), Decimal(0))
    assert (rows["U0"]["A1"], rows["U0"]["A3"]) == (Decimal(0), Decimal("0.89"))
    assert (rows["U3"]["A1"], rows["U3"]["A3"]) == (Decimal(1), Decimal("1.00"))


def test_a_float_with_more_digits_than_declared_is_refused_by_name() -> None:
    with pytest.raises(InputError) as caught:
        cchc_rules.evaluate(rate_ruleset(16), pa.table(units([0.30000000000000004])))
    assert "rate: expected a number with at most 16 digits after the point" in str(caught.value)
    assert "0.30000000000000004" in str(caught.value)


def _digits(value: float) -> int:
    """Digits after the point of the decimal a float prints as."""
    exponent = Decimal(repr(value)).normalize().as_tuple().exponent
    assert isinstance(exponent, int)  # a finite float's is
    return max(0, -exponent)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=1, max_size=20), st.integers(1, 17))
# two decimals of 17 digits are this one float: the one it prints as is read
@example([0.0672111489376055], 17)
def test_any_float_is_read_as_the_decimal_it_prints_as_or_refused(
    rates: list[float], decimals: int
) -> None:
    ruleset = rate_ruleset(decimals)
    table = pa.table(units(rates))
    if all(_digits(rate) <= decimals for rate in rates):
        cards = cchc_rules.evaluate(ruleset, table)
        assert read_back(cards) == [Decimal(repr(rate)) for rate in rates]
    else:
        # more digits than declared: refused, never rounded to fit
        with pytest.raises(InputError):
            cchc_rules.evaluate(ruleset, table)
