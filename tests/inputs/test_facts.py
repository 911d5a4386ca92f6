"""Reading units and facts: every bad input located (file:row: column: message), all at
once, from every source format; valid input read to exact scaled integers."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cchc_rules import InputError, Ruleset
from cchc_rules.inputs._units import read_units


def _text(vi: str) -> dict[str, str]:
    return {"vi": vi, "en": vi}


def _ruleset(staff_min: int | Decimal = 0) -> Ruleset:
    """A ruleset with one fact of every type; only its facts schema matters here."""
    data: dict[str, Any] = {
        "ruleset": {
            "family": "facts",
            "version": "1",
            "title": _text("Dữ kiện"),
            "status": "draft",
            "legal_basis": {"decision": "1/QĐ", "date": dt.date(2024, 1, 1)},
            "periods": [2024],
            "total_points": 1,
        },
        "unit_types": {
            "cuc": {"name": _text("Cục"), "peer_group": "all"},
            "vu": {"name": _text("Vụ"), "peer_group": "all"},
        },
        "facts": {
            "plan_issued": {"type": "boolean", "description": _text("Kế hoạch")},
            "staff": {
                "type": "integer",
                "min": staff_min,
                "max": 1000,
                "description": _text("Biên chế"),
            },
            "score": {
                "type": "decimal",
                "decimals": 2,
                "min": 0,
                "max": 100,
                "description": _text("Điểm"),
            },
            "issued_on": {"type": "date", "required": False, "description": _text("Ngày")},
            "note": {"type": "text", "required": False, "description": _text("Ghi chú")},
        },
        "grading": {"bands": [{"grade": "dat", "name": _text("Đạt"), "min_index": 0}]},
        "ranking": {"peer_groups": {"all": {"name": _text("Tất cả")}}},
        "areas": [
            {
                "id": "A",
                "name": _text("A"),
                "max_points": 1,
                "criteria": [
                    {
                        "id": "A1",
                        "name": _text("A1"),
                        "max_points": 1,
                        "kind": "flag",
                        "params": {"fact": "plan_issued"},
                    }
                ],
            }
        ],
    }
    return Ruleset.model_validate(data)


RULESET = _ruleset()
HEADER = "unit_id,name,unit_type,plan_issued,staff,score,issued_on,note"
GOOD_ROWS = [
    "U1,Cục Một,cuc,true,12,12.5,2024-03-01,ghi chú",
    "U2,Vụ Hai,vu,không,0,100,,",
    "U3,Cục Ba,cuc,Yes,1000,0.07,2024-12-31,",
]


def _csv(tmp_path: Path, *rows: str, header: str = HEADER) -> Path:
    path = tmp_path / "units.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def _problems(data: object, **kwargs: Any) -> list[str]:
    with pytest.raises(InputError) as info:
        read_units(data, RULESET, **kwargs)
    return str(info.value).splitlines()


# -- valid input ---------------------------------------------------------------------------


def test_valid_csv_gives_exact_scaled_integers(tmp_path: Path) -> None:
    table = read_units(_csv(tmp_path, *GOOD_ROWS), RULESET)
    assert table.unit_ids.to_pylist() == ["U1", "U2", "U3"]
    assert list(table.unit_types) == ["cuc", "vu", "cuc"]
    assert list(table.peer_groups) == ["all", "all", "all"]  # from the unit type
    score = table.facts["score"]
    assert score.scale == 100
    assert score.values.dtype == np.int64
    assert score.values.tolist() == [1250, 10000, 7]  # "12.5" → 1250 hundredths
    assert table.facts["staff"].values.tolist() == [12, 0, 1000]
    assert table.facts["plan_issued"].values.tolist() == [True, False, True]
    issued = table.facts["issued_on"]
    assert issued.missing.tolist() == [False, True, False]
    assert issued.value(0) == dt.date(2024, 3, 1)
    assert issued.value(2) == dt.date(2024, 12, 31)
    assert table.facts["note"].value(0) == "ghi chú"
    assert table.facts["note"].missing.tolist() == [False, True, True]
    assert score.value(0) == Decimal("12.5")


def test_optional_fact_column_may_be_absent(tmp_path: Path) -> None:
    header = "unit_id,name,unit_type,plan_issued,staff,score"
    table = read_units(_csv(tmp_path, "U1,A,cuc,true,1,1", header=header), RULESET)
    assert table.facts["issued_on"].missing.tolist() == [True]
    assert table.facts["note"].missing.tolist() == [True]


# -- CSV: every bad-input class, all at once --------------------------------------------------


def test_csv_reports_every_problem_at_once_with_rows_counting_the_header(
    tmp_path: Path,
) -> None:
    path = _csv(
        tmp_path,
        "U1,Cục Một,cuc,true,12,12.5,2024-03-01,",  # row 2: fine
        "U2,Vụ Hai,vu,maybe,2.5,1.234,2024-02-30,",  # row 3: bad boolean, integer, decimal, date
        "U1,Cục Ba,cuc,true,-1,100.01,03.01.2024,",  # row 4: duplicate id, out of range, bad date
        "U4,Cục Bốn,phong,true,1,1,,",  # row 5: unknown unit type
        "U5,Cục Năm,cuc,,,1,,",  # row 6: required facts missing (cells)
    )
    assert _problems(path, name="units.csv") == [
        "units.csv:3: issued_on: expected a date as YYYY-MM-DD (got '2024-02-30')",
        "units.csv:3: plan_issued: expected a boolean "
        "(true, false, 1, 0, yes, no, có, không) (got 'maybe')",
        "units.csv:3: score: expected a number with at most 2 digits after the point (got '1.234')",
        "units.csv:3: staff: expected a whole number (got '2.5')",
        "units.csv:4: issued_on: expected a date as YYYY-MM-DD (got '03.01.2024')",
        "units.csv:4: score: expected a value ≤ 100 (got 100.01)",
        "units.csv:4: staff: expected a value ≥ 0 (got -1)",
        "units.csv:4: unit_id: duplicate unit id (got 'U1')",
        "units.csv:5: unit_type: expected one of the unit types cuc, vu (got 'phong')",
        "units.csv:6: plan_issued: expected a value (the fact is required)",
        "units.csv:6: staff: expected a value (the fact is required)",
    ]


def test_missing_and_unknown_columns(tmp_path: Path) -> None:
    header = "unit_id,name,unit_type,plan_isued,score"
    path = _csv(tmp_path, "U1,A,cuc,true,1", header=header)
    assert _problems(path, name="units.csv") == [
        "units.csv: plan_isued: unknown column; did you mean 'plan_issued'? "
        "(expected unit columns unit_id, name, unit_type and facts declared by facts@1)",
        "units.csv: plan_issued: missing column for a required fact",
        "units.csv: staff: missing column for a required fact",
    ]


def test_unknown_peer_group(tmp_path: Path) -> None:
    header = "unit_id,name,unit_type,peer_group,plan_issued,staff,score"
    path = _csv(tmp_path, "U1,A,cuc,all,true,1,1", "U2,B,vu,others,true,1,1", header=header)
    assert _problems(path, name="units.csv") == [
        "units.csv:3: peer_group: expected one of the peer groups all (got 'others')",
    ]


def test_many_bad_rows_are_summarised(tmp_path: Path) -> None:
    rows = [f"U{i},A,cuc,true,x,1,," for i in range(15)]
    problems = _problems(_csv(tmp_path, *rows), name="units.csv")
    assert len(problems) == 11
    assert problems[0] == "units.csv:2: staff: expected a whole number (got 'x')"
    assert problems[-1] == "units.csv:12: staff: expected a whole number: 5 more rows like this"


def test_a_bound_finer_than_the_fact_still_binds(tmp_path: Path) -> None:
    ruleset = _ruleset(staff_min=Decimal("0.5"))
    path = _csv(tmp_path, "U1,A,cuc,true,0,1,,", "U2,B,cuc,true,1,1,,")
    with pytest.raises(InputError) as info:
        read_units(path, ruleset, name="units.csv")
    assert str(info.value) == "units.csv:2: staff: expected a value ≥ 0.5 (got 0)"


# -- other text sources -------------------------------------------------------------------


def test_xlsx_rows_count_the_header(tmp_path: Path) -> None:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADER.split(","))
    # typed cells as a spreadsheet stores them: bools, ints, floats, dates
    sheet.append(["U1", "Cục Một", "cuc", True, 12, 12.5, dt.datetime(2024, 3, 1), "ghi chú"])
    sheet.append(["U2", "Vụ Hai", "vu", "có", 3, 0.07, None, None])
    path = tmp_path / "units.xlsx"
    workbook.save(path)
    table = read_units(path, RULESET)
    assert table.facts["score"].values.tolist() == [1250, 7]
    assert table.facts["staff"].values.tolist() == [12, 3]
    assert table.facts["plan_issued"].values.tolist() == [True, True]
    assert table.facts["issued_on"].value(0) == dt.date(2024, 3, 1)

    sheet.append(["U3", "Cục Ba", "cuc", "sai", 2.5, 1.234, "hôm qua", None])
    workbook.save(path)
    assert _problems(path, name="units.xlsx") == [
        "units.xlsx:4: issued_on: expected a date as YYYY-MM-DD (got 'hôm qua')",
        "units.xlsx:4: plan_issued: expected a boolean "
        "(true, false, 1, 0, yes, no, có, không) (got 'sai')",
        "units.xlsx:4: score: expected a number with at most 2 digits after the point "
        "(got '1.234')",
        "units.xlsx:4: staff: expected a whole number (got '2.5')",
    ]


def test_json_records_count_from_one(tmp_path: Path) -> None:
    records = [
        {"unit_id": "U1", "name": "A", "unit_type": "cuc", "plan_issued": True,
         "staff": 12, "score": 12.5},
        {"unit_id": "U2", "name": "B", "unit_type": "vu", "plan_issued": "no",
         "staff": 7, "score": "99.99"},
    ]  # fmt: skip
    path = tmp_path / "units.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    table = read_units(path, RULESET)
    assert table.facts["score"].values.tolist() == [1250, 9999]
    assert table.facts["plan_issued"].values.tolist() == [True, False]

    records[1].update(staff=1001, score=0.125, plan_issued=2)
    path.write_text(json.dumps(records), encoding="utf-8")
    assert _problems(path, name="units.json") == [
        "units.json:2: plan_issued: expected a boolean "
        "(true, false, 1, 0, yes, no, có, không) (got '2')",
        "units.json:2: score: expected a number with at most 2 digits after the point "
        "(got '0.125')",
        "units.json:2: staff: expected a value ≤ 1000 (got 1001)",
    ]


def test_json_must_be_a_list_of_objects(tmp_path: Path) -> None:
    path = tmp_path / "units.json"
    path.write_text('{"unit_id": "U1"}', encoding="utf-8")
    assert _problems(path, name="units.json") == [
        "units.json: expected a JSON array of objects, one per unit"
    ]


# -- typed sources ------------------------------------------------------------------------


def _typed(**overrides: pa.Array) -> pa.Table:
    columns: dict[str, pa.Array] = {
        "unit_id": pa.array(["U1", "U2"]),
        "name": pa.array(["A", "B"]),
        "unit_type": pa.array(["cuc", "vu"]),
        "plan_issued": pa.array([True, None]),
        "staff": pa.array([12, 3], pa.int64()),
        "score": pa.array([12.5, 0.07], pa.float64()),
        "issued_on": pa.array([dt.date(2024, 3, 1), None], pa.date32()),
    }
    columns.update(overrides)
    return pa.table(columns)


def test_parquet_typed_columns(tmp_path: Path) -> None:
    path = tmp_path / "units.parquet"
    pq.write_table(_typed(plan_issued=pa.array([True, False])), path)
    table = read_units(path, RULESET)
    # a float column is accepted for a decimal fact when each value is exact: 0.07 is
    # the double nearest 0.07, which is what a user typing 0.07 meant
    assert table.facts["score"].values.tolist() == [1250, 7]
    assert table.facts["staff"].values.tolist() == [12, 3]
    assert table.facts["issued_on"].value(0) == dt.date(2024, 3, 1)


def test_parquet_refuses_inexact_floats_and_wrong_types(tmp_path: Path) -> None:
    path = tmp_path / "units.parquet"
    bad = _typed(
        plan_issued=pa.array([1, 0], pa.int64()),
        staff=pa.array([12.0, 2.5], pa.float64()),
        score=pa.array([12.5, 1 / 3], pa.float64()),
    )
    pq.write_table(bad, path)
    assert _problems(path, name="units.parquet") == [
        "units.parquet: plan_issued: expected a column of boolean values (got Arrow type int64)",
        "units.parquet:2: score: expected a number with at most 2 digits after the point "
        "(got 0.3333333333333333)",
        "units.parquet:2: staff: expected a whole number (got 2.5)",
    ]


def test_parquet_decimal_column(tmp_path: Path) -> None:
    path = tmp_path / "units.parquet"
    scores = pa.array([Decimal("12.5"), Decimal("0.07")], pa.decimal128(5, 2))
    pq.write_table(_typed(plan_issued=pa.array([True, True]), score=scores), path)
    assert read_units(path, RULESET).facts["score"].values.tolist() == [1250, 7]

    finer = pa.array([Decimal("12.500"), Decimal("0.075")], pa.decimal128(6, 3))
    pq.write_table(_typed(plan_issued=pa.array([True, True]), score=finer), path)
    assert _problems(path, name="units.parquet") == [
        "units.parquet:2: score: expected a number with at most 2 digits after the point "
        "(got 0.075)",
    ]


def test_in_memory_arrow_table(tmp_path: Path) -> None:
    table = read_units(_typed(plan_issued=pa.array([True, False])), RULESET)
    assert table.source == "<table>"
    assert table.facts["score"].values.tolist() == [1250, 7]

    bad = _typed(
        unit_id=pa.array(["U1", "U1"]),
        unit_type=pa.array(["cuc", "so"]),
        staff=pa.array([12, 5000], pa.int64()),
    )
    assert _problems(bad) == [
        "<table>:2: plan_issued: expected a value (the fact is required)",
        "<table>:2: staff: expected a value ≤ 1000 (got 5000)",
        "<table>:2: unit_id: duplicate unit id (got 'U1')",
        "<table>:2: unit_type: expected one of the unit types cuc, vu (got 'so')",
    ]


def test_unsupported_file_and_missing_file(tmp_path: Path) -> None:
    assert _problems(tmp_path / "units.txt", name="units.txt") == [
        "units.txt: expected a .csv, .parquet, .xlsx or .json file (got '.txt')"
    ]
    assert _problems(tmp_path / "nope.csv", name="nope.csv") == ["nope.csv: file does not exist"]
