"""The plain-Python baseline: a loop over units, one criterion at a time, no numpy.

    python benchmarks/baseline_loop.py RULESET.toml UNITS.parquet RESULTS.parquet

This is how most rule engines work: interpret every rule for every unit. It reads the
same TOML and Parquet as the vectorised baseline, scores each unit with exact Python
integers and fractions (its conditions walked node by node, the same subset of the
expression language), sorts each peer group to rank, and writes the same columns.
Prints one JSON line of phase timings (seconds) on stdout.
"""

from __future__ import annotations

import ast
import json
import operator
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
from baseline_vectorised import Leaf, leaves

COMPARE = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
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


@cache
def parse(source: str) -> ast.expr:
    return ast.parse(source, mode="eval").body


@cache
def decimal_literal(source: str, node: ast.Constant) -> Decimal:
    """Exact, from the digits written: never the binary float Python parsed."""
    return Decimal(ast.get_source_segment(source, node) or "")


def evaluate(source: str, unit: dict[str, Any]) -> Any:
    """A condition for one unit: the subset of the expression language that conditions use,
    interpreted node by node; None is missing (three-valued ``and`` / ``or``)."""

    def walk(node: ast.expr) -> Any:
        if isinstance(node, ast.BoolOp):
            values = [walk(v) for v in node.values]
            decisive = isinstance(node.op, ast.Or)
            if any(v is decisive for v in values):
                return decisive
            return None if any(v is None for v in values) else not decisive
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            value = walk(node.operand)
            return None if value is None else not value
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            value = walk(node.operand)
            return None if value is None else -value
        if isinstance(node, ast.Compare):
            links: list[Any] = []
            left = walk(node.left)
            for op, comparator in zip(node.ops, node.comparators, strict=True):
                if isinstance(op, ast.In | ast.NotIn) and isinstance(comparator, ast.List):
                    inside = left in [walk(e) for e in comparator.elts]
                    links.append(None if left is None else inside == isinstance(op, ast.In))
                    continue
                right = walk(comparator)
                missing = left is None or right is None
                links.append(None if missing else COMPARE[type(op)](left, right))
                left = right
            # a < b <= c means (a < b) and (b <= c)
            if False in links:
                return False
            return None if None in links else True
        if isinstance(node, ast.Name):
            if node.id in ("true", "false"):
                return node.id == "true"
            return unit[node.id]
        if isinstance(node, ast.Constant) and isinstance(node.value, int | str):
            return node.value
        if isinstance(node, ast.Constant) and isinstance(node.value, float):
            return decimal_literal(source, node)
        raise SystemExit(f"the baseline does not implement {ast.unparse(node)!r} ({source!r})")

    return walk(parse(source))


def half_up(value: Fraction) -> int:
    return (2 * value.numerator + value.denominator) // (2 * value.denominator)


def score_unit(leaf: Leaf, unit: dict[str, Any], scale: int) -> int | None:
    """Points of one unit in units of 1/scale, or None when not applicable."""
    criterion = leaf.criterion
    kind, params = criterion["kind"], criterion.get("params", {})
    if leaf.applies_to is not None and unit["unit_type"] not in leaf.applies_to:
        return None
    missing = False
    if leaf.condition is not None:
        holds = evaluate(leaf.condition, unit)
        if holds is None:
            missing = True
        elif not holds:
            return None
    # The facts this unit needs: work not done needs no delay, a zero denominator no
    # numerator (docs/decisions/0023-order-of-missing-value-rules.md).
    if kind == "deadline_steps":
        done = params.get("done")
        facts = [done] if done else []
        if not done or unit[done] is not False:
            facts.append(params["days_late"])
    elif kind in ("ratio_bands", "proportional") and unit[params["denominator"]] == 0:
        facts = [params["denominator"]]
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
            if late <= step["max_days_late"] and (
                "when" not in step or evaluate(step["when"], unit) is True
            ):
                return fixed(step["points"], scale)
        return 0
    if kind in ("ratio_bands", "proportional"):
        denominator = Fraction(unit[params["denominator"]])
        if denominator == 0:
            return full if params["zero_denominator"] == "full_points" else None
        numerator = Fraction(unit[params["numerator"]])
        percent = numerator / denominator * 100
        if kind == "ratio_bands":
            for band in params["bands"]:
                if percent >= exact(band["min_percent"]):
                    return fixed(band["points"], scale)
            return 0
        share = min(percent / exact(params.get("target_percent", 100)), Fraction(1))
        return half_up(share * full)
    if kind == "deduction":
        counted: int = max(unit[params["events"]] - params.get("free_events", 0), 0)
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
        for leaf in scored:
            points = score_unit(leaf, unit, scale)
            row[leaf.criterion["id"]] = points
            key = f"area:{leaf.area}"
            row.setdefault(key, 0)
            if points is not None:
                row[key] += points
                row["total"] += points
                row["applicable_max"] += fixed(leaf.criterion["max_points"], scale)
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
