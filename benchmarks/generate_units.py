"""Generate a units table of any size for a ruleset's facts schema.

    python benchmarks/generate_units.py ttcp@2018 100000 out/units-100k.parquet

Values follow each fact's declared type and range with a realistic skew: most units
near compliant (booleans true 90 % of the time, counts near their upper range), a tail
of poor ones, and about 1 % of optional values missing. Deterministic for a seed.
Counts that a ratio criterion divides are drawn so the numerator never exceeds the
denominator it is paired with.
"""

from __future__ import annotations

import argparse
import sys
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

import cchc_rules
from cchc_rules._loading import CompiledRuleset
from cchc_rules._scorecards import decimal_array

MISSING_SHARE = 0.01


def _pairs(ruleset: CompiledRuleset) -> dict[str, str]:
    """numerator fact → denominator fact, from the ratio kinds' parameters."""
    pairs = {}
    for leaf in ruleset.leaves:
        params = leaf.kind.params
        numerator = getattr(params, "numerator", None)
        denominator = getattr(params, "denominator", None)
        if isinstance(numerator, str) and isinstance(denominator, str):
            pairs[numerator] = denominator
    return pairs


def generate(ruleset: CompiledRuleset, count: int, seed: int = 20181206) -> pa.Table:
    rng = np.random.default_rng(seed)
    model = ruleset.model
    unit_types = list(model.unit_types)
    types = rng.choice(unit_types, size=count, p=_type_shares(len(unit_types)))
    columns: dict[str, pa.Array] = {
        "unit_id": pa.array([f"U{i:08d}" for i in range(count)]),
        "name": pa.array([f"Đơn vị {i}" for i in range(count)]),
        "unit_type": pa.array(types),
    }
    # A unit's "quality" drives all its facts, so poor units are poor across criteria.
    quality = rng.beta(8, 1.5, size=count)
    pairs = _pairs(ruleset)
    integers: dict[str, np.ndarray] = {}
    for name, spec in model.facts.items():
        if spec.type != "integer" or name in pairs:
            continue
        low = int(spec.min) if spec.min is not None else 0
        high = int(spec.max) if spec.max is not None else low + 60
        if low < 0 <= high:
            # signed facts such as "days late": mostly on time, a few late
            values = np.where(rng.random(count) < quality, 0, rng.integers(1, 40, count))
        else:
            values = rng.integers(low, min(high, low + 60) + 1, count)
        integers[name] = values
    for numerator, denominator in pairs.items():
        if denominator not in integers:
            integers[denominator] = rng.integers(0, 40, count)
        done = np.floor(integers[denominator] * np.clip(quality + rng.normal(0, 0.05, count), 0, 1))
        integers[numerator] = done.astype(np.int64)
    for name, spec in model.facts.items():
        missing = (rng.random(count) < MISSING_SHARE) if not spec.required else None
        if spec.type == "boolean":
            values = rng.random(count) < 0.5 + 0.5 * quality
            array = pa.array(values, mask=missing)
        elif spec.type == "integer":
            array = pa.array(integers[name], pa.int64(), mask=missing)
        elif spec.type == "decimal":
            digits = spec.decimals or 0
            low = spec.min if spec.min is not None else Decimal(0)
            high = spec.max if spec.max is not None else Decimal(100)
            span = int((high - low) * 10**digits)
            units = int(low * 10**digits) + np.floor(quality * span).astype(np.int64)
            array = decimal_array(units, 10**digits, None if missing is None else ~missing)
        elif spec.type == "text":
            array = pa.array(np.full(count, "Ghi chú của Hội đồng thẩm định"), pa.string())
        else:
            days = rng.integers(17_500, 17_900, count)
            array = pa.array(days.astype("datetime64[D]"), pa.date32(), mask=missing)
        columns[name] = array
    for leaf in ruleset.leaves:
        # "days late" is given exactly for work that was done, as the kind requires.
        done = getattr(leaf.kind.params, "done", None)
        days_late = getattr(leaf.kind.params, "days_late", None)
        if isinstance(done, str) and isinstance(days_late, str):
            was_done = columns[done].fill_null(False).to_numpy(zero_copy_only=False)
            values = columns[days_late].fill_null(0).to_numpy(zero_copy_only=False)
            columns[days_late] = pa.array(values, pa.int64(), mask=~was_done)
    return pa.table(columns)


def _type_shares(types: int) -> list[float]:
    first = 0.7 if types > 1 else 1.0
    rest = (1 - first) / (types - 1) if types > 1 else 0.0
    return [first] + [rest] * (types - 1)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ruleset")
    parser.add_argument("count", type=int)
    parser.add_argument("output", type=Path, help=".parquet or .csv")
    parser.add_argument("--seed", type=int, default=20181206)
    args = parser.parse_args(argv)
    ruleset = cchc_rules.load_ruleset(args.ruleset)
    table = generate(ruleset, args.count, args.seed)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    if args.output.suffix == ".csv":
        pacsv.write_csv(table, args.output)
    else:
        pq.write_table(table, args.output)
    print(f"wrote {args.count} units to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
