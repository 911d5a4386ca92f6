"""The hand-written vectorised baseline: numpy + pyarrow, no cchc_rules.

    python benchmarks/baseline_vectorised.py RULESET.toml UNITS.parquet RESULTS.parquet

What a careful analyst would write by hand for one evaluation: read the ruleset's TOML
for its numbers (points, bands, steps), read the Parquet, compute every criterion with
numpy in exact integers (hundredths of a point), sum areas, grade by integer
cross-multiplication, rank within peer groups, and write unit id, totals, index, grade,
rank, area subtotals and every criterion's points. Applicability conditions (both forms
of ``applies_when``, and conditional deadline steps) are evaluated over whole columns
for the part of the expression language conditions use: comparisons, ``in``, ``not``,
three-valued ``and`` / ``or``. No validation, no reason codes, no plugins: the engine
does all of that on top, which is what the benchmark prices.

Prints one JSON line of phase timings (seconds) on stdout.
"""

from __future__ import annotations

import ast
import json
import sys
import time
import tomllib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.parquet as pq

Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Leaf:
    """A scored criterion with the applicability it inherits from its enclosing groups."""

    area: str
    criterion: dict[str, Any]
    applies_to: frozenset[str] | None
    condition: str | None
    """Its own ``applies_when`` and every enclosing one's, as one expression."""


def condition_source(condition: str | dict[str, Any]) -> str:
    """An ``applies_when``, either form, as an expression (a one-fact table: ``fact op value``)."""
    if isinstance(condition, str):
        return condition
    value = condition["value"]
    if isinstance(value, bool):
        literal = "true" if value else "false"
    elif isinstance(value, str):
        literal = repr(value)
    else:
        literal = format(value, "f")
    return f"{condition['fact']} {condition['op']} {literal}"


def leaves(ruleset: dict[str, Any]) -> list[Leaf]:
    """Every scored criterion, in ruleset order."""
    found: list[Leaf] = []

    def walk(
        area: str,
        criteria: list[dict[str, Any]],
        applies_to: frozenset[str] | None,
        conditions: tuple[str, ...],
    ) -> None:
        for criterion in criteria:
            types, whens = applies_to, conditions
            if "applies_to" in criterion:
                own = frozenset(criterion["applies_to"])
                types = own if types is None else types & own
            if "applies_when" in criterion:
                whens = (*whens, condition_source(criterion["applies_when"]))
            if "criteria" in criterion:
                walk(area, criterion["criteria"], types, whens)
            else:
                joined = " and ".join(f"({source})" for source in whens) if whens else None
                found.append(Leaf(area, criterion, types, joined))

    for area in ruleset["areas"]:
        walk(area["id"], area["criteria"], None, ())
    return found


def ratio(value: Decimal) -> tuple[int, int]:
    return value.as_integer_ratio()


def fact_columns(table: pa.Table, facts: dict[str, Any]) -> dict[str, tuple[Ints, Bools, int]]:
    """(values, missing, scale) per fact; decimals as integers of 1/scale."""
    out = {}
    for name, spec in facts.items():
        if name not in table.column_names:
            continue
        column = table.column(name)
        missing = column.is_null().to_numpy(zero_copy_only=False)
        kind = spec["type"]
        scale = 10 ** spec.get("decimals", 0) if kind == "decimal" else 1
        if kind == "decimal":
            raw = np.frombuffer(
                column.combine_chunks().cast(pa.decimal128(38, spec["decimals"])).buffers()[1],
                dtype=np.int64,
            )[::2]
            values = np.where(missing, 0, raw)
        elif kind == "boolean":
            values = column.fill_null(False).to_numpy(zero_copy_only=False).astype(np.int64)
        elif kind == "integer":
            values = column.fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
        else:
            continue
        out[name] = (values, missing, scale)
    return out


Value = tuple[Any, Any, int]
"""(values, missing, scale) of an expression over the units; constants stay scalars."""
NOT_MISSING = np.False_

