"""The plain-Python baseline: a loop over units, one criterion at a time, no numpy.

    python benchmarks/baseline_loop.py RULESET.toml UNITS.parquet RESULTS.parquet

This is how most rule engines work: interpret every rule for every unit. It reads the
same TOML and Parquet as the vectorised baseline, scores each unit with exact Python
integers and fractions, sorts each peer group to rank, and writes the same columns.
Prints one JSON line of phase timings (seconds) on stdout.
"""

from __future__ import annotations

import json
import sys
import time
import tomllib
from decimal import Decimal
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from baseline_vectorised import leaves

OPS = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
}
READS = {
    "flag": ("fact",),
    "ratio_bands": ("numerator", "denominator"),
    "proportional": ("numerator", "denominator"),
    "deduction": ("events",),
    "survey_scaled": ("score",),
    "appraised": ("points",),
}


@cache
def fixed(value: Decimal | int, scale: int) -> int:
    """A number of points in units of 1/scale (computed once per distinct number)."""
    return int(Decimal(value) * scale)


@cache
def exact(value: Decimal | int) -> Fraction:
    return Fraction(value)


def half_up(value: Fraction) -> int:
    return (2 * value.numerator + value.denominator) // (2 * value.denominator)


def score_unit(criterion: dict[str, Any], unit: dict[str, Any], scale: int) -> int | None:
    """Points of one unit in units of 1/scale, or None when not applicable."""
    kind, params = criterion["kind"], criterion.get("params", {})
    if "applies_to" in criterion and unit["unit_type"] not in criterion["applies_to"]:
        return None
    condition = criterion.get("applies_when")
    missing = False
    if condition:
        value = unit[condition["fact"]]
        if value is None:
            missing = True
        elif not OPS[condition["op"]](value, condition["value"]):
            return None
    if kind == "deadline_steps":
        reads: tuple[str, ...] = ("done",) if params.get("done") else ("days_late",)
        facts = [params[r] for r in reads]
    else:
        facts = [params[r] for r in READS[kind]]
    if missing or any(unit[f] is None for f in facts):
        return None if criterion.get("when_missing", "zero") == "not_applicable" else 0
    full = fixed(criterion["max_points"], scale)
    if kind == "flag":
        return full if unit[params["fact"]] == params.get("good_when", True) else 0
    if kind == "deadline_steps":
        if params.get("done") and not unit[params["done"]]:
            return 0
        late = unit[params["days_late"]]
        if late <= 0:
            return full
        for step in params.get("steps", []):
            if late <= step["max_days_late"]:
                return fixed(step["points"], scale)
        return 0
    if kind in ("ratio_bands", "proportional"):
        numerator = Fraction(unit[params["numerator"]])
        denominator = Fraction(unit[params["denominator"]])
        if denominator == 0:
            return full if params["zero_denominator"] == "full_points" else None
        percent = numerator / denominator * 100
        if kind == "ratio_bands":
            for band in params["bands"]:
                if percent >= exact(band["min_percent"]):
                    return fixed(band["points"], scale)
            return 0
        share = min(percent / exact(params.get("target_percent", 100)), Fraction(1))
        return half_up(share * full)
    if kind == "deduction":
        counted = max(unit[params["events"]] - params.get("free_events", 0), 0)
        return max(full - counted * fixed(params["points_per_event"], scale), 0)
    if kind == "survey_scaled":
        share = Fraction(unit[params["score"]]) / exact(params["scale_max"])
        return half_up(min(max(share, Fraction(0)), Fraction(1)) * full)
    appraised = Fraction(unit[params["points"]]) * scale
    return int(min(max(appraised, Fraction(0)), Fraction(full)))


def main(argv: list[str]) -> int:
    ruleset_path, units_path, output = (Path(a) for a in argv)
    clock = time.perf_counter()
    phases: dict[str, float] = {}
    ruleset = tomllib.loads(ruleset_path.read_text(encoding="utf-8"), parse_float=Decimal)
    units = pq.read_table(units_path).to_pylist()
    phases["load"], clock = time.perf_counter() - clock, time.perf_counter()

    scale = 10 ** ruleset["ruleset"].get("points_decimals", 2)
    scored = leaves(ruleset)
    rows: list[dict[str, Any]] = []
    for unit in units:
        row: dict[str, Any] = {"unit_id": unit["unit_id"], "total": 0, "applicable_max": 0}
        for area, criterion in scored:
            points = score_unit(criterion, unit, scale)
            row[criterion["id"]] = points
            key = f"area:{area}"
            row.setdefault(key, 0)
            if points is not None:
                row[key] += points
                row["total"] += points
                row["applicable_max"] += fixed(criterion["max_points"], scale)
        rows.append(row)
    phases["score"], clock = time.perf_counter() - clock, time.perf_counter()

    grading = ruleset["grading"]
    groups: dict[str, list[dict[str, Any]]] = {}
    for unit, row in zip(units, rows, strict=True):
        total, maximum = row["total"], row["applicable_max"]
        row["index"] = total * 10_000 // maximum if maximum else None
        row["grade"] = row["rank"] = None
        if not maximum:
            continue
        bands = grading.get("by_unit_type", {}).get(unit["unit_type"], grading["bands"])
        for band in bands:
            if Fraction(total, maximum) * 100 >= exact(band["min_index"]):
                row["grade"] = band["grade"]
                break
        group = unit.get("peer_group") or ruleset["unit_types"][unit["unit_type"]]["peer_group"]
        groups.setdefault(group, []).append(row)
    dense = ruleset["ranking"].get("ties", "shared") == "dense"
    for members in groups.values():
        members.sort(key=lambda r: Fraction(r["total"], r["applicable_max"]), reverse=True)
        previous, rank = None, 0
        for position, row in enumerate(members, start=1):
            index = Fraction(row["total"], row["applicable_max"])
            if index != previous:
                rank = rank + 1 if dense else position
                previous = index
            row["rank"] = rank
    phases["aggregate"], clock = time.perf_counter() - clock, time.perf_counter()

    columns = list(rows[0]) if rows else ["unit_id"]
    table = pa.table({c: [r[c] for r in rows] for c in columns})
    pq.write_table(table, output)
    phases["write"] = time.perf_counter() - clock
    print(json.dumps(phases))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