COMPARE = {
    ast.Eq: np.equal,
    ast.NotEq: np.not_equal,
    ast.Gt: np.greater,
    ast.GtE: np.greater_equal,
    ast.Lt: np.less,
    ast.LtE: np.less_equal,
}


def kleene(parts: list[Value], conjunction: bool) -> Value:
    """``and`` / ``or`` in three-valued logic: a known false decides ``and`` (a known true
    decides ``or``) whatever the other sides; otherwise a missing side makes it missing."""
    known_true = [np.asarray(v, dtype=bool) & ~m for v, m, _ in parts]
    known_false = [~np.asarray(v, dtype=bool) & ~m for v, m, _ in parts]
    if conjunction:
        true, false = np.logical_and.reduce(known_true), np.logical_or.reduce(known_false)
    else:
        true, false = np.logical_or.reduce(known_true), np.logical_and.reduce(known_false)
    return true, ~(true | false), 1


def aligned(left: Value, right: Value) -> tuple[Any, Any]:
    """Both sides' values on one scale (numbers), or as they are (texts, booleans)."""
    if left[2] == right[2]:
        return left[0], right[0]
    return left[0] * right[2], right[0] * left[2]


def evaluate(node: ast.expr, source: str, cols: dict[str, Any], unit_types: Any) -> Value:
    """The subset of the expression language (docs/expressions.md) that conditions use —
    names, literals, negation, comparisons, ``in``, ``not``, ``and``, ``or`` — over columns."""

    def walk(node: ast.expr) -> Value:
        if isinstance(node, ast.BoolOp):
            return kleene([walk(v) for v in node.values], isinstance(node.op, ast.And))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            values, missing, _ = walk(node.operand)
            return ~np.asarray(values, dtype=bool), missing, 1
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            values, missing, scale = walk(node.operand)
            return -values, missing, scale
        if isinstance(node, ast.Compare):
            links: list[Value] = []
            left = walk(node.left)
            for op, comparator in zip(node.ops, node.comparators, strict=True):
                if isinstance(op, ast.In | ast.NotIn) and isinstance(comparator, ast.List):
                    found = [np.equal(*aligned(left, walk(e))) for e in comparator.elts]
                    inside = np.logical_or.reduce(found)
                    links.append((inside if isinstance(op, ast.In) else ~inside, left[1], 1))
                    continue
                right = walk(comparator)
                links.append((COMPARE[type(op)](*aligned(left, right)), left[1] | right[1], 1))
                left = right
            # a < b <= c means (a < b) and (b <= c)
            return links[0] if len(links) == 1 else kleene(links, True)
        if isinstance(node, ast.Name):
            if node.id in ("true", "false"):
                return np.bool_(node.id == "true"), NOT_MISSING, 1
            if node.id == "unit_type":
                return unit_types, NOT_MISSING, 1
            column: Value = cols[node.id]
            return column
        if isinstance(node, ast.Constant) and isinstance(node.value, int | str):
            return node.value, NOT_MISSING, 1
        if isinstance(node, ast.Constant) and isinstance(node.value, float):
            # Exact, from the digits written: never the binary float Python parsed.
            digits = Decimal(ast.get_source_segment(source, node) or "")
            scale = 10 ** -int(digits.as_tuple().exponent)
            return int(digits * scale), NOT_MISSING, scale
        raise SystemExit(f"the baseline does not implement {ast.unparse(node)!r} ({source!r})")

    return walk(node)


def condition(source: str, cols: dict[str, Any], unit_types: Any) -> tuple[Bools, Bools]:
    """(holds, missing) of a condition for every unit; where missing, holds is false."""
    values, missing, _ = evaluate(ast.parse(source, mode="eval").body, source, cols, unit_types)
    size = len(unit_types)
    missing = np.broadcast_to(np.asarray(missing, dtype=bool), (size,))
    holds = np.broadcast_to(np.asarray(values, dtype=bool), (size,)) & ~missing
    return holds, missing


def score(leaf: Leaf, cols: dict[str, Any], unit_types: Any, scale: int) -> tuple[Ints, Bools]:
    criterion = leaf.criterion
    kind, params = criterion["kind"], criterion.get("params", {})
    size = len(unit_types)
    max_units = int(Decimal(criterion["max_points"]) * scale)
    applicable = np.ones(size, dtype=bool)
    if leaf.applies_to is not None:
        applicable &= np.isin(unit_types, list(leaf.applies_to))
    reads = {
        "flag": [params.get("fact")],
        "deadline_steps": [params.get("done") or params.get("days_late")],
        "ratio_bands": [params.get("denominator")],
        "proportional": [params.get("denominator")],
        "deduction": [params.get("events")],
        "survey_scaled": [params.get("score")],
        "appraised": [params.get("points")],
    }[kind]
    missing = np.zeros(size, dtype=bool)
    for fact in reads:
        missing |= cols[fact][1]
    # Facts some units need: work done needs its delay, a denominator above 0 its
    # numerator (docs/decisions/0023-order-of-missing-value-rules.md).
    if kind == "deadline_steps" and params.get("done"):
        done_values, done_missing, _ = cols[params["done"]]
        missing |= (done_missing | (done_values == 1)) & cols[params["days_late"]][1]
    elif kind in ("ratio_bands", "proportional"):
        den_values, den_missing, _ = cols[params["denominator"]]
        missing |= (den_missing | (den_values != 0)) & cols[params["numerator"]][1]
    if leaf.condition is not None:
        holds, absent = condition(leaf.condition, cols, unit_types)
        missing |= absent
        applicable &= holds | absent
    missing &= applicable
    if criterion.get("when_missing", "zero") == "not_applicable":
        applicable &= ~missing
    points = np.zeros(size, dtype=np.int64)
    if kind == "flag":
        good = params.get("good_when", True)
        points = np.where(cols[params["fact"]][0] == int(good), max_units, 0)
    elif kind == "deadline_steps":
        late = cols[params["days_late"]][0]
        # The first step reached whose condition (if any) holds: built from the last one.
        earned = np.zeros(size, dtype=np.int64)
        for step in reversed(params.get("steps", [])):
            reached = late <= step["max_days_late"]
            if "when" in step:
                reached &= condition(step["when"], cols, unit_types)[0]
            earned = np.where(reached, int(Decimal(step["points"]) * scale), earned)
        points = np.where(late <= 0, max_units, earned)
        if params.get("done"):
            points = np.where(cols[params["done"]][0] == 1, points, 0)
    elif kind in ("ratio_bands", "proportional"):
        top_v, _, top_s = cols[params["numerator"]]
        bottom_v, _, bottom_s = cols[params["denominator"]]
        top, bottom = top_v * bottom_s, bottom_v * top_s
        zero = bottom == 0
        if kind == "ratio_bands":
            points = np.zeros(size, dtype=np.int64)
            for band in reversed(params["bands"]):
                p, q = ratio(Decimal(band["min_percent"]))
                points = np.where(top * 100 * q >= bottom * p, int(band["points"] * scale), points)
        else:
            p, q = ratio(Decimal(params.get("target_percent", 100)))
            reached, target = top * 100 * q, np.where(zero, 1, bottom) * p
            capped = np.minimum(reached, target)
            points = (2 * capped * max_units + target) // (2 * target)
        if params["zero_denominator"] == "full_points":
            points = np.where(zero, max_units, points)
        else:
            points = np.where(zero, 0, points)
            applicable &= ~(zero & ~missing)
    elif kind == "deduction":
        per = int(Decimal(params["points_per_event"]) * scale)
        free = params.get("free_events", 0)
        counted = np.maximum(cols[params["events"]][0] - free, 0)
        points = np.maximum(max_units - np.minimum(counted, max_units // per + 1) * per, 0)
    elif kind == "survey_scaled":
        values, _, fact_scale = cols[params["score"]]
        p, q = ratio(Decimal(params["scale_max"]))
        top = fact_scale * p
        scores = np.clip(values * q, 0, top)
        points = (2 * scores * max_units + top) // (2 * top)
    elif kind == "appraised":
        values, _, fact_scale = cols[params["points"]]
        points = np.clip(values * scale, 0, max_units * fact_scale) // fact_scale
    points = np.where(applicable & ~missing, points, 0)
    return points.astype(np.int64), applicable


def rank(total: Ints, maximum: Ints, groups: Any, ties: str) -> Ints:
    """Rank by index within each group: 1 + units with a higher index (or distinct higher)."""
    out = np.zeros(len(total), dtype=np.int64)
    for group in np.unique(groups):
        members = np.flatnonzero((groups == group) & (maximum > 0))
        key = total[members] / maximum[members]
        ordered = np.sort(key)
        if ties == "dense":
            distinct = np.unique(key)
            out[members] = len(distinct) - np.searchsorted(distinct, key, side="right") + 1
        else:
            out[members] = len(ordered) - np.searchsorted(ordered, key, side="right") + 1
    return out


def main(argv: list[str]) -> int:
    ruleset_path, units_path, output = (Path(a) for a in argv)
    clock = time.perf_counter()
    phases: dict[str, float] = {}
    ruleset = tomllib.loads(ruleset_path.read_text(encoding="utf-8"), parse_float=Decimal)
    table = pq.read_table(units_path)
    cols = fact_columns(table, ruleset["facts"])
    unit_types = table.column("unit_type").to_numpy(zero_copy_only=False)
    phases["load"], clock = time.perf_counter() - clock, time.perf_counter()

    scale = 10 ** ruleset["ruleset"].get("points_decimals", 2)
    columns: dict[str, Any] = {}
    areas: dict[str, tuple[Ints, Ints]] = {}
    size = table.num_rows
    for leaf in leaves(ruleset):
        points, applicable = score(leaf, cols, unit_types, scale)
        columns[leaf.criterion["id"]] = (points, applicable)
        earned, possible = areas.setdefault(
            leaf.area, (np.zeros(size, dtype=np.int64), np.zeros(size, dtype=np.int64))
        )
        earned += points
        possible += applicable * int(Decimal(leaf.criterion["max_points"]) * scale)
    phases["score"], clock = time.perf_counter() - clock, time.perf_counter()

    total = sum((e for e, _ in areas.values()), np.zeros(size, dtype=np.int64))
    maximum = sum((m for _, m in areas.values()), np.zeros(size, dtype=np.int64))
    index = total * 10_000 // np.where(maximum > 0, maximum, 1)
    grade = np.full(size, None, dtype=object)
    grading = ruleset["grading"]
    for unit_type in ruleset["unit_types"]:
        undecided = (unit_types == unit_type) & (maximum > 0)
        for band in grading.get("by_unit_type", {}).get(unit_type, grading["bands"]):
            p, q = ratio(Decimal(band["min_index"]))
            chosen = undecided & (total * 100 * q >= p * maximum)
            grade[chosen] = band["grade"]
            undecided &= ~chosen
    peer_of = {t: spec["peer_group"] for t, spec in ruleset["unit_types"].items()}
    groups = np.vectorize(peer_of.get, otypes=[object])(unit_types)
    if "peer_group" in table.column_names:
        given = table.column("peer_group").to_numpy(zero_copy_only=False)
        groups = np.where(given == None, groups, given)  # noqa: E711  (elementwise)
    ranks = rank(total, maximum, groups, ruleset["ranking"].get("ties", "shared"))
    phases["aggregate"], clock = time.perf_counter() - clock, time.perf_counter()

    # Points stay integers of 1/scale in the file: exact, and the cheapest to write.
    result: dict[str, Any] = {
        "unit_id": table.column("unit_id"),
        "total": pa.array(total),
        "applicable_max": pa.array(maximum),
        "index": pa.array(index, mask=maximum == 0),
        "grade": pa.array(grade, pa.string()),
        "rank": pa.array(ranks, mask=maximum == 0),
    }
    for area, (earned, _) in areas.items():
        result[f"area:{area}"] = pa.array(earned)
    for criterion_id, (points, applicable) in columns.items():
        result[criterion_id] = pa.array(points, mask=~applicable)
    pq.write_table(pa.table(result), output)
    phases["write"] = time.perf_counter() - clock
    print(json.dumps(phases))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
